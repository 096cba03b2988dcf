"""Secrets as idp reads and shows them: a token read from a file or a variable, made usable or
refused; and text scrubbed of secrets before anyone sees it.

One rule for every secret idp reads, on the workstation (`ARGO_TOKEN`, `--token-file`,
`IDP_WEBHOOK_TOKEN`) and in a step's pod (the callback token and the SMTP password, from
Kubernetes Secrets). Where the client and the step programs had rules of their own, the stricter
one holds:

- one final line break is dropped (`\\n` or `\\r\\n`, what `kubectl create secret --from-file`
  of an echoed file holds); a lone final `\\r` is refused with the other control characters;
- any character that is not printable ASCII is refused (the step programs used to let a
  non-ASCII character through; a header value and SMTP AUTH carry ASCII only);
- a value longer than `MAX_TOKEN` is refused, on the workstation as in a pod;
- a bearer token also loses surrounding spaces and one `Bearer ` prefix (in any case, as the
  argo CLI's `ARGO_TOKEN="Bearer ..."` carries it), and a space left inside is refused (another
  scheme, or `Bearer` twice); a password keeps its spaces.

A refusal (`TokenError`) names where the value came from, never the value.

`scrub` replaces every occurrence of each secret, longest first (so that a secret that holds
another leaves no tail of itself), and skips empty ones (which would match everywhere).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_TOKEN = 16 * 1024  # a Kubernetes ServiceAccount token is about 1 KiB, an SSO one a few
REDACTED = "[redacted]"
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")
_SCHEME = re.compile(r"bearer +", re.IGNORECASE)


class TokenError(ValueError):
    """A secret that cannot be used; the message names its source, never the secret."""


def clean_secret(value: str, source: str) -> str:
    """`value` without one final line break; refused when longer than `MAX_TOKEN` or holding
    anything but printable ASCII (see the module docstring)."""
    if len(value) > MAX_TOKEN:
        raise TokenError(f"{source}: longer than {MAX_TOKEN // 1024} KiB: not a token")
    text = value.removesuffix("\n").removesuffix("\r") if value.endswith("\n") else value
    if _NOT_PRINTABLE_ASCII.search(text):
        raise TokenError(
            f"{source}: holds a control character or one that is not ASCII (a line break or "
            "tab inside, or more than one final newline; not shown); write it alone on one line"
        )
    return text


def clean_token(value: str, source: str) -> str:
    """A bearer token as `clean_secret` cleans it, without surrounding spaces and one `Bearer `
    prefix; refused when a space is left inside. `''` for an empty value."""
    text = clean_secret(value, source).strip(" ")
    scheme = _SCHEME.match(text)
    if scheme:
        text = text[scheme.end() :].strip(" ")
    if " " in text:
        raise TokenError(
            f"{source}: the token holds a space: give the bearer token alone, with or without "
            "one 'Bearer ' in front (it is sent as 'Bearer <token>'; another scheme, such as "
            "Basic, is not used)"
        )
    return text


def scrub(text: str, secrets: Iterable[str], replacement: str = REDACTED) -> str:
    """`text` with every occurrence of each non-empty secret replaced, longest first."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, replacement)
    return text
