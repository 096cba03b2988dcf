"""Exit codes of every `idp` command, and the one failure the CLI reports as a single line.

1 to 3 belong to every command; 4 and up to the commands that talk to a server (their
exceptions, in `idp.argo.errors`, are CommandErrors too). `idp.cli` documents them all.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_INVALID = 2
EXIT_DROPPED = 3
EXIT_UNREACHABLE = 4
EXIT_TLS = 5
EXIT_UNAUTHORIZED = 6
EXIT_FORBIDDEN = 7
EXIT_NOT_FOUND = 8
EXIT_CONFLICT = 9
EXIT_SERVER_ERROR = 10
EXIT_REJECTED = 11
EXIT_NOT_WAITING = 12
EXIT_TIMEOUT = 13
EXIT_WORKFLOW_FAILED = 14


class CommandError(Exception):
    """A failure to report as one line on stderr; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code
