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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Callback(ThreadingHTTPServer):
    """Records `(headers, body)` of each POST."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[dict[str, str], Any]] = []
        self.statuses: list[int] = []
        self.redirect_to = ""
        self.trickle = 0.0
        self.endless = False
        self.trickled = threading.Semaphore(0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/idp/status"

    def phases(self) -> list[str]:
        return [body.get("phase") for _, body in self.received]


class _Handler(BaseHTTPRequestHandler):
    server: Callback

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            document = json.loads(body)
        except ValueError:
            document = body.decode("utf-8", "replace")
        self.server.received.append((dict(self.headers), document))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        if self.server.trickle:
            self._trickle(f"HTTP/1.1 {status} OK\r\nContent-Length: 2\r\n\r\nok".encode())
            return
        if self.server.endless:
            self._endless(status)
            return
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", self.server.redirect_to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _trickle(self, answer: bytes) -> None:
        try:
            for byte in answer:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.server.trickle)
        except OSError:  # the client hung up
            pass
        finally:
            self.server.trickled.release()

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
    server = Callback()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
