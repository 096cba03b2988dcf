"""Where the Argo Server is and how to reach it, following the argo CLI's conventions.

Read from the environment as the argo CLI reads it; a flag overrides its variable:

| variable | flag | meaning |
|---|---|---|
| `ARGO_SERVER` | `--server` | `host:port` (a URL with `http://` or `https://` is accepted too) |
| `ARGO_NAMESPACE` | `--namespace` | the namespace; default `settings.namespace` |
| `ARGO_TOKEN` | `--token-file` | the bearer token (`Bearer ...` or bare); never printed |
| `ARGO_SECURE` | `--secure`, `--no-secure` | https (default, as in the argo CLI) or http |
| `ARGO_INSECURE_SKIP_VERIFY` | `--insecure-skip-verify` | do not verify the server's certificate |
| `ARGO_BASE_HREF` | `--base-href` | path prefix when the server sits behind an ingress |
| `ARGO_HTTP1` | | accepted; idp always uses the HTTP/1 REST API (`ARGO_HTTP1=true`) |

Booleans are read as the argo CLI reads them (`true`, `1`, `t`, `false`, `0`, `f`, ...). A CA
bundle for a private certificate authority comes from `REQUESTS_CA_BUNDLE`.

A token read from a file or a variable is cleaned as `idp.tokens.clean_token` says (one final
newline and one `Bearer ` prefix dropped; a space, a control character or one that is not
printable ASCII refused); what is left is sent as `Bearer <token>`. A token file is read up to
`MAX_TOKEN` bytes and no further (`--token-file /dev/zero`). A refusal never shows the token.

A server URL or base href with `{` or `}` in it is refused (Hera formats the URL with
`str.format`, and no Argo Server's URL holds braces). A server URL with a user name or password
in it (`http://user:pw@host`) is refused: idp authenticates with the bearer token only, and a
password in a URL ends up in messages and shell histories. The refusal does not show the URL.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from idp.argo.defaults import DEFAULT_BACKOFF, DEFAULT_RETRIES, DEFAULT_TIMEOUT
from idp.argo.errors import NoServerError, UsageError
from idp.argo.transport import Policy
from idp.settings import DNS_LABEL
from idp.tokens import MAX_TOKEN, TokenError, clean_token, scrub

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


@dataclass(frozen=True)
class Connection:
    """Everything needed to send a request; the token stays out of `repr`."""

    url: str
    namespace: str
    token: str | None = field(default=None, repr=False)
    verify: bool = True
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF

    @property
    def policy(self) -> Policy:
        return Policy(self.retries, self.backoff, self.timeout)

    @property
    def server(self) -> str:
        """The server as shown in messages: the base URL without its trailing slash."""
        return self.url.rstrip("/")

    def hide(self, text: str) -> str:
        """`text` without the token in it (with or without its `Bearer ` prefix): for text the
        server sends back, such as a step's log, before it is printed."""
        if not self.token:
            return text
        return scrub(text, [self.token, self.token.removeprefix("Bearer ")])


