"""JSON text as Go's encoding/json scanner takes it (idp.jsontext), checked without recursion."""

from __future__ import annotations

import json
import random
import re

import pytest

from idp.jsontext import MAX_GO_DEPTH, JsonTextError, decode_utf8, scan


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, -2.5e+3, 0, true, false, null, "\\u00e9\\n"]}', " \t\r\n{}\n", '"s"', "0", "[]"],
)
def test_json_values_pass(text: str) -> None:
    scan(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "unexpected end"),
        ("NaN", "NaN and Infinity"),
        ('{"a": -Infinity}', "NaN and Infinity"),
        ("\ufeff{}", "byte order mark"),
        ('{"a": 1,}', "unexpected '}'"),
        ("[1 2]", "unexpected '2'"),
        ("01", "text after the JSON value"),
        ('"tab\tinside"', "control character"),
        ('"\\x"', "bad escape"),
        ("{'a': 1}", 'unexpected "\'"'),
        ("\x0b{}", "U+000B"),  # vertical tab is no JSON white space
    ],
)
def test_text_go_refuses_is_refused_saying_why(text: str, why: str) -> None:
    with pytest.raises(JsonTextError, match=re.escape(why)):
        scan(text)


def test_the_deepest_nesting_go_takes_passes() -> None:
    # encoding/json scanner.go: maxNestingDepth = 10000 (pushParseState)
    assert scan("[" * MAX_GO_DEPTH + "]" * MAX_GO_DEPTH).depth == 10_000


def test_one_level_deeper_is_refused() -> None:
    depth = MAX_GO_DEPTH + 1
    with pytest.raises(JsonTextError, match="nested more than 10000 levels deep"):
        scan("[" * depth + "]" * depth)


def test_keys_written_with_escapes_are_reported_as_written() -> None:
    assert scan('{"a\\u0062": {"c\\"": 1}, "d": 2}').escaped_keys == ('"a\\u0062"', '"c\\""')


def test_the_scanner_agrees_with_pythons_json_on_every_text_but_nan_and_infinity() -> None:
    pieces = ["{", "}", "[", "]", ",", ":", '"a"', "1", "-1.5e3", "true", "null", " ", "0", "x"]
    chooser = random.Random(10)  # noqa: S311 - a reproducible sample, not a secret
    for _ in range(20_000):
        text = "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 8)))
        try:
            json.loads(text)
        except ValueError:
            with pytest.raises(JsonTextError):
                scan(text)
        else:
            scan(text)


def test_utf8_text_decodes_and_other_encodings_are_named() -> None:
    assert decode_utf8("é".encode()) == "é"
    with pytest.raises(JsonTextError, match="UTF-16 or UTF-32"):
        decode_utf8('{"a": 1}'.encode("utf-16-be"))
