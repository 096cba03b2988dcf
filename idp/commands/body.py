"""The request body a command reads: a file, or `-` for stdin."""

from __future__ import annotations

import sys
from pathlib import Path

from idp.errors import EXIT_INVALID, CommandError


def read_body(path: str, max_bytes: int) -> bytes:
    """The body in the file at `path` (stdin for `-`), read up to one byte past `max_bytes`, the
    webhook's payload cap: enough to tell a body the webhook refuses, never more (`/dev/zero`
    takes no memory)."""
    limit = max_bytes + 1
    try:
        if path == "-":
            return sys.stdin.buffer.read(limit)
        with Path(path).open("rb") as stream:
            return stream.read(limit)
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}", EXIT_INVALID) from exc
