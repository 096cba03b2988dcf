"""A loopback server that answers every request correctly, but one byte at a time.

Each byte comes well within any socket timeout, so only a deadline on the whole call stops a
client before the answer is complete (after `len(answer) * pause` seconds).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

PAUSE = 0.1


def answer(status: str, body: object) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + data


NOT_FOUND = answer("404 Not Found", {"code": 5, "message": "trickled: " + "x" * 80})


def _serve_one(connection: socket.socket, reply: bytes, stop: threading.Event) -> None:
    with connection, suppress(OSError):
        connection.settimeout(5)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(4096)
            if not chunk:
                return
            received += chunk
        for index in range(len(reply)):
            if stop.wait(PAUSE):
                return
            connection.sendall(reply[index : index + 1])


@contextmanager
def trickling(reply: bytes = NOT_FOUND) -> Iterator[str]:
    """Serve `reply` a byte at a time on a loopback port; yields the base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=_serve_one, args=(connection, reply, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


def trickle_seconds(reply: bytes = NOT_FOUND) -> float:
    """How long the whole answer takes to arrive."""
    return len(reply) * PAUSE
