"""JSON text as the webhook reads it: UTF-8, and the syntax Go's encoding/json accepts.

The webhook EventSource (Argo Events v1.9.11, `pkg/eventsources/sources/webhook/start.go`,
`HandleRoute` and `GetBody`) reads at most `maxPayloadSize` bytes and wraps the body, as a
`json.RawMessage`, into the event with `json.Marshal`. Marshal checks the body with Go's JSON
scanner and answers 400 when it fails, so no event is made of a body the scanner refuses:

- anything but one RFC 8259 JSON value between optional space, tab, CR and LF: no NaN or
  Infinity, no byte order mark, no UTF-16 or UTF-32 text, no raw control character in a string;
- nesting deeper than 10,000 objects and arrays (`maxNestingDepth` in Go's `scanner.go`).

Python's json module takes more (NaN, Infinity, UTF-16 and UTF-32 bytes) and fails with a
RecursionError on deep nesting, so bodies are checked here first, without recursion. Go's
scanner does not check that strings are UTF-8; the request contract does (`decode_utf8`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_GO_DEPTH = 10_000

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERAL = re.compile(r"true|false|null")
_NOT_NUMBERS = re.compile(r"[-+]?(?:NaN|Infinity|inf)")
_UTF16_32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\xfe\xff", b"\xff\xfe")


class JsonTextError(ValueError):
    """Text the webhook refuses; the message says why and where."""


@dataclass(frozen=True)
class Scanned:
    """What a successful scan found besides validity."""

    depth: int
    escaped_keys: tuple[str, ...]  # object keys written with escapes, as written (raw JSON)


WIDE_TEXT = "UTF-16 or UTF-32 text: the webhook takes UTF-8 JSON only"


def is_wide(raw: bytes) -> bool:
    """Whether `raw` looks like UTF-16 or UTF-32 (a byte order mark, or a NUL byte among the
    first four: JSON text starts with two ASCII characters)."""
    return raw.startswith(_UTF16_32_BOMS) or b"\x00" in raw[:4]


def decode_utf8(raw: bytes) -> str:
    """`raw` as UTF-8 text, or JsonTextError naming the encoding it is in instead."""
    if is_wide(raw):
        raise JsonTextError(WIDE_TEXT)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonTextError(
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} starts no character"
        ) from None


def _skip(text: str, at: int) -> int:
    """The offset of the first character at or after `at` that is not JSON whitespace."""
    found = _WHITESPACE.match(text, at)
    return found.end() if found else at


def _describe(text: str, at: int) -> str:
    if at >= len(text):
        return "unexpected end of the JSON text"
    char = text[at]
    if char == "\ufeff":
        return f"a byte order mark (U+FEFF) at offset {at}: the webhook takes JSON without one"
    if char == '"' and not _STRING.match(text, at):
        return f"a string with a control character, a bad escape or no end at offset {at}"
    if _NOT_NUMBERS.match(text, at):
        return f"NaN and Infinity are not JSON numbers (offset {at})"
    shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
    return f"unexpected {shown} at offset {at}"


class _Scanner:
    """One pass over the text, without recursion: a stack of the open containers."""

    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.max_depth = max_depth
        self.stack: list[str] = []  # "{" or "[" per open container
        self.escaped: list[str] = []
        self.deepest = 0
        self.at = _skip(text, 0)

    def fail(self) -> JsonTextError:
        return JsonTextError(_describe(self.text, self.at))

    def key(self) -> None:
        """An object key and its colon."""
        found = _STRING.match(self.text, self.at)
        if not found:
            raise self.fail()
        if "\\" in found.group():
            self.escaped.append(found.group())
        self.at = _skip(self.text, found.end())
        if self.text[self.at : self.at + 1] != ":":
            raise self.fail()
        self.at = _skip(self.text, self.at + 1)

    def value(self) -> str:
        """A scalar or an empty container ("done"), or the opening of a container: what comes
        next in it ("key" or "value")."""
        char = self.text[self.at : self.at + 1]
        if char in ("{", "["):
            self.stack.append(char)
            self.deepest = max(self.deepest, len(self.stack))
            if len(self.stack) > self.max_depth:
                raise JsonTextError(
                    f"nested more than {self.max_depth} levels deep (offset {self.at})"
                )
            self.at = _skip(self.text, self.at + 1)
            if self.text[self.at : self.at + 1] != ("}" if char == "{" else "]"):
                return "key" if char == "{" else "value"
            self.stack.pop()
            self.at += 1
            return "done"
        found = (
            _STRING.match(self.text, self.at)
            or _NUMBER.match(self.text, self.at)
            or _LITERAL.match(self.text, self.at)
        )
        if not found:
            raise self.fail()
        self.at = found.end()
        return "done"

    def after_value(self) -> bool | None:
        """Commas and closings after a value: None at the end of the text, else whether a key
        (True) or a value (False) comes next."""
        while True:
            self.at = _skip(self.text, self.at)
            if not self.stack:
                if self.at != len(self.text):
                    raise JsonTextError(f"text after the JSON value at offset {self.at}")
                return None
            char = self.text[self.at : self.at + 1]
            if char == ",":
                self.at = _skip(self.text, self.at + 1)
                return self.stack[-1] == "{"
            if char != ("}" if self.stack[-1] == "{" else "]"):
                raise self.fail()
            self.stack.pop()
            self.at += 1


def scan(text: str, max_depth: int = MAX_GO_DEPTH) -> Scanned:
    """Check `text` as Go's JSON scanner does, with at most `max_depth` levels of nesting."""
    scanner = _Scanner(text, max_depth)
    want_key = False
    while True:
        if want_key:
            scanner.key()
        opened = scanner.value()
        if opened != "done":
            want_key = opened == "key"
            continue
        following = scanner.after_value()
        if following is None:
            return Scanned(depth=scanner.deepest, escaped_keys=tuple(scanner.escaped))
        want_key = following
