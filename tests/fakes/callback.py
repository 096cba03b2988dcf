"""The portal's callback at its network boundary: a loopback HTTP server that records notices.

It answers each POST with the next of `statuses` (200 when none is left); a 3xx answer carries
a `Location` to `redirect_to`, and with `trickle` set the answer is sent a byte at a time, with
that many seconds between bytes, to prove that a delivery attempt is bounded as a whole:
`trickled` is released each time a trickled answer has been sent to its end (or the client hung
up), so a test can tell whether a client gave up before the answer was complete. With
`endless` set the answer's body never ends: it is sent until the client hangs up.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.server import serving

PATH = "/idp/status"


@dataclass
class Callback:
    """Records `(headers, body)` of each POST; `url` is where it listens."""

    received: list[tuple[dict[str, str], Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    redirect_to: str = ""
    trickle: float = 0.0
    endless: bool = False  # the answer's body never ends: it is sent until the client hangs up
    trickled: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    url: str = ""

    def phases(self) -> list[str]:
        return [body.get("phase") for _, body in self.received]


class _Handler(BaseHTTPRequestHandler):
    callback: Callback

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            document = json.loads(body)
        except ValueError:
            document = body.decode("utf-8", "replace")
        self.callback.received.append((dict(self.headers), document))
        status = self.callback.statuses.pop(0) if self.callback.statuses else 200
        if self.callback.trickle:
            self._trickle(f"HTTP/1.1 {status} OK\r\nContent-Length: 2\r\n\r\nok".encode())
            return
        if self.callback.endless:
            self._endless(status)
            return
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", self.callback.redirect_to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _trickle(self, answer: bytes) -> None:
        try:
            for byte in answer:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.callback.trickle)
        except OSError:  # the client hung up
            pass
        finally:
            self.callback.trickled.release()

    def _endless(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(1 << 40))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            while True:
                self.wfile.write(chunk)
        except OSError:  # the client hung up
            pass

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def running_callback() -> Iterator[Callback]:
    """A callback listening on loopback until the block ends."""
    callback = Callback()
    with serving(type("Handler", (_Handler,), {"callback": callback})) as url:
        callback.url = url + PATH
        yield callback
