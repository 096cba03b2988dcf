"""What `idp local` prints while a run goes on (idp.local.run.watcher)."""

from __future__ import annotations

import io

from idp.local.clock import RunClock
from idp.local.run import watcher


def test_a_retry_backing_off_says_why_nothing_seems_to_happen() -> None:
    """operator.go, `processNodeRetries`: a failed attempt's node waits out its backoff before
    the controller reads the retry policy, even a policy that will not retry it."""
    out = io.StringIO()
    node = {"type": "Retry", "displayName": "plan", "phase": "Running"}
    watcher(out, RunClock())({**node, "message": "Backoff for 10 seconds"})
    assert out.getvalue() == (
        "waiting   plan: backoff for 10 seconds before Argo decides whether its retry policy "
        "retries it (it waits out the backoff first)\n"
    )


def test_a_retry_node_is_otherwise_not_shown() -> None:
    out = io.StringIO()
    watcher(out, RunClock())({"type": "Retry", "displayName": "plan", "phase": "Running"})
    assert out.getvalue() == ""
