"""Azure Blob Storage at its network boundary: a fake account over HTTPS.

It answers the four calls of `workflows.steps.stackstore.BlobStore` as the Blob service's REST
API does (Put Blob: 201, Get Blob: 200 or 404, Delete Blob: 202 or 404, List Blobs: an XML
`EnumerationResults` with a `NextMarker` when more is left, `page_size` names per page), and
refuses a request without the expected bearer token or API version header (403). A test can
answer the next calls with other statuses (`statuses`) or a redirect (`redirect_to`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from tests.fakes.server import serving
from tests.fakes.tls import certificate

TOKEN = "fake-storage-token"


@dataclass
class FakeBlob:
    """The account's blobs, by container and name, and what it was asked."""

    url: str = ""
    ca_bundle: Path = Path()
    blobs: dict[tuple[str, str], bytes] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    redirect_to: str = ""
    page_size: int = 5000


class _Handler(BaseHTTPRequestHandler):
    fake: FakeBlob

    def _where(self) -> tuple[str, str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        container, _, name = unquote(parts.path).lstrip("/").partition("/")
        return container, name, parse_qs(parts.query)

    def _refused(self) -> bool:
        self.fake.requests.append((self.command, self.path))
        if self.fake.statuses:
            status = self.fake.statuses.pop(0)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", self.fake.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        good = self.headers.get("Authorization") == f"Bearer {TOKEN}"
        if not good or not self.headers.get("x-ms-version"):
            self._send(403, b"")
            return True
        return False

    def _send(self, status: int, body: bytes, content_type: str = "") -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self._refused():
            return
        container, name, _ = self._where()
        if self.headers.get("x-ms-blob-type") != "BlockBlob":
            self._send(400, b"")
            return
        self.fake.blobs[(container, name)] = body
        self._send(201, b"")

    def do_GET(self) -> None:
        if self._refused():
            return
        container, name, query = self._where()
        if query.get("comp") == ["list"]:
            self._list(container, query)
            return
        data = self.fake.blobs.get((container, name))
        self._send(404, b"") if data is None else self._send(200, data)

    def do_DELETE(self) -> None:
        if self._refused():
            return
        container, name, _ = self._where()
        found = self.fake.blobs.pop((container, name), None)
        self._send(404 if found is None else 202, b"")

    def _list(self, container: str, query: dict[str, list[str]]) -> None:
        prefix = (query.get("prefix") or [""])[0]
        marker = (query.get("marker") or [""])[0]
        names = sorted(n for c, n in self.fake.blobs if c == container and n.startswith(prefix))
        names = [n for n in names if n > marker] if marker else names
        page, rest = names[: self.fake.page_size], names[self.fake.page_size :]
        blobs = "".join(f"<Blob><Name>{escape(n)}</Name></Blob>" for n in page)
        next_marker = escape(page[-1]) if rest else ""
        body = (
            '<?xml version="1.0" encoding="utf-8"?><EnumerationResults>'
            f"<Prefix>{escape(prefix)}</Prefix><Blobs>{blobs}</Blobs>"
            f"<NextMarker>{next_marker}</NextMarker></EnumerationResults>"
        )
        self._send(200, body.encode(), "application/xml")

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def fake_blob(tls_dir: Path) -> Iterator[FakeBlob]:
    """A running fake Blob service on 127.0.0.1 over HTTPS (trust `ca_bundle`)."""
    cert, key = certificate(tls_dir)
    fake = FakeBlob(ca_bundle=cert)
    handler = type("Handler", (_Handler,), {"fake": fake})
    with serving(handler, tls=(cert, key)) as url:
        fake.url = url
        yield fake
