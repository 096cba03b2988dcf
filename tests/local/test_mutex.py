"""One local run per stack at a time: the Workflow's mutex as a lock file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from idp.local.mutex import acquire

# Each test runs `idp local` twice at once: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow


def test_a_second_run_of_the_same_stack_waits_for_the_first(tmp_path: Path) -> None:
    first = acquire(tmp_path, "compute-dev-web", waiting=lambda name: None)
    told: list[str] = []
    got: list[float] = []

    def second() -> None:
        held = acquire(tmp_path, "compute-dev-web", waiting=told.append)
        got.append(time.monotonic())
        held.close()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive() and got == []  # still waiting while the first holds the mutex
    assert told == ["compute-dev-web"]
    first.close()
    thread.join(timeout=10)
    assert len(got) == 1


def test_runs_of_different_stacks_do_not_wait_for_each_other(tmp_path: Path) -> None:
    told: list[str] = []
    one = acquire(tmp_path, "compute-dev-web", waiting=told.append)
    other = acquire(tmp_path, "compute-dev-api", waiting=told.append)
    assert told == []
    one.close()
    other.close()
