"""Argo's mutexes on one machine: a lock file per lock key.

Argo serialises Workflows that name the same mutex (here: one per stack, so two requests for
the same Terraform state never run at once). A mutex is one lock whoever takes it: a Workflow
for its whole run (`spec.synchronization`) or a node while it runs (a template's
`synchronization`), both under the key `<namespace>/Mutex/<name>` (workflow/sync/lock_name.go,
`getMutexLockName` and `lockName.String`; the namespace is the Workflow's). Locally the key is
an exclusive `flock` on a file under `STATE_DIR/locks/`: a second run of the same stack waits
for the first, as a second Workflow waits in Pending on a cluster, and a node of a scheduled
drift check waits while a provisioning run of its stack holds the lock.
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


def lock_key(namespace: str, name: str) -> str:
    """`getMutexLockName` then `lockName.String`: the key of a mutex in the Workflow's
    namespace, the same for a Workflow-level and a template-level mutex."""
    return f"{namespace}/Mutex/{name}"


def lock_file(folder: Path, name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return folder / "locks" / f"{safe}.lock"


def acquire(folder: Path, name: str, waiting: Callable[[str], None]) -> Held:
    """Hold the mutex `name`, waiting (after telling `waiting`) while another run holds it."""
    held = try_acquire(folder, name)
    if held is not None:
        return held
    waiting(name)
    stream = lock_file(folder, name).open("a+", encoding="utf-8")
    fcntl.flock(stream, fcntl.LOCK_EX)
    return Held(stream)


def try_acquire(folder: Path, name: str) -> Held | None:
    """Hold the mutex `name` if nobody holds it; None when another holder has it."""
    path = lock_file(folder, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        stream.close()
        return None
    return Held(stream)


class FileLocks:
    """The lock files of one state folder, as a run's controller takes them: `hold` waits
    (telling `waiting` first), `try_hold` does not."""

    def __init__(self, folder: Path, waiting: Callable[[str], None]) -> None:
        self.folder = folder
        self.waiting = waiting

    def hold(self, key: str) -> Held:
        return acquire(self.folder, key, self.waiting)

    def try_hold(self, key: str) -> Held | None:
        return try_acquire(self.folder, key)
