"""The subset of gjson (tidwall/gjson v1.18 and v1.19) the Sensors read event data with.

Argo Events v1.9.10 and v1.9.11 read every data filter's path and every trigger parameter's
`dataKey` with `gjson.GetBytes` on the event data, the JSON text the webhook wrote. This module
reads that text the same way, without decoding it into Python objects first, which would lose
what gjson sees: the first of duplicate keys, numbers as written, strings as gjson unescapes
them.

Paths (anything else raises PathError; `check_path` runs when a Sensor is built):

- `a.b.c`: object keys, each made of letters, digits, `_` and `-` (a `\\.` is a dot inside a
  key); a number selects an array element. A key matches an object member whose unescaped
  name is equal; the first such member whose value holds the rest of the path wins
  (`parseObject`).
- `[a.b,!LITERAL]|0`: `a.b` where it exists, else LITERAL, a JSON string without escapes or
  an integer (`Get` with a multipath of a path and a static value, `execStatic`, then element
  0 of the array it builds). Optional fields are read this way, so that their absence passes a
  filter instead of failing it.

Values are gjson `Result`s: `string()` is `Result.String()`, `float()` is `Result.Float()` and
`value_by_key` is Argo Events' `getValueByKey` (`pkg/sensors/triggers/params.go`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

NULL, FALSE, NUMBER, STRING, TRUE, JSON = "Null", "False", "Number", "String", "True", "JSON"

_KEY = r"(?:[A-Za-z0-9_-]|\\\.)+"
_KEYS = re.compile(rf"{_KEY}(?:\.{_KEY})*")
_FIRST_OF = re.compile(rf'\[({_KEYS.pattern}),!("[^"\\\x00-\x1f]*"|-?[0-9]+)\]\|0')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SQUASH = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}()]', re.DOTALL)
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_VALUE_START = frozenset('"{[ntf+-0123456789iIN')
_SHORT_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r"}
_SHORT_ESCAPES["t"] = "\t"


class PathError(ValueError):
    """A path outside the subset this module reads exactly."""


@dataclass(frozen=True)
class Result:
    """A gjson `Result`: its type (gjson's names), raw JSON text, string and number."""

    type: str = NULL
    raw: str = ""
    text: str = ""  # gjson's Str
    num: float = 0.0

    def exists(self) -> bool:
        return self.type != NULL or self.raw != ""

    def string(self) -> str:
        """`Result.String()`."""
        if self.type == NUMBER:
            digits = self.raw[1:] if self.raw.startswith("-") else self.raw
            if self.raw and all("0" <= char <= "9" for char in digits):
                return self.raw
            return format_float(self.num)
        fixed = {FALSE: "false", TRUE: "true", STRING: self.text, JSON: self.raw}
        return fixed.get(self.type, "")

    def float(self) -> float:
        """`Result.Float()`: numbers, true as 1, a string parsed as a number, else 0."""
        if self.type == NUMBER:
            return self.num
        if self.type == TRUE:
            return 1.0
        if self.type == STRING:
            return parse_float(self.text)
        return 0.0


MISSING = Result()


def format_float(value: float) -> str:
    """Go's `strconv.FormatFloat(value, 'f', -1, 64)`: the shortest digits that read back as
    `value`, never with an exponent."""
    if value != value:  # noqa: PLR0124 - NaN
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def is_number(text: str) -> bool:
    """Whether `text` is a JSON number."""
    return _JSON_NUMBER.fullmatch(text) is not None


def parse_float(text: str) -> float:
    """Go's `strconv.ParseFloat(text, 64)` for JSON number syntax (0 on a syntax error, as
    gjson ignores the error; out of range gives an infinity, as Go does)."""
    return float(text) if is_number(text) else 0.0


def unescape(text: str) -> str:
    """gjson's `unescape` of a string's inside: it stops at a control character or a bad
    escape, and a surrogate escape takes the next `\\uXXXX` with it, U+FFFD when they are no
    pair."""
    out: list[str] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char < " ":
            break
        if char != "\\":
            out.append(char)
            at += 1
            continue
        escape = text[at + 1 : at + 2]
        if escape in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[escape])
            at += 2
            continue
        if escape != "u" or at + 6 > len(text):
            break
        code = _hex(text[at + 2 : at + 6])
        at += 6
        if 0xD800 <= code < 0xE000 and text[at : at + 2] == "\\u" and at + 6 <= len(text):
            low = _hex(text[at + 2 : at + 6])
            at += 6
            if 0xD800 <= code < 0xDC00 and 0xDC00 <= low < 0xE000:  # utf16.DecodeRune
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            else:
                code = 0xFFFD
        out.append(_rune(code))
    return "".join(out)


def _hex(digits: str) -> int:
    try:
        return int(digits, 16)
    except ValueError:
        return 0


def _rune(code: int) -> str:
    """Go's `utf8.EncodeRune`: a surrogate or a number past U+10FFFF becomes U+FFFD."""
    return "\ufffd" if 0xD800 <= code < 0xE000 or code > 0x10FFFF else chr(code)


def _string(raw: str) -> Result:
    inside = raw[1:-1]
    return Result(STRING, raw, unescape(inside) if "\\" in inside else inside)


def _number(raw: str) -> Result:
    return Result(NUMBER, raw, num=parse_float(raw))


