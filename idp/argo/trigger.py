"""`idp trigger KIND FILE --url URL`: validate locally, then POST the request to the webhook.

The body is the file's bytes, unchanged, with `Authorization: Bearer <token>` (from
`--token-file` or `IDP_WEBHOOK_TOKEN`; never printed). The POST follows the one HTTP policy of
`idp.argo.transport`: connection errors and the answers 429, 502, 503 and 504 are retried with a
doubling delay (`--retries`, `--backoff`), honouring `Retry-After`; other answers are final;
`--timeout` bounds the whole delivery, retries included, however slowly the webhook answers.
Redirects are not followed, so the token goes only to the URL given; a URL with a user name or
password in it is refused (`idp.argo.connection`). The webhook's answer is read up to
`MAX_SHOWN` bytes (after decompression) and shown cut, escaped and without the token (a webhook
may echo the header it was sent): its status decides.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from idp.argo import transport
from idp.argo.connection import read_token, refuse_userinfo, token_variable
from idp.argo.errors import ArgoError, HttpError, UsageError, code_for_status
from idp.contract import RequestBase, parse_request
from idp.errors import EXIT_TLS, EXIT_UNREACHABLE
from idp.settings import Settings
from idp.text import one_line
from idp.tokens import scrub

TOKEN_ENV = "IDP_WEBHOOK_TOKEN"  # noqa: S105 - the name of a variable, not a secret
MAX_SHOWN = 2048
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
    """`url`, with `/<kind>` appended when it has no path; a user or password in it is refused."""
    refuse_userinfo(url, "--url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--url {url!r}: expected an http(s) URL such as http://localhost:12000")
    path = parts.path if parts.path not in ("", "/") else f"/{kind}"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def token(token_file: Path | None, env: Mapping[str, str]) -> str:
    """The bearer token, without a `Bearer ` prefix."""
    if token_file:
        return read_token(token_file)
    found = token_variable(env, TOKEN_ENV)
    if not found:
        raise UsageError(f"no webhook token: pass --token-file FILE or set {TOKEN_ENV}")
    return found


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
    """POST `body` to `url` as the module docstring says; failures raise ArgoError."""
    policy = transport.Policy(retries, backoff, timeout)
    total = retries + 1
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"}
    notify = lambda line: out(f"trigger   {line}")  # noqa: E731
    with transport.session(policy, notify, sleep) as session:
        try:
            response = transport.call(
                session,
                "POST",
                url,
                timeout,
                limit=MAX_SHOWN + len(headers["Authorization"]),  # a token at the cut: whole
                cut=True,
                data=body,
                headers=headers,
                verify=verify,
            )
        except transport.TransportError as exc:
            if exc.kind == "tls":
                raise ArgoError(
                    f"webhook {url}: TLS failed ({exc.detail}); check the URL's scheme and "
                    "certificate, or --insecure-skip-verify for a test endpoint",
                    EXIT_TLS,
                ) from None
            raise ArgoError(
                f"webhook {url}: {_problem(exc)} (--timeout {timeout:g}s, {total} attempts at "
                "most); check the URL and that the webhook service is reachable "
                "(kubectl port-forward svc/webhook-eventsource-svc)",
                EXIT_UNREACHABLE,
            ) from None
    status = response.status_code
    body_text = response.content.decode("utf-8", "replace")
    text = scrub(body_text, [bearer, headers["Authorization"]])[:MAX_SHOWN]
    attempts = transport.attempts(response)
    if status < 300:
        return Answer(status, text, attempts)
    problem = f"{status} {transport.phrase(status)}".strip()
    problem += f": {one_line(text, 200)}" if text.strip() else ""
    if 300 <= status < 400:
        hint = "the webhook redirects; use the URL it points to"
    elif status in transport.RETRY_STATUSES or status >= 500:
        hint = (
            f"after {attempts} attempts; check the EventSource's pod and logs "
            "(kubectl -n <namespace> logs -l eventsource-name=webhook)"
        )
    else:
        hint = _HINTS.get(status, "the webhook rejected the request")
    raise HttpError(f"webhook {url}: {problem}; {hint}", code_for_status(status), status)


def _problem(exc: transport.TransportError) -> str:
    if exc.kind == "timeout":
        return exc.detail
    return f"cannot connect ({exc.detail})"


def command(
    args: argparse.Namespace, settings: Settings, model: type[RequestBase], text: bytes
) -> int:
    """`idp trigger` from parsed arguments."""
    request = parse_request(
        model,
        text,
        settings.allowed_regions,
        max_bytes=settings.webhook_max_payload_bytes,
        max_ttl_hours=settings.expiry.ttl_limits,
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
        f"trigger   POST {url}: {answer.status} {transport.phrase(answer.status)} "
        f"(attempt {answer.attempts} of {args.retries + 1}), request {request.request_id}{reply}"
    )
    return 0
