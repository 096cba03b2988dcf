"""Exit codes of every `idp` command, and the one failure the CLI reports as a single line.

`EXIT_CODES` describes each code once; `idp --help` lists them from it and the README repeats
the table. 2 stays "invalid request", as the command-line contract says of `idp validate`; a
usage error (a bad or missing flag) is 64 and settings that cannot be used are 78, as in BSD's
sysexits. The commands that talk to a server use 4 and up (their exceptions, in
`idp.argo.errors`, are CommandErrors too).
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
EXIT_NO_SERVER = 15
EXIT_NOT_APPLIED = 16
EXIT_CHECKS_FAILED = 17
EXIT_UNSUPPORTED = 18
EXIT_AMBIGUOUS = 19
EXIT_FOUR_EYES = 20
EXIT_USAGE = 64
EXIT_SETTINGS = 78

EXIT_CODES = {
    0: "success",
    EXIT_FAILURE: "failure (anything not listed below)",
    EXIT_INVALID: "invalid request (one line per bad field)",
    EXIT_DROPPED: "dropped by a sensor filter",
    EXIT_UNREACHABLE: "server unreachable (refused, unknown host, no complete answer in time)",
    EXIT_TLS: "TLS failure",
    EXIT_UNAUTHORIZED: "unauthorized (401)",
    EXIT_FORBIDDEN: "forbidden (403)",
    EXIT_NOT_FOUND: "not found (404)",
    EXIT_CONFLICT: "conflict (409: exists, changed meanwhile, or another answer came first)",
    EXIT_SERVER_ERROR: (
        "server error (5xx, or an answer that is not an Argo Server's: not JSON, wrong shape, "
        "too large)"
    ),
    EXIT_REJECTED: "rejected (another 4xx, a redirect, or a WorkflowTemplate failing lint)",
    EXIT_NOT_WAITING: "no approval waits (finished, answered or not reached)",
    EXIT_TIMEOUT: "gave up waiting (run --wait --timeout)",
    EXIT_WORKFLOW_FAILED: "the workflow failed (run --wait)",
    EXIT_NO_SERVER: "no server named (ARGO_SERVER or --server)",
    EXIT_NOT_APPLIED: "submit left objects unapplied (the command to run is printed)",
    EXIT_CHECKS_FAILED: "doctor found a failing check",
    EXIT_UNSUPPORTED: "the Argo Server runs a release idp does not support (see Compatibility)",
    EXIT_AMBIGUOUS: "a request id names several workflows (they are listed; name one)",
    EXIT_FOUR_EYES: "approve refused: the token's identity is the requester's (four eyes)",
    EXIT_USAGE: "usage error (bad or missing flag or argument, unknown kind)",
    EXIT_SETTINGS: "settings that cannot be used (or, with --strict, cannot work on a cluster)",
}


def exit_code_table() -> str:
    """The codes as `idp --help` lists them, one per line."""
    return "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items())


class CommandError(Exception):
    """A failure to report as one line on stderr; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code
