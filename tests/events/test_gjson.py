"""The gjson subset the Sensors read event data with (events.gjson), rule by rule.

Upstream: tidwall/gjson v1.18.0 and v1.19.0 (Argo Events v1.9.10 and v1.9.11), `gjson.go`; and
Argo Events v1.9.11 `pkg/sensors/triggers/params.go`, `getValueByKey`.
"""

from __future__ import annotations

import pytest

from events import gjson

DOC = (
    '{"header":{"Content-Type":["application/json"],"body":["not this one"]},'
    '"body":{"id":"first","n":3.0,"m":1e5,"z":null,"id":"second","big":123456789012345678901,'
    '"neg":-0.0,"t":true,"f":false,"o":{"x":[1,{"y":"deep"}]},"esc":"a\\u00e9\\/\\n",'
    '"lt":"\\u003c","a":1,"a":{"b":2}}}'
)


def test_the_first_of_duplicate_keys_is_read() -> None:
    # gjson.go parseObject: returns at the first member whose name matches
    assert gjson.get(DOC, "body.id").string() == "first"


def test_a_later_duplicate_is_read_when_only_it_holds_the_rest_of_the_path() -> None:
    # gjson.go parseObject: a matching member without the rest of the path is passed over
    assert gjson.get(DOC, "body.a.b").string() == "2"


def test_a_key_matches_the_unescaped_member_name() -> None:
    # gjson.go parseObject: `rp.part == unescape(key)` for a name written with escapes
    assert gjson.get('{"body":{"request\\u005fid":"x"}}', "body.request_id").string() == "x"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("body.n", "3"),  # Result.String: not all digits -> strconv.FormatFloat(f, 'f', -1, 64)
        ("body.m", "100000"),
        ("body.big", "123456789012345678901"),  # all digits: the raw text, no float rounding
        ("body.neg", "-0"),
        ("body.t", "true"),
        ("body.f", "false"),
        ("body.z", ""),  # Result.String of null
        ("body.o", '{"x":[1,{"y":"deep"}]}'),  # objects: the raw JSON text
        ("body.o.x.1.y", "deep"),  # a number selects an array element
        ("body.esc", "aé/\n"),
        ("body.lt", "<"),
    ],
)
def test_string_is_gjsons_string(path: str, text: str) -> None:
    assert gjson.get(DOC, path).string() == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.0, "3"),
        (1e5, "100000"),
        (1e21, "1000000000000000000000"),
        (1e-7, "0.0000001"),
        (0.1, "0.1"),
        (-0.0, "-0"),
        (123456789.125, "123456789.125"),
        (float("inf"), "+Inf"),  # 1e400: ParseFloat's +Inf, which gjson keeps
        (5e-324, "0." + "0" * 323 + "5"),
    ],
)
def test_format_float_is_gos_shortest_f_format(value: float, text: str) -> None:
    # strconv.FormatFloat(f, 'f', -1, 64)
    assert gjson.format_float(value) == text


def test_value_by_key_passes_null_as_the_text_null() -> None:
    # params.go getValueByKey: a Null result gives its raw JSON, "null"
    assert gjson.value_by_key(DOC, "body.z") == "null"


def test_value_by_key_passes_objects_as_raw_json_and_scalars_as_string() -> None:
    assert gjson.value_by_key(DOC, "body.o") == '{"x":[1,{"y":"deep"}]}'
    assert gjson.value_by_key(DOC, "body.n") == "3"
    assert gjson.value_by_key(DOC, "body.lt") == "<"


def test_value_by_key_of_a_missing_key_is_none() -> None:
    assert gjson.value_by_key(DOC, "body.nothing") is None
    assert not gjson.get(DOC, "body.nothing").exists()


def test_null_exists() -> None:
    # gjson.go Result.Exists: a Null with raw text exists
    assert gjson.get(DOC, "body.z").exists()


@pytest.mark.parametrize(
    ("escaped", "text"),
    [
        ("\\ud83d\\ude00", "\U0001f600"),  # a surrogate pair
        ("\\ud800x", "\ufffdx"),  # a lone surrogate: utf8.EncodeRune writes U+FFFD
        ("\\ud800\\u0041", "\ufffd"),  # no low surrogate: utf16.DecodeRune gives U+FFFD,
        # and the second escape is taken with it
        ("\\udc00\\ud800", "\ufffd"),
        ('\\"\\\\\\b\\f\\r\\t', '"\\\b\f\r\t'),
    ],
)
def test_unescape_is_gjsons(escaped: str, text: str) -> None:
    # gjson.go unescape
    assert gjson.get(f'{{"s":"{escaped}"}}', "s").string() == text


def test_float_reads_numbers_true_and_numeric_strings() -> None:
    # gjson.go Result.Float: a string is parsed (0 when it is no number), true is 1
    doc = '{"a":2.5,"b":"3","c":"x","d":true,"e":{"k":1}}'
    assert [gjson.get(doc, k).float() for k in "abcde"] == [2.5, 3.0, 0.0, 1.0, 0.0]


def test_first_of_reads_the_field_when_present() -> None:
    # Get: a multipath `[a,!1]` builds [a's raw text, 1]; `|0` takes its first element
    assert gjson.get(DOC, "[body.n,!7]|0").string() == "3"


def test_first_of_reads_the_static_value_when_the_field_is_absent() -> None:
    # execStatic: `!7` is the number 7, `!"x"` the string x
    assert gjson.get(DOC, "[body.q,!7]|0").string() == "7"
    assert gjson.get(DOC, '[body.q,!"x"]|0').string() == "x"


def test_first_of_a_null_field_is_null_not_the_default() -> None:
    result = gjson.get(DOC, '[body.z,!"x"]|0')
    assert (result.type, result.raw) == (gjson.NULL, "null")


@pytest.mark.parametrize(
    "path",
    [
        "body.*",
        "body.a?",
        "body.#",
        "body.#(a==1)",
        "@reverse",
        "body|@this",
        "body.@this",
        "[body.a,body.b]",
        "{body.a}",
        "body..a",
        "",
        "!true",
        "[body.a,!true]|0",
    ],
)
def test_paths_outside_the_subset_are_refused(path: str) -> None:
    with pytest.raises(gjson.PathError):
        gjson.check_path(path)


def test_an_escaped_dot_is_part_of_the_key() -> None:
    assert gjson.keys_of(r"header.X-Request\.Id.0") == ("header", "X-Request.Id", "0")


def test_members_lists_an_objects_members_as_written() -> None:
    found = [(k, v.raw) for k, v in gjson.members('{"a":1,"a":[2],"b\\n":"c"}')]
    assert found == [('"a"', "1"), ('"a"', "[2]"), ('"b\\n"', '"c"')]
