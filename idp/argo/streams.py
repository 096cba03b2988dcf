"""The Argo Server's streamed answers (workflow logs, workflow events), read message by message.

The server streams through grpc-gateway's `ForwardResponseStream` behind argoproj/pkg's
`StreamForwarder` (installed for both endpoints in pkg/apiclient/workflow/
forwarder_overwrite.go): each message is the JSON object `{"result": {...}}`, and a failure
after the answer began is one last `{"error": {"http_code": ..., "message": ...}}`. Asked
with `Accept: text/event-stream`, as the argo CLI asks (pkg/apiclient/http1/facade.go,
`EventStreamReader`), each message is a server-sent event, `data: <json>` and an empty line,
and a line `:` comes every 15 seconds while nothing else does (argoproj/pkg
grpc/http/forwarders.go, `keepalive`); without it, messages are separated by newlines. idp asks
for events, so that a read timeout (`IDLE_SECONDS`) tells a dead connection from a quiet
stream, and reads both forms.

A message is bounded: a line longer than `MAX_LINE` bytes ends the stream with an error (the
server itself cuts a log line at 1 MiB, util/logs/workflow-logger.go, `scanLinesOrGiveLong`;
a watch event carries a whole Workflow), and so does one that is not a JSON object within the
bounds of `idp.argo.answers`. Every line, a keep-alive or an empty one included, is reported to
the reader (`KEEPALIVE` when it holds no message), so that a reader with a deadline checks it
on each line, not only on data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from idp.argo import answers
from idp.argo.errors import ArgoError, HttpError, code_for_status
from idp.errors import EXIT_SERVER_ERROR, EXIT_UNREACHABLE
from idp.text import one_line

EVENT_STREAM = "text/event-stream"
IDLE_SECONDS = 60.0
MAX_LINE = 8 * 1024 * 1024
_DATA = b"data:"
KEEPALIVE = None  # what `results` yields for a keep-alive line
_SHOWN = 64 * 1024  # of a message that is no answer, decoded (a token whole), then cut


class StreamBroken(ArgoError):
    """The connection ended or went quiet for longer than IDLE_SECONDS mid-stream."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_UNREACHABLE)


def lines(chunks: Iterable[bytes], where: str) -> Iterator[bytes]:
    """The lines of a byte stream without their line ends; a line over MAX_LINE bytes raises."""
    buffer = bytearray()
    for chunk in chunks:
        searched = len(buffer)
        buffer.extend(chunk)
        start = 0
        while True:
            end = buffer.find(b"\n", max(start, searched))
            if end < 0:
                break
            yield bytes(buffer[start:end]).rstrip(b"\r")
            start = end + 1
        del buffer[:start]
        if len(buffer) > MAX_LINE:
            raise ArgoError(
                f"{where}: a streamed message is longer than {MAX_LINE} bytes: not an Argo "
                "Server answer",
                EXIT_SERVER_ERROR,
            )
    if bytes(buffer).strip():
        yield bytes(buffer)


def _unchanged(text: str) -> str:
    return text


def _message(line: bytes, where: str, hide: Callable[[str], str]) -> Any:
    try:
        return answers.parse_object(line)
    except answers.Malformed as exc:
        shown = one_line(hide(line[:_SHOWN].decode("utf-8", "replace")), 120)
        raise ArgoError(
            f"{where}: a streamed message is not an Argo Server answer ({hide(str(exc))}): "
            f"{shown!r}",
            EXIT_SERVER_ERROR,
        ) from None


def results(
    raw: Iterable[bytes], where: str, hide: Callable[[str], str] = _unchanged
) -> Iterator[Any]:
    """Each message's `result` in turn, `KEEPALIVE` for a keep-alive or an empty line; an error
    message raises HttpError with the status it carries (a stream error without one: 500).
    What the server wrote reaches a message through `hide` (`Connection.hide`: no token)."""
    for line in raw:
        text = line.strip()
        if not text or text.startswith(b":"):
            yield KEEPALIVE
            continue
        if text.startswith(_DATA):
            text = text[len(_DATA) :].strip()
        message = _message(text, where, hide)
        if "error" in message:
            error = message["error"] if isinstance(message["error"], dict) else {}
            code = error.get("http_code")
            status = code if type(code) is int and 100 <= code <= 599 else 500
            detail = one_line(hide(str(error.get("message") or "(no message)"))[:2048])
            raise HttpError(
                f"{where}: the stream failed: {detail}", code_for_status(status), status
            )
        yield message.get("result")
