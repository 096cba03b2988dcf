"""The failures of the Argo commands, each with its own exit code (defined in `idp.errors`).

A message may carry what a server sent (an error's text, a redirect's target, a workflow's
message), so every message is made printable and bounded where the error is made
(`idp.text.printable`): no server can reach the terminal through an error.
"""

from __future__ import annotations

import re

from idp.errors import (
    EXIT_CONFLICT,
    EXIT_FAILURE,
    EXIT_FORBIDDEN,
    EXIT_NO_SERVER,
    EXIT_NOT_FOUND,
    EXIT_REJECTED,
    EXIT_SERVER_ERROR,
    EXIT_UNAUTHORIZED,
    EXIT_USAGE,
    CommandError,
)
from idp.text import one_line, printable

MAX_MESSAGE = 4096


class ArgoError(CommandError):
    """A failure talking to the Argo Server or the webhook; its message printable and bounded."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(printable(message, MAX_MESSAGE), code)


class UsageError(ArgoError):
    """Connection settings or arguments that cannot be used."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


class NoServerError(ArgoError):
    """Neither ARGO_SERVER nor --server names a server."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_NO_SERVER)


class HttpError(ArgoError):
    """The server answered with an error status; `status` is the HTTP status code."""

    def __init__(self, message: str, code: int, status: int) -> None:
        super().__init__(message, code)
        self.status = status


def code_for_status(status: int) -> int:
    """The exit code of an HTTP error status."""
    if status == 401:
        return EXIT_UNAUTHORIZED
    if status == 403:
        return EXIT_FORBIDDEN
    if status == 404:
        return EXIT_NOT_FOUND
    if status == 409:
        return EXIT_CONFLICT
    if status >= 500:
        return EXIT_SERVER_ERROR
    return EXIT_REJECTED


def reason(exc: BaseException) -> str:
    """The useful words of a transport error: `Connection refused`, `wrong version number`."""
    text = str(exc)
    for pattern in (r"\[SSL: [A-Z_]+\] ([^(')\"]+)", r"\[Errno -?\d+\] ([^(')\"]+)"):
        found = re.search(pattern, text)
        if found:
            return found.group(1).strip().rstrip(".,")
    if isinstance(exc, TimeoutError) or "timed out" in text.lower():
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return one_line(text, 160) or type(exc).__name__
