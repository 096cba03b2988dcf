"""A platform Workflow seen as the request it runs: who asked for what, and where it stands.

Everything comes from the Workflow itself: the labels the Sensor and the template put on it
(`idp.labels`), the request's arguments, the outputs the steps publish (`workflows.pipeline`:
`outcome`, `reason`, `approval`, ...) and the approver the Argo Server records in its labels
(`idp.actor`).

The state of a request (`idp.argo.states`) is the outcome the exit handler recorded once the
Workflow finished; before, `awaiting-approval` while the approval waits (a Running Suspend node
of the `approve` template), else the Workflow's phase in lower case (`failed` or `error` for a
run that ended without recording an outcome: terminated, or failed before its exit handler ran).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from idp import labels
from idp.actor import Approver
from idp.argo import status
from idp.argo.states import AWAITING_APPROVAL
from idp.manifests import Manifest
from idp.pipeline import GLOBAL_APPROVAL, GLOBAL_OUTCOME, GLOBAL_REASON, UNANSWERED


@dataclass(frozen=True)
class Request:
    """One request, as `idp list` shows it (`-o json` prints these fields)."""

    workflow: str
    kind: str
    environment: str
    name: str
    request_id: str
    requester: str
    state: str
    phase: str
    reason: str
    approval: str
    approver: str
    created: str
    finished: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def argument(workflow: Manifest, name: str) -> str:
    """A Workflow argument's value ('' when absent)."""
    arguments = ((workflow.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    for item in arguments:
        if isinstance(item, dict) and item.get("name") == name and item.get("value") is not None:
            return str(item["value"])
    return ""


def state(workflow: Manifest) -> str:
    """The request's state (see the module docstring)."""
    phase = status.phase(workflow)
    recorded = status.workflow_output(workflow, GLOBAL_OUTCOME)
    if phase in status.FINISHED and recorded:
        return recorded
    if phase not in status.FINISHED and status.pending(workflow):
        return AWAITING_APPROVAL
    return phase.lower()


def approver(workflow: Manifest) -> str:
    """Who answered the approval, as the Argo Server recorded it; '' when nobody answered or
    the server recorded nobody (SSO off)."""
    answer = status.workflow_output(workflow, GLOBAL_APPROVAL)
    if not answer or answer == UNANSWERED:
        return ""
    recorded = Approver.from_labels(json.dumps(workflow["metadata"].get("labels") or {}))
    return recorded.shown() if recorded.known else ""


def request(workflow: Manifest) -> Request:
    """The request a platform Workflow runs."""
    meta = workflow["metadata"]
    found = meta.get("labels") or {}
    answer = status.workflow_output(workflow, GLOBAL_APPROVAL) or ""
    return Request(
        workflow=str(meta.get("name") or ""),
        kind=str(found.get(labels.KIND) or ""),
        environment=str(found.get(labels.ENVIRONMENT) or ""),
        name=argument(workflow, "name"),
        request_id=str(found.get(labels.REQUEST_ID) or ""),
        requester=argument(workflow, "requester_email") or str(found.get(labels.REQUESTER) or ""),
        state=state(workflow),
        phase=status.phase(workflow),
        reason=status.workflow_output(workflow, GLOBAL_REASON) or "",
        approval=answer,
        approver=approver(workflow),
        created=str(meta.get("creationTimestamp") or ""),
        finished=str((workflow.get("status") or {}).get("finishedAt") or ""),
    )


def timestamp(text: str) -> datetime | None:
    """A Kubernetes timestamp (RFC 3339), or None when empty or unreadable."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def age(created: str, now: datetime) -> str:
    """How long ago `created` was, as kubectl shows ages: 45s, 12m, 5h, 3d ('-' if unknown)."""
    when = timestamp(created)
    if when is None:
        return "-"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = max(int((now - when).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 120 * 60:
        return f"{seconds // 60}m"
    if seconds < 48 * 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
