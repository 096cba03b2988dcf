"""The one way the fakes listen: a request handler class served on a free loopback port.

`serving` starts `http.server.ThreadingHTTPServer` on 127.0.0.1 in a daemon thread (each request
in a daemon thread of its own, so a handler a test leaves hanging cannot hold the run), over
HTTPS when given a certificate and key (`tests.fakes.tls.certificate`), and yields the base URL
(`http://127.0.0.1:PORT`, or `https://...`). On leaving it stops serving, closes the socket and
waits for the serving thread. What a fake answers is its handler's business, not this module's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.fakes.tls import server_context

LOOPBACK = "127.0.0.1"
POLL_SECONDS = 0.05  # how soon a stopped server notices


@contextmanager
def serving(
    handler: type[BaseHTTPRequestHandler], tls: tuple[Path, Path] | None = None
) -> Iterator[str]:
    """Serve `handler` on loopback (HTTPS with `tls` = (certificate, key)); yield its base URL."""
    server = ThreadingHTTPServer((LOOPBACK, 0), handler)
    if tls is not None:
        server.socket = server_context(*tls).wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    url = f"{scheme}://{LOOPBACK}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
