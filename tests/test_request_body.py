"""How a request body is read (idp.contract.parse_request): the webhook's rules first, then the
contract's own. `idp validate`, `idp render`'s note and the validate step all read it this way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from idp.contract import (
    MAX_DEPTH,
    ComputeRequest,
    DatabaseRequest,
    RequestError,
    decode_json,
    parse_request,
    request_schema,
)
from idp.settings import DEFAULT_REGIONS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "requests"
COMPUTE = (EXAMPLES / "compute.json").read_text()


def problems(payload: str | bytes, **options: Any) -> list[str]:
    with pytest.raises(RequestError) as caught:
        parse_request(ComputeRequest, payload, **options)
    return caught.value.problems


def with_field(text: str, field: str, raw_value: str) -> str:
    """`text` with a member added first, written exactly as given."""
    return text.replace("{", f'{{"{field}": {raw_value},', 1)


def test_a_body_at_the_payload_cap_is_read() -> None:
    body = COMPUTE.encode().ljust(1024, b" ")
    assert parse_request(ComputeRequest, body, max_bytes=1024).name == "web-frontend"


def test_a_body_one_byte_over_the_payload_cap_is_refused() -> None:
    body = COMPUTE.encode().ljust(1025, b" ")
    assert problems(body, max_bytes=1024) == [
        "(request): larger than the webhook's maxPayloadSize of 1024 bytes"
    ]


def test_a_utf8_byte_order_mark_is_refused() -> None:
    # Go's JSON scanner (json.Marshal of the body in webhook/start.go, HandleRoute) refuses it
    (line,) = problems(b"\xef\xbb\xbf" + COMPUTE.encode())
    assert "byte order mark" in line


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_text_is_refused(encoding: str) -> None:
    assert problems(COMPUTE.encode(encoding)) == [
        "(request): UTF-16 or UTF-32 text: the webhook takes UTF-8 JSON only"
    ]


def test_bytes_that_are_not_utf8_are_refused_with_their_offset() -> None:
    body = COMPUTE.replace("Ada", "Ad\udcff", 1).encode("utf-8", "surrogateescape")
    (line,) = problems(body)
    assert line.startswith("(request): not UTF-8: byte 0xff at offset")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(number: str) -> None:
    (line,) = problems(with_field(COMPUTE, "node_count", number))
    assert "NaN and Infinity are not JSON numbers" in line


def test_nesting_beyond_the_bound_is_an_invalid_request_not_a_crash() -> None:
    deep = "[" * 5000 + "]" * 5000
    assert problems(with_field(COMPUTE, "x", deep)) == [
        "(request): nested 5001 levels deep; a request is one flat JSON object"
    ]


def test_nesting_within_the_bound_is_reported_per_field() -> None:
    nested = "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1)
    (line,) = problems(with_field(COMPUTE, "vm_size", nested))
    assert line.startswith("vm_size: Input should be a valid string")


def test_a_field_given_twice_is_refused_naming_it() -> None:
    # the Sensor's gjson reads the first, Python's json the last: neither may decide
    body = with_field(COMPUTE, "request_id", '"another-one"')
    assert problems(body) == ["request_id: given more than once; each field may appear only once"]


def test_decoding_keeps_the_first_of_duplicate_keys_as_the_sensor_does() -> None:
    decoded = decode_json('{"a": 1, "a": 2, "b": {"c": 1, "c": 2}}')
    assert decoded.data == {"a": 1, "b": {"c": 1}}
    assert decoded.duplicates == ("c", "a")


def test_a_field_name_written_with_escapes_is_refused() -> None:
    body = COMPUTE.replace('"name"', '"n\\u0061me"', 1)
    (line,) = problems(body)
    assert line.startswith('name: the field name is written with escapes ("n\\u0061me")')


@pytest.mark.parametrize("field", ["vm_size", "node_count", "action", "request_id"])
def test_null_is_refused_in_every_field(field: str) -> None:
    body = json.dumps({**json.loads(COMPUTE), field: None})
    assert (
        f"{field}: Value error, must not be null: leave the field out for its default"
        in (problems(body)[0])
    )


def test_an_optional_field_left_out_takes_its_default() -> None:
    text = (EXAMPLES / "database.json").read_text()
    request = parse_request(DatabaseRequest, text)
    assert isinstance(request, DatabaseRequest)
    assert request.sku is None


def test_the_schema_does_not_offer_null() -> None:
    sku = request_schema(DatabaseRequest, DEFAULT_REGIONS)["properties"]["sku"]
    assert sku["type"] == "string"
    assert "anyOf" not in sku
    assert "default" not in sku


def test_the_replacement_character_is_refused() -> None:
    body = json.dumps({**json.loads(COMPUTE), "requester_name": "Ad\ufffd"})
    assert "requester_name: Value error, must not contain" in problems(body)[0]


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\u0085", "\u2028"])
def test_invisible_and_bidirectional_characters_are_refused_in_a_name(char: str) -> None:
    body = json.dumps({**json.loads(COMPUTE), "requester_name": f"Ada{char}"})
    assert problems(body)[0].startswith("requester_name: Value error, must be printable")


def test_a_very_long_integer_is_refused_as_a_number_not_a_crash() -> None:
    body = COMPUTE.replace('"node_count": 3', '"node_count": ' + "9" * 5000)
    (line,) = problems(body)
    assert line.startswith("node_count: Input should be a valid integer")
