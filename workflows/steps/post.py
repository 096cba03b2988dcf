"""One JSON POST: the notice to the callback URL (`notify`), a run to the webhook (`runs`).

The POST goes through requests, as every other call the project makes. Each attempt is bounded
as a whole (`bounded`): a server that trickles its answer a byte at a time cannot hold the step
past its deadline, as a per-read socket timeout would let it; of the answer's body at most
`MAX_ANSWER_BYTES` are read. The POST is retried a few times on connection errors, timeouts, 408,
429 and 5xx. No redirect is ever followed: the bearer token goes to the URL named in settings or
nowhere (nor are a ~/.netrc's credentials sent), and a 3xx is a failed delivery. A private
certificate authority is trusted through `REQUESTS_CA_BUNDLE`, as for the other calls. Tokens
(and the SMTP password) are cleaned as `idp.tokens` says (one final newline dropped; refused,
without being shown, when they hold any other control character or one that is not printable
ASCII).
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from idp import tokens
from workflows.steps.bounded import bounded
from workflows.steps.errors import StepError

RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
ATTEMPTS = 3
TIMEOUT_SECONDS = 10.0
BACKOFF_SECONDS = 1.0
MAX_ANSWER_BYTES = 64 * 1024  # of an answer's body, read and dropped: only its status counts


def shown_url(url: str) -> str:
    """A URL without its query and credentials, for logs; never raises."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an invalid URL)"
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def clean_token(token: str, what: str = "callback token", *, bearer: bool = True) -> str:
    """`token` cleaned by `idp.tokens` (`clean_token`, or `clean_secret` for a password:
    `bearer=False`); a StepError naming `what`, never the value, when it is refused."""
    try:
        return (tokens.clean_token if bearer else tokens.clean_secret)(token, what)
    except tokens.TokenError as exc:
        raise StepError(f"{exc}; fix the Secret") from None


def _reason(exc: BaseException) -> str:
    """An attempt's failure in a few words: the operating system's or TLS's (`Connection
    refused`), else the error's type. Never the error's whole text: requests writes the URL into
    it, query and all."""
    text = str(exc)
    for pattern in (r"\[SSL: [A-Z_]+\] ([^(')\"]+)", r"\[Errno -?\d+\] ([^(')\"]+)"):
        found = re.search(pattern, text)
        if found:
            return found.group(1).strip().rstrip(".,")
    if "timed out" in text.lower():
        return "timed out"
    return type(exc).__name__


def post(
    url: str,
    payload: Mapping[str, Any],
    *,
    token: str = "",
    attempts: int = ATTEMPTS,
    timeout: float = TIMEOUT_SECONDS,
    backoff: float = BACKOFF_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    what: str = "callback",
) -> int:
    """POST `payload` as JSON; retry connection errors, timeouts, 408, 429 and 5xx. The status.

    Each attempt, connection and answer included, ends within `timeout` seconds; `what` names
    the receiver in messages (the callback, the webhook).
    """
    import requests  # noqa: PLC0415  (heavy: requests, 35 ms; only a step that posts needs it)

    shown = shown_url(url)
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # raises for a port out of range
    except ValueError as exc:
        raise StepError(f"{what} URL {shown} is not valid ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StepError(f"{what} URL {shown} is not an http(s) URL")
    headers = {"Content-Type": "application/json", "User-Agent": "idp-steps"}
    bearer = f"Bearer {clean_token(token, f'{what} token')}" if token else ""
    body = json.dumps(payload).encode("utf-8")

    def authorize(request: requests.PreparedRequest) -> requests.PreparedRequest:
        """The token, if any, and nothing else: given as the call's auth, it keeps requests
        from adding credentials of its own (a ~/.netrc's) for a call without one."""
        if bearer:
            request.headers["Authorization"] = bearer
        return request

    def attempt_once() -> int:
        with (
            requests.Session() as session,
            session.post(
                url,
                data=body,
                headers=headers,
                auth=authorize,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            ) as response,
        ):
            response.raw.read(MAX_ANSWER_BYTES, decode_content=False)
            return response.status_code

    reason, attempt = "", 0
    while attempt < max(1, attempts):
        attempt += 1
        try:
            status = bounded(attempt_once, timeout)
        except TimeoutError as exc:
            reason = str(exc)
        except (requests.RequestException, OSError, ValueError) as exc:
            reason = _reason(exc)
        else:
            if 200 <= status < 300:
                return status
            reason = f"HTTP {status}"
            if 300 <= status < 400:
                reason += f" (a redirect: not followed, the token stays with the {what} URL)"
                break
            if status not in RETRIED_STATUSES:
                break
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    raise StepError(f"{what} {shown} failed: {reason} (attempts: {attempt})")
