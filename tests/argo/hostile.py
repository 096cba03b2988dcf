"""What a hostile server sends (for `FakeArgo.answer_raw` and `FakeWebhook`), and a way to run
a command in a child process whose address space is capped, to prove a memory bound."""

from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from functools import cache
from typing import Any

from tests.argo.fake_argo import Raw

MEMORY = 512 * 1024 * 1024  # the bound issue 17 sets for every command
GZIP_MEMBER = 16 * 1024 * 1024
JSON = {"Content-Type": "application/json"}


@cache
def gzip_bomb(inflated: int = 1536 * 1024 * 1024) -> bytes:
    """A gzip body that inflates to `inflated` bytes of `0`s (1.5 GiB by default) from about a
    thousandth of that: members of 16 MiB each, one after the other, as gzip allows."""
    member = gzip.compress(b"0" * GZIP_MEMBER, compresslevel=9)
    return member * (inflated // GZIP_MEMBER)


@cache
def deflate_bomb(inflated: int = 64 * 1024 * 1024) -> bytes:
    """A deflate (zlib) body that inflates to `inflated` bytes of `0`s."""
    return zlib.compress(b"0" * inflated, 9)


def raw(body: bytes | str, status: int = 200, headers: dict[str, str] | None = None) -> Raw:
    """An answer of exactly `body`, with a Content-Length."""
    data = body.encode() if isinstance(body, str) else body
    sent = {**JSON, **(headers or {}), "Content-Length": str(len(data))}
    return Raw(status, lambda: [data], sent)


def bomb() -> Raw:
    """A 200 answer that is a gzip bomb (Content-Encoding: gzip)."""
    return raw(gzip_bomb(), headers={"Content-Encoding": "gzip"})


def endless(chunk: bytes, every: float) -> Raw:
    """An event stream of `chunk` every `every` seconds, for as long as the client listens."""

    def chunks() -> Iterator[bytes]:
        while True:
            yield chunk
            time.sleep(every)

    return Raw(200, chunks, {"Content-Type": "text/event-stream"})


def silent(release: threading.Event) -> Raw:
    """An event stream that sends its headers and then nothing, until `release` is set."""

    def chunks() -> Iterator[bytes]:
        release.wait(60)
        yield b""

    return Raw(200, chunks, {"Content-Type": "text/event-stream"})


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_capped(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`idp ARGS` in a child process that may not use more than MEMORY of address space, with
    this process's environment (the fixtures' ARGO_* variables included)."""
    return subprocess.run(
        [sys.executable, "-m", "idp.cli", *args],
        preexec_fn=_capped,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
        check=False,
    )
