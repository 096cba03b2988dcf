"""What the webhook makes of a POSTed body (events.delivery).

Upstream: Argo Events v1.9.11 `pkg/eventsources/sources/webhook/start.go`, `GetBody`
(`http.MaxBytesReader`) and `HandleRoute` (`json.Marshal` of `WebhookEventData` with the body as
a `json.RawMessage`: Go's `encoding/json` compacts it with HTML escaping, `appendCompact`).
"""

from __future__ import annotations

import json

import pytest

from events.delivery import Refused, body_text, event_data, go_compact


def test_whitespace_between_tokens_goes_and_whitespace_in_strings_stays() -> None:
    assert go_compact(' {\n\t"a" : [ 1 , "x  y" ] }\r\n') == '{"a":[1,"x  y"]}'


def test_html_characters_and_line_separators_are_escaped() -> None:
    text = json.dumps({"a": "<b> & \u2028\u2029"}, ensure_ascii=False)
    assert go_compact(text) == '{"a":"\\u003cb\\u003e \\u0026 \\u2028\\u2029"}'


def test_order_duplicates_number_text_and_escapes_are_kept_as_sent() -> None:
    text = '{"b": 1.50, "a": 1E5, "b": "\\u0061\\/"}'
    assert go_compact(text) == '{"b":1.50,"a":1E5,"b":"\\u0061\\/"}'


def test_a_body_of_exactly_the_payload_cap_is_taken() -> None:
    assert body_text(b"{}".ljust(100), 100) == "{}"


def test_a_body_one_byte_longer_is_refused() -> None:
    with pytest.raises(Refused, match=r"maxPayloadSize \(100 bytes\)"):
        body_text(b"{}".ljust(101), 100)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\xef\xbb\xbf{}", "byte order mark"),
        ('{"a": 1}'.encode("utf-16"), "UTF-16 or UTF-32"),
        ('{"a": 1}'.encode("utf-32-le"), "UTF-16 or UTF-32"),
        (b'{"a": NaN}', "NaN and Infinity"),
        (b"", "unexpected end"),
        (b"[" * 10_001 + b"]" * 10_001, "nested more than 10000 levels"),
    ],
)
def test_text_gos_json_marshal_refuses_is_refused(body: bytes, why: str) -> None:
    with pytest.raises(Refused, match=why):
        body_text(body, 1 << 20)


def test_bytes_that_are_not_utf8_pass_the_webhook_and_read_as_replacement_characters() -> None:
    # Go's scanner does not check UTF-8 inside strings; Go's regexp reads a bad byte as U+FFFD
    assert body_text(b'{"a":"x\xffy"}', 100) == '{"a":"x\ufffdy"}'


def test_the_event_data_is_the_header_then_the_body() -> None:
    data = event_data(b'{"a": 1}', 100, {"X-B": ["2"], "Content-Type": ["application/json"]})
    assert data == '{"header":{"Content-Type":["application/json"],"X-B":["2"]},"body":{"a":1}}'
