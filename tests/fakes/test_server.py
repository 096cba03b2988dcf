"""The fakes' one loopback server (`tests.fakes.server`): it serves a handler over HTTP or, with
a certificate, over HTTPS that a client trusting that certificate verifies, and stops at the end
of its block."""

from __future__ import annotations

import ssl
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.server import serving
from tests.fakes.tls import certificate


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: Any) -> None:
        return


def fetch(url: str, context: ssl.SSLContext | None = None) -> bytes:
    with urllib.request.urlopen(url, timeout=5, context=context) as answer:  # noqa: S310
        body: bytes = answer.read()
        return body


def test_a_handler_is_served_on_loopback_over_http() -> None:
    with serving(Hello) as url:
        assert url.startswith("http://127.0.0.1:")
        assert fetch(url) == b"hello"


def test_with_a_certificate_it_is_served_over_https_a_client_can_verify(tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    with serving(Hello, tls=(cert, key)) as url:
        assert url.startswith("https://127.0.0.1:")
        assert fetch(url, ssl.create_default_context(cafile=str(cert))) == b"hello"


def test_the_port_refuses_connections_once_the_block_ends() -> None:
    with serving(Hello) as url:
        pass
    with pytest.raises(OSError):
        fetch(url)
