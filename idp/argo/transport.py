"""One HTTP policy for every call idp makes: the Argo Server API and the webhook alike.

- **Retries**: urllib3's `Retry`, mounted on the requests session, retries connection errors and
  the answers 429, 502, 503 and 504 with a doubling delay (`backoff`, `2 * backoff`, ...),
  honouring a `Retry-After` header; any other answer is final and returned as it is.
- **A deadline on each call as a whole**: socket timeouts bound each read, so a server that
  trickles its answer a byte at a time would outlast them. While a call runs, a watchdog shuts
  the call's sockets down when its deadline passes; the call then fails at once, and no retry
  starts (or sleeps) past the deadline.

- **A bounded answer**: the body is read as a stream and decompressed as it is read (urllib3
  inflates gzip and deflate at most as far as each read asks), so a cap holds after
  decompression: a body past `limit` bytes is refused (TransportError `large`), or, for a
  caller that only shows it, cut at `limit`; an error status's body (only ever shown) is cut
  at `MAX_ERROR_BODY`. A streamed answer is left to its
  reader (`idp.argo.streams` bounds each line).
- **A `Retry-After` that is not a number of seconds or an HTTP date** is taken as absent: the
  retry waits the usual delay.

Redirects are never followed, so a token goes only to the server named.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import InsecureRequestWarning, InvalidHeader, MaxRetryError
from urllib3.util.retry import Retry

from idp.argo.defaults import DEFAULT_BACKOFF, DEFAULT_RETRIES
from idp.argo.errors import reason
from idp.tokens import scrub

RETRY_STATUSES = (429, 502, 503, 504)
MAX_BODY = 16 * 1024 * 1024
MAX_ERROR_BODY = 64 * 1024  # an error's body is only shown, cut to a line
_CHUNK = 64 * 1024
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization"})  # lower case
Notify = Callable[[str], None]


@dataclass(frozen=True)
class Policy:
    """How one call may go: attempts after the first, the first delay, the deadline."""

    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    deadline: float = 30.0


class Deadline:
    """Shuts down every socket of the current call when `seconds` have passed."""

    def __init__(self, seconds: float) -> None:
        self.expires = time.monotonic() + seconds
        self.expired = False
        self.sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def left(self) -> float:
        return self.expires - time.monotonic()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self.sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self.sockets:
                _shut(sock)

    def __enter__(self) -> Deadline:
        _CURRENT.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _CURRENT.deadline = None


def _shut(sock: socket.socket | None) -> None:
    """End the connection under a blocked read; on the TCP socket, under any TLS layer."""
    if sock is None:
        return
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Current(threading.local):
    deadline: Deadline | None = None


_CURRENT = _Current()


def _watched(sock: socket.socket | None) -> None:
    deadline = _CURRENT.deadline
    if deadline is not None:
        deadline.watch(sock)


class _Watched:
    """A urllib3 connection whose socket the current call's deadline can shut down."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _watched(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self.sock)  # a kept-alive connection: its socket exists already
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


_SOCKETS = "_idp_sockets"  # on a streamed response: the sockets its call used


