"""`idp trigger KIND FILE --url URL`: validate locally, then POST the request to the webhook.

The body is the file's bytes, unchanged, with `Authorization: Bearer <token>` (from
`--token-file` or `IDP_WEBHOOK_TOKEN`; never printed). Each attempt has a timeout; connection
errors, timeouts and 5xx answers are retried a bounded number of times with exponential
backoff (honouring a `Retry-After` in seconds, up to the cap); 4xx answers are final. Redirects
are not followed, so the token goes only to the URL given. Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import os
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from idp.argo.connection import read_token
from idp.argo.errors import ArgoError, HttpError, UsageError, code_for_status, one_line, reason
from idp.contract import RequestBase, parse_request
from idp.errors import EXIT_TLS, EXIT_UNREACHABLE
from idp.settings import Settings

TOKEN_ENV = "IDP_WEBHOOK_TOKEN"  # noqa: S105 - the name of a variable, not a secret
MAX_DELAY = 30.0
Print = Callable[[str], None]
_HINTS = {
    401: f"check the token (--token-file or {TOKEN_ENV}) against the webhook's token Secret",
    403: f"check the token (--token-file or {TOKEN_ENV}) against the webhook's token Secret",
    404: "check the URL: the webhook serves one endpoint per kind (/compute, /storage, ...)",
    413: "the body is larger than the webhook accepts (webhook_max_payload_bytes)",
}


@dataclass(frozen=True)
class Answer:
    """The webhook's final answer."""

    status: int
    body: str
    attempts: int


def endpoint(url: str, kind: str) -> str:
    """`url`, with `/<kind>` appended when it has no path."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--url {url!r}: expected an http(s) URL such as http://localhost:12000")
    path = parts.path if parts.path not in ("", "/") else f"/{kind}"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def token(token_file: Path | None, env: Mapping[str, str]) -> str:
    """The bearer token, without a `Bearer ` prefix."""
    found = read_token(token_file) if token_file else env.get(TOKEN_ENV, "").strip()
    if not found:
        raise UsageError(f"no webhook token: pass --token-file FILE or set {TOKEN_ENV}")
    return found.removeprefix("Bearer ").strip()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener(verify: bool) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return urllib.request.build_opener(_NoRedirect(), urllib.request.HTTPSHandler(context=context))


def _attempt(
    opener: urllib.request.OpenerDirector, request: urllib.request.Request, timeout: float
) -> tuple[int, str, str | None]:
    """(status, body, Retry-After); raises OSError for a transport failure."""
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(2048).decode("utf-8", "replace"), None
    except urllib.error.HTTPError as exc:
        body = exc.read(2048).decode("utf-8", "replace") if exc.fp else ""
        return exc.code, body, exc.headers.get("Retry-After") if exc.headers else None


def _is_tls(exc: BaseException) -> bool:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, ssl.SSLError | ssl.CertificateError)


def _why(exc: BaseException) -> str:
    cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return reason(cause) if isinstance(cause, BaseException) else one_line(str(cause), 160)


def _delay(backoff: float, attempt: int, retry_after: str | None) -> float:
    delay = backoff * 2.0 ** (attempt - 1)
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, float(retry_after))
    return min(delay, MAX_DELAY)


def post(
    url: str,
    body: bytes,
    bearer: str,
    *,
    timeout: float,
    retries: int,
    backoff: float,
    verify: bool = True,
    out: Print = print,
    sleep: Callable[[float], None] = time.sleep,
) -> Answer:
    """POST `body` to `url`, retrying as the module docstring says; errors raise ArgoError."""
    opener = _opener(verify)
    total = retries + 1
    for attempt in range(1, total + 1):
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked by `endpoint`
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"},
        )
        retry_after = None
        try:
            status, text, retry_after = _attempt(opener, request, timeout)
        except (OSError, http.client.HTTPException) as exc:
            if _is_tls(exc):
                raise ArgoError(
                    f"webhook {url}: TLS failed ({_why(exc)}); check the URL's scheme and "
                    "certificate, or --insecure-skip-verify for a test endpoint",
                    EXIT_TLS,
                ) from None
            problem, status, text = f"cannot connect ({_why(exc)})", 0, ""
        else:
            if status < 300:
                return Answer(status, text, attempt)
            phrase = _phrase(status)
            problem = f"{status} {phrase}" + (f": {one_line(text, 200)}" if text.strip() else "")
            if status < 500:
                hint = _HINTS.get(status, "the webhook rejected the request")
                if 300 <= status < 400:
                    hint = "the webhook redirects; use the URL it points to"
                raise HttpError(
                    f"webhook {url}: {problem}; {hint}", code_for_status(status), status
                )
        if attempt == total:
            if status:
                raise HttpError(
                    f"webhook {url}: {problem} after {total} attempts; check the EventSource's "
                    "pod and logs (kubectl -n <namespace> logs -l eventsource-name=webhook)",
                    code_for_status(status),
                    status,
                )
            raise ArgoError(
                f"webhook {url}: {problem} after {total} attempts; check the URL and that the "
                "webhook service is reachable (kubectl port-forward svc/webhook-eventsource-svc)",
                EXIT_UNREACHABLE,
            )
        delay = _delay(backoff, attempt, retry_after)
        out(f"trigger   attempt {attempt} of {total}: {problem}; retrying in {delay:g}s")
        sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def command(
    args: argparse.Namespace, settings: Settings, model: type[RequestBase], text: bytes
) -> int:
    """`idp trigger` from parsed arguments."""
    if args.retries < 0 or args.timeout <= 0 or args.backoff < 0:
        raise UsageError("--retries and --backoff must be 0 or more, --timeout more than 0")
    request = parse_request(
        model, text, settings.allowed_regions, max_bytes=settings.webhook_max_payload_bytes
    )
    url = endpoint(args.url, model.kind)
    bearer = token(args.token_file, os.environ)
    answer = post(
        url,
        text,
        bearer,
        timeout=args.timeout,
        retries=args.retries,
        backoff=args.backoff,
        verify=not args.insecure_skip_verify,
    )
    reply = f": {one_line(answer.body, 200)}" if answer.body.strip() else ""
    print(
        f"trigger   POST {url}: {answer.status} {_phrase(answer.status)} "
        f"(attempt {answer.attempts} of {args.retries + 1}), request {request.request_id}{reply}"
    )
    return 0
