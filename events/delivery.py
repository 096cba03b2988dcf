"""What the webhook EventSource makes of a POSTed body: a refusal, or the event data a Sensor reads.

Argo Events v1.9.11, `pkg/eventsources/sources/webhook/start.go`:

- `GetBody` reads a JSON (any non-form) body through `http.MaxBytesReader(maxPayloadSize)`:
  a longer body is refused (400, "request body too large"); one of exactly that size passes;
- `HandleRoute` wraps it as a `json.RawMessage` into `WebhookEventData{Header, Body}` and
  `json.Marshal`s that. Marshal refuses (400) a body Go's JSON scanner refuses
  (`idp.jsontext`), and writes the body compacted (`encoding/json`'s `appendCompact` with HTML
  escaping): whitespace between tokens dropped, `<`, `>`, `&`, U+2028 and U+2029 written as
  `\\u003c`, `\\u003e`, `\\u0026`, `\\u2028`, `\\u2029`; everything else exactly as sent: key
  order, duplicate keys, the text of numbers, other escapes. The header map comes first, its
  keys sorted.

The event travels through the EventBus as CloudEvent data without change, and the Sensor reads
it with gjson (`events.gjson`). Go's scanner does not check UTF-8: bytes that are not UTF-8 are
read here as U+FFFD, which is what Go's regexp sees in them, and every filter refuses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from idp.jsontext import WIDE_TEXT, JsonTextError, is_wide, scan

BODY = "body"  # the event data's key of the body: `WebhookEventData.Body`
JSON_HEADERS: Mapping[str, Sequence[str]] = {"Content-Type": ["application/json"]}

_TOKENS = re.compile(r'("(?:[^"\\]|\\.)*")|[ \t\n\r]+', re.DOTALL)
_HTML = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


class Refused(Exception):
    """The webhook answers 400 and makes no event; the message says why."""


def go_compact(text: str) -> str:
    """JSON text as `json.Marshal` writes a `json.RawMessage` holding it (`text` is valid)."""
    compacted = _TOKENS.sub(lambda found: found.group(1) or "", text)
    return compacted.translate(_HTML)


def _header_json(header: Mapping[str, Sequence[str]]) -> str:
    ordered = {name: list(header[name]) for name in sorted(header)}
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).translate(_HTML)


def body_text(body: bytes | str, max_bytes: int) -> str:
    """The body as the Sensor sees it (compacted), or Refused as the webhook answers."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if len(raw) > max_bytes:
        raise Refused(f"the body is larger than the endpoint's maxPayloadSize ({max_bytes} bytes)")
    text = raw.decode("utf-8", "replace")
    try:
        scan(text)
    except JsonTextError as exc:
        raise Refused(f"not JSON: {WIDE_TEXT if is_wide(raw) else exc}") from None
    return go_compact(text)


def event_data(
    body: bytes | str, max_bytes: int, header: Mapping[str, Sequence[str]] = JSON_HEADERS
) -> str:
    """The event data the Sensor receives for a POST of `body` (the JSON text it reads)."""
    return f'{{"header":{_header_json(header)},"{BODY}":{body_text(body, max_bytes)}}}'