def parse_bool(name: str, text: str) -> bool:
    """A boolean variable, read as Go's strconv.ParseBool (what the argo CLI uses)."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"{name}={text!r}: expected true or false")


def _flag(env: Mapping[str, str], name: str, given: bool | None, default: bool) -> bool:
    if given is not None:
        return given
    text = env.get(name, "")
    return parse_bool(name, text) if text else default


def refuse_userinfo(url: str, what: str) -> None:
    """A usage error when `url` names a user or password (`user:pw@`), never showing them."""
    authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in authority:
        host = authority.rsplit("@", 1)[1]
        raise UsageError(
            f"{what}: the URL holds a user name or password (...@{host[:80]}); idp sends only "
            "the bearer token (ARGO_TOKEN or --token-file; IDP_WEBHOOK_TOKEN for trigger): "
            "remove the user and password from the URL"
        )


def server_url(server: str, secure: bool, base_href: str = "") -> str:
    """The base URL (ending in `/`) for `host:port` or a full http(s) URL."""
    text = server.strip()
    refuse_userinfo(text, "Argo Server (ARGO_SERVER or --server)")
    for what, given in (
        ("ARGO_SERVER or --server", server),
        ("ARGO_BASE_HREF or --base-href", base_href),
    ):
        if "{" in given or "}" in given:
            raise UsageError(
                f"{what} {given[:80]!r}: holds '{{' or '}}', which no Argo Server URL has "
                "(Hera fills such braces in as placeholders)"
            )
    if "://" not in text:
        text = f"{'https' if secure else 'http'}://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise UsageError(f"Argo Server {server!r}: expected host:port or an http(s) URL")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise UsageError(f"Argo Server {server!r}: the port is not a number") from None
    path = "/".join(p for p in (parts.path + "/" + base_href).split("/") if p)
    return f"{parts.scheme}://{parts.netloc}/{path + '/' if path else ''}"


def token_variable(env: Mapping[str, str], name: str) -> str:
    """The token in the variable `name`, cleaned (`idp.tokens.clean_token`); '' when unset or
    empty; a refusal is a usage error."""
    try:
        return clean_token(env.get(name, ""), name)
    except TokenError as exc:
        raise UsageError(str(exc)) from None


def read_token(path: Path, flag: str = "--token-file") -> str:
    """The token in `path`, cleaned (`idp.tokens.clean_token`), read up to `MAX_TOKEN` bytes and
    no further; unreadable, larger, refused or empty is a usage error."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_TOKEN + 1)
        if len(data) > MAX_TOKEN:
            raise UsageError(
                f"{flag} {path}: larger than {MAX_TOKEN // 1024} KiB: a token file holds one token"
            )
        token = clean_token(data.decode("utf-8"), f"{flag} {path}")
    except TokenError as exc:
        raise UsageError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"{flag} {path}: {why}") from None
    if not token:
        raise UsageError(f"{flag} {path}: the file is empty")
    return token


def resolve(
    env: Mapping[str, str],
    default_namespace: str,
    *,
    server: str | None = None,
    namespace: str | None = None,
    token_file: Path | None = None,
    secure: bool | None = None,
    insecure_skip_verify: bool | None = None,
    base_href: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
) -> Connection:
    """The connection from flags (when given) over ARGO_* variables over defaults."""
    address = server or env.get("ARGO_SERVER", "")
    if not address:
        raise NoServerError(
            "no Argo Server: set ARGO_SERVER=host:port or pass --server "
            "(for example after kubectl -n argo port-forward svc/argo-server 2746:2746)"
        )
    if env.get("ARGO_HTTP1"):
        parse_bool("ARGO_HTTP1", env["ARGO_HTTP1"])  # accepted for compatibility; always HTTP/1
    url = server_url(
        address,
        _flag(env, "ARGO_SECURE", secure, True),
        base_href if base_href is not None else env.get("ARGO_BASE_HREF", ""),
    )
    chosen = namespace or env.get("ARGO_NAMESPACE") or default_namespace
    if not re.fullmatch(DNS_LABEL, chosen):
        raise UsageError(f"namespace {chosen!r}: not a valid Kubernetes namespace name")
    if token_file:
        token: str | None = read_token(token_file)
    else:
        token = token_variable(env, "ARGO_TOKEN") or None
    verify = not _flag(env, "ARGO_INSECURE_SKIP_VERIFY", insecure_skip_verify, False)
    if not 0 < timeout < math.inf:
        raise UsageError(f"--request-timeout {timeout:g}: must be a finite number more than 0")
    if retries < 0 or not 0 <= backoff < math.inf:
        raise UsageError("--retries and --backoff must be finite numbers, 0 or more")
    return Connection(
        url=url,
        namespace=chosen,
        token=f"Bearer {token}" if token else None,
        verify=verify,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
    )


def from_args(args: argparse.Namespace, default_namespace: str) -> Connection:
    """The connection for parsed command-line flags (see `idp.argo.arguments`) and os.environ."""
    return resolve(
        os.environ,
        default_namespace,
        server=args.server,
        namespace=args.namespace,
        token_file=args.token_file,
        secure=args.secure,
        insecure_skip_verify=args.insecure_skip_verify,
        base_href=args.base_href,
        timeout=args.request_timeout,
        retries=args.retries,
        backoff=args.backoff,
    )