def _squash_end(text: str, at: int) -> int:
    """The end of the object or array opening at `at` (gjson's `parseSquash`)."""
    depth = 0
    for token in _SQUASH.finditer(text, at):
        symbol = token.group()
        if symbol in "[{(":
            depth += 1
        elif symbol in "]})":
            depth -= 1
            if depth == 0:
                return token.end()
    return len(text)


def _scalar_end(text: str, at: int) -> int:
    """The end of a number (gjson's `parseNumber`) or a literal (`parseLiteral`)."""
    end = at + 1
    if text[at] in "tf" or text[at : at + 2] == "nu":
        while end < len(text) and "a" <= text[end] <= "z":
            end += 1
    else:
        while end < len(text) and text[end] > " " and text[end] not in ",]}":
            end += 1
    return end


def _value(text: str, at: int, rest: tuple[str, ...], hit: bool) -> tuple[int, Result | None]:
    """The value starting at `at`: its end, and the result when it is (or holds) the target."""
    char = text[at]
    if char in "{[":
        if not hit and rest:
            descend = _object if char == "{" else _array
            return descend(text, at + 1, rest)
        end = _squash_end(text, at)
        return end, Result(JSON, text[at:end]) if hit else None
    if char == '"':
        found = _STRING.match(text, at)
        end = found.end() if found else len(text)
        return end, _string(text[at:end]) if hit else None
    end = _scalar_end(text, at)
    if not hit:
        return end, None
    raw = text[at:end]
    kinds = {"t": TRUE, "f": FALSE}
    if char in kinds or raw.startswith("nu"):
        return end, Result(kinds.get(char, NULL), raw)
    return end, _number(raw)


def _next_value(text: str, at: int, closing: str) -> tuple[int, bool]:
    """Where the next value starts (True), or where the container ends (False)."""
    while at < len(text):
        if text[at] in _VALUE_START:
            return at, True
        if text[at] == closing:
            return at + 1, False
        at += 1
    return at, False


def _object(text: str, at: int, keys: tuple[str, ...]) -> tuple[int, Result | None]:
    part, rest = keys[0], keys[1:]
    while at < len(text):
        while at < len(text) and text[at] != '"':
            if text[at] == "}":
                return at + 1, None
            at += 1
        found = _STRING.match(text, at)
        if not found:
            return len(text), None
        matched = _string(found.group()).text == part
        start, more = _next_value(text, found.end(), "}")
        if not more:
            return start, None
        at, result = _value(text, start, rest if matched else (), matched and not rest)
        if result is not None:
            return at, result
    return at, None


def _array(text: str, at: int, keys: tuple[str, ...]) -> tuple[int, Result | None]:
    part, rest = keys[0], keys[1:]
    wanted = int(part) if part.isascii() and part.isdigit() else -1
    index = 0
    while True:
        start, more = _next_value(text, at, "]")
        if not more:
            return start, None
        matched = index == wanted
        index += 1
        at, result = _value(text, start, rest if matched else (), matched and not rest)
        if result is not None:
            return at, result


def members(text: str) -> Iterator[tuple[str, Result]]:
    """The members of the JSON object `text`, in order: each key as written, and its value."""
    at = text.find("{") + 1
    while 0 < at < len(text):
        while at < len(text) and text[at] not in '"}':
            at += 1
        found = _STRING.match(text, at)
        if not found:
            return
        start, more = _next_value(text, found.end(), "}")
        if not more:
            return
        at, result = _value(text, start, (), True)
        if result is not None:
            yield found.group(), result


@dataclass(frozen=True)
class Path:
    """A checked path: its keys, and the static value when it is `[keys,!LITERAL]|0`."""

    keys: tuple[str, ...]
    default: Result | None = None


@cache
def keys_of(path: str) -> tuple[str, ...]:
    """The keys of a dotted path (`\\.` is a dot inside a key), or PathError."""
    if not _KEYS.fullmatch(path):
        raise PathError(
            f"path {path!r}: only keys of letters, digits, '_' and '-' joined by dots "
            "(or [path,!default]|0) are read exactly; wildcards, queries and modifiers are not"
        )
    return tuple(key.replace("\\.", ".") for key in re.split(r"(?<!\\)\.", path))


@cache
def compile_path(path: str) -> Path:
    first_of = _FIRST_OF.fullmatch(path)
    if first_of:
        literal = first_of.group(2)
        default = _string(literal) if literal.startswith('"') else _number(literal)
        return Path(keys_of(first_of.group(1)), default)
    return Path(keys_of(path))


def check_path(path: str) -> str:
    """`path` itself when this module reads it as gjson does; PathError otherwise."""
    compile_path(path)
    return path


def get(text: str, path: str) -> Result:
    """`gjson.Get(text, path)` for a path of the subset."""
    compiled = compile_path(path)
    result: Result | None = None
    for at, char in enumerate(text):
        if char in "{[":
            descend = _object if char == "{" else _array
            result = descend(text, at + 1, compiled.keys)[1]
            break
    if result is None and compiled.default is not None:
        return compiled.default
    return result or MISSING


def value_by_key(text: str, key: str) -> str | None:
    """Argo Events' `getValueByKey`: objects and arrays as raw JSON, null as `null`, other
    values as `String()`; None when the key does not exist."""
    result = get(text, key)
    if not result.exists():
        return None
    return result.raw if result.type in (JSON, NULL) else result.string()