def cut_off(response: requests.Response, seconds: float) -> threading.Timer:
    """Shut a streamed answer's connection down after `seconds`, so that a reader blocked on it
    returns then, however often the server sends keep-alives; cancel the timer when done."""
    sockets: list[socket.socket] = getattr(response, _SOCKETS, [])

    def shut() -> None:
        for sock in sockets:
            _shut(sock)

    timer = threading.Timer(max(seconds, 0.0), shut)
    timer.daemon = True
    timer.start()
    return timer


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class BoundedRetry(Retry):
    """urllib3's Retry with a doubling delay from the first retry, a deadline no retry starts
    or sleeps past, and a note of each retry for the person waiting."""

    def __init__(
        self,
        *args: Any,
        notify: Notify | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.notify = notify
        self.sleeper = sleep
        self.attempts = (self.total if isinstance(self.total, int) else 0) + 1

    def new(self, **kw: Any) -> BoundedRetry:
        fresh: BoundedRetry = super().new(**kw)
        fresh.notify, fresh.sleeper, fresh.attempts = self.notify, self.sleeper, self.attempts
        return fresh

    def get_backoff_time(self) -> float:
        return float(min(self.backoff_max, self.backoff_factor * 2 ** (len(self.history) - 1)))

    def get_retry_after(self, response: Any) -> float | None:
        """The header's delay; None when it is absent or is no delay at all (`garbage`)."""
        try:
            found: float | None = super().get_retry_after(response)
        except (InvalidHeader, ValueError, OverflowError):
            return None
        return found

    def _wait(self, response: Any = None) -> float:
        after = self.get_retry_after(response) if response is not None else None
        return max(after or 0.0, self.get_backoff_time())

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> BoundedRetry:
        fresh: BoundedRetry = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = fresh._wait(response)
        deadline = _CURRENT.deadline
        if deadline is not None and (deadline.expired or wait >= deadline.left()):
            raise MaxRetryError(_pool, url or "", error)
        if self.notify is not None:
            if response is not None and response.status:
                problem = f"{response.status} {phrase(response.status)}".strip()
            else:
                problem = f"cannot connect ({reason(error)})" if error else "no answer"
            self.notify(
                f"attempt {len(fresh.history)} of {self.attempts}: {problem}; retrying in {wait:g}s"
            )
        return fresh

    def sleep(self, response: Any = None) -> None:
        wait = self._wait(response)
        if wait > 0:
            self.sleeper(wait)


def retry(
    policy: Policy, notify: Notify | None = None, sleep: Callable[[float], None] = time.sleep
) -> BoundedRetry:
    """The one retry policy (see the module docstring)."""
    return BoundedRetry(
        total=policy.retries,
        connect=None,
        read=None,
        status=None,
        redirect=False,
        other=0,  # TLS failures and the like: final
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # every method: Argo's writes are keyed by name, the webhook's by id
        backoff_factor=policy.backoff,
        backoff_max=60.0,
        raise_on_status=False,
        raise_on_redirect=False,
        respect_retry_after_header=True,
        notify=notify,
        sleep=sleep,
    )


def session(
    policy: Policy, notify: Notify | None = None, sleep: Callable[[float], None] = time.sleep
) -> requests.Session:
    """A requests session that retries and watches deadlines as the module docstring says."""
    made = requests.Session()
    adapter = _Adapter(max_retries=retry(policy, notify, sleep))
    made.mount("http://", adapter)
    made.mount("https://", adapter)
    return made


class TransportError(Exception):
    """A call that got no complete answer: `kind` is tls, timeout, connect, large or other."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def _load(response: requests.Response, limit: int, cut: bool) -> None:
    """Read the body, decompressed, up to `limit` bytes (see the module docstring)."""
    data = bytearray()
    whole = False
    try:
        for chunk in response.iter_content(_CHUNK):
            data.extend(chunk)
            if len(data) > limit:
                break
        else:
            whole = True
    finally:
        response._content_consumed = whole  # else close() drops the connection, unread
        response.close()
    if not whole and not cut:
        raise TransportError(
            "large", f"the answer is larger than {limit // 1024} KiB once decompressed"
        )
    response._content = bytes(data[:limit])
    response._content_consumed = True


def call(
    made: requests.Session,
    method: str,
    url: str,
    seconds: float,
    *,
    limit: int = MAX_BODY,
    cut: bool = False,
    **kwargs: Any,
) -> requests.Response:
    """One call within `seconds` as a whole, retried by the session's policy, never redirected,
    its body read within `limit` bytes (`cut`: cut there rather than refused; see the module
    docstring). With `stream=True` only an error status's body is read.

    Failures without a complete answer raise TransportError, whose detail never holds the value
    of a header that carries a secret (`SECRET_HEADERS`: the token, with or without its scheme);
    other headers (`Accept: text/event-stream`) are no secret and leave the detail as it is.
    """
    kwargs.setdefault("timeout", seconds)
    kwargs["allow_redirects"] = False
    streamed = bool(kwargs.get("stream"))
    kwargs["stream"] = True
    headers = {**made.headers, **(kwargs.get("headers") or {})}
    secrets = [
        secret
        for name, value in headers.items()
        if name.lower() in SECRET_HEADERS and value
        for secret in (str(value), str(value).partition(" ")[2])  # with its scheme, and bare
    ]
    deadline = Deadline(seconds)
    try:
        with deadline, warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureRequestWarning)
            response = made.request(method, url, **kwargs)
            final = 200 <= response.status_code < 300
            if not final:
                _load(response, min(limit, MAX_ERROR_BODY), cut=True)
            elif not streamed:
                _load(response, limit, cut)
            else:
                setattr(response, _SOCKETS, list(deadline.sockets))
            return response
    except requests.exceptions.RequestException as exc:
        if deadline.expired:
            raise TransportError("timeout", f"no complete answer within {seconds:g}s") from None
        if isinstance(exc, requests.exceptions.SSLError):
            kind = "tls"
        elif isinstance(exc, requests.exceptions.Timeout):
            kind = "timeout"
        elif isinstance(exc, requests.exceptions.ConnectionError):
            kind = "connect"
        else:
            kind = "other"
        raise TransportError(kind, scrub(reason(exc), secrets)) from None


def attempts(response: requests.Response) -> int:
    """How many attempts the answer took."""
    history = getattr(getattr(response.raw, "retries", None), "history", ())
    return len(history) + 1
