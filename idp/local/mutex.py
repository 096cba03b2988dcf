"""The Workflow's mutex on one machine: a lock file per mutex name, held for the whole run.

Argo serialises Workflows that name the same mutex (here: one per stack, so two requests for
the same Terraform state never run at once). Locally the mutex is an exclusive `flock` on
`STATE_DIR/locks/<name>.lock`; a second run of the same stack waits for the first, as a
second Workflow waits in Pending on a cluster.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO


class Held:
    """A held lock; `close` releases it."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def close(self) -> None:
        fcntl.flock(self.stream, fcntl.LOCK_UN)
        self.stream.close()


def lock_file(folder: Path, name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return folder / "locks" / f"{safe}.lock"


def acquire(folder: Path, name: str, waiting: Callable[[str], None]) -> Held:
    """Hold the mutex `name`, waiting (after telling `waiting`) while another run holds it."""
    path = lock_file(folder, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        waiting(name)
        fcntl.flock(stream, fcntl.LOCK_EX)
    return Held(stream)
