"""A stand-in for the webhook EventSource: answers from a script, records what it received."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.server import serving as loopback

Answer = tuple[int, str | bytes, dict[str, str]]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeWebhook:
    """`answers` are used in order; the last one repeats. The webhook's success is 200 `success`.
    A body given as bytes is sent as it is (with its headers: a gzip bomb, say)."""

    answers: list[Answer] = field(default_factory=lambda: [(200, "success", {})])
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self, request: Received) -> Answer:
        self.received.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeWebhook

    def do_POST(self) -> None:
        self._answer("POST")

    def do_GET(self) -> None:
        self._answer("GET")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {key.lower(): value for key, value in self.headers.items()}
        status, text, extra = self.fake.answer(Received(method, self.path, headers, body))
        data = text if isinstance(text, bytes) else text.encode()
        self.send_response(status)
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextmanager
def serving(fake: FakeWebhook) -> Iterator[FakeWebhook]:
    handler = type("Handler", (_Handler,), {"fake": fake})
    with loopback(handler) as url:
        fake.url = url
        yield fake
