"""Kubernetes label selectors, checked where they enter (`idp list -l`), as the API server reads
them (k8s.io/apimachinery `pkg/labels/selector.go`, `Parse`).

    selector    = requirement ("," requirement)*
    requirement = ["!"] KEY | KEY ("=" | "==" | "!=") VALUE | KEY ("in" | "notin") "(" VALUES ")"
                | KEY (">" | "<") INTEGER

KEY is a qualified name: an optional DNS subdomain prefix (at most 253 characters) and `/`,
then a name of at most 63 characters of `[A-Za-z0-9_.-]`, starting and ending with a letter or
digit. VALUE is empty or such a name. Spaces may separate the parts; `in` and `notin` are
words only in the operator's place, so `x in (in)` is valid. A selector is bounded here: at
most `MAX_LENGTH` characters and `MAX_REQUIREMENTS` requirements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 1024
MAX_REQUIREMENTS = 32
_SPECIAL = "=!(),><"
_OPERATORS = ("==", "!=", "=", "!", "(", ")", ",", ">", "<")
_NAME = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_SET_OPERATORS = ("in", "notin")
_VALUE_OPERATORS = ("=", "==", "!=", ">", "<")


class SelectorError(ValueError):
    """A selector the API server would refuse; the message says where and why."""


@dataclass(frozen=True)
class Requirement:
    """One requirement: `key`, an operator (`exists` and `!` take no values), its values."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.operator == "exists":
            return self.key
        if self.operator == "!":
            return f"!{self.key}"
        if self.operator in _SET_OPERATORS:
            return f"{self.key} {self.operator} ({','.join(self.values)})"
        return f"{self.key}{self.operator}{self.values[0]}"


def _tokens(text: str) -> list[str]:
    """Words and operators; whitespace separates, operators need none around them."""
    found: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
        elif char in _SPECIAL:
            operator = next((o for o in _OPERATORS if text.startswith(o, index)), None)
            if operator is None:
                raise SelectorError(f"{char!r} at position {index} is no operator")
            found.append(operator)
            index += len(operator)
        else:
            end = index
            while end < len(text) and text[end] not in _SPECIAL and text[end] not in " \t\r\n":
                end += 1
            found.append(text[index:end])
            index = end
    return found


def check_key(key: str) -> None:
    """A label key (a qualified name), or SelectorError saying which rule it breaks."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _SUBDOMAIN.fullmatch(prefix)):
        raise SelectorError(
            f"key {key[:80]!r}: the prefix before '/' must be a DNS subdomain (lowercase "
            "letters, digits, '-' and '.', at most 253 characters)"
        )
    if not name or len(name) > 63 or not _NAME.fullmatch(name):
        raise SelectorError(
            f"key {key[:80]!r}: the name must be 1 to 63 characters of letters, digits, '-', "
            "'_' and '.', starting and ending with a letter or digit"
        )


def check_value(key: str, value: str) -> None:
    """A label value: empty, or at most 63 characters of `[A-Za-z0-9_.-]` starting and ending
    with a letter or digit."""
    if len(value) > 63 or not _NAME.fullmatch(value):
        raise SelectorError(
            f"{key}: value {value[:80]!r} must be at most 63 characters of letters, digits, "
            "'-', '_' and '.', starting and ending with a letter or digit"
        )


class _Reader:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str | None:
        word = self.peek()
        self.index += 1
        return word


def _is_word(word: str | None) -> bool:
    return word is not None and word not in _OPERATORS


def _requirement(reader: _Reader) -> Requirement:
    word = reader.take()
    negated = word == "!"
    if negated:
        word = reader.take()
    if word is None or not _is_word(word):
        raise SelectorError(f"found {word or 'the end'!r} where a label key belongs")
    key = word
    check_key(key)
    following = reader.peek()
    if following in (None, ","):
        return Requirement(key, "!" if negated else "exists")
    if negated:
        raise SelectorError(f"!{key}: '!' takes a key alone (no operator or value)")
    operator = reader.take()
    if operator in _SET_OPERATORS:
        values = _values(reader, key)
    elif operator in _VALUE_OPERATORS:
        value = reader.peek()
        values = ("",) if value in (None, ",") else (str(reader.take()),)
        if not _is_word(values[0]) and values[0]:
            raise SelectorError(f"{key}{operator}: found {values[0]!r} where a value belongs")
        if operator in (">", "<") and not _INTEGER.fullmatch(values[0]):
            raise SelectorError(f"{key}{operator}{values[0]}: '>' and '<' take an integer")
    else:
        raise SelectorError(
            f"{key}: found {operator or 'the end'!r} where an operator belongs "
            "(=, ==, !=, in, notin, >, <)"
        )
    for value in values:
        check_value(key, value)
    return Requirement(key, str(operator), values)


def _values(reader: _Reader, key: str) -> tuple[str, ...]:
    if reader.take() != "(":
        raise SelectorError(f"{key}: 'in' and 'notin' take a list in parentheses, as in (a,b)")
    values: list[str] = []
    expect_value = True
    while True:
        word = reader.take()
        if word == ")":
            if expect_value:
                values.append("")
            break
        if word == ",":
            if expect_value:
                values.append("")
            expect_value = True
        elif _is_word(word) and expect_value:
            values.append(str(word))
            expect_value = False
        else:
            raise SelectorError(f"{key}: found {word or 'the end'!r} in the list of values")
    return tuple(sorted(set(values)))


def parse(text: str) -> list[Requirement]:
    """The requirements of `text`, or SelectorError naming the first problem and its rule."""
    if len(text) > MAX_LENGTH:
        raise SelectorError(f"{len(text)} characters; at most {MAX_LENGTH} are taken")
    reader = _Reader(_tokens(text))
    found: list[Requirement] = []
    while reader.peek() is not None:
        found.append(_requirement(reader))
        separator = reader.take()
        if separator is None:
            break
        if separator != ",":
            raise SelectorError(f"found {separator!r} where ',' or the end belongs")
        if reader.peek() is None:
            raise SelectorError("a ',' must be followed by another requirement")
        if len(found) >= MAX_REQUIREMENTS:
            raise SelectorError(f"more than {MAX_REQUIREMENTS} requirements")
    return found


def render(requirements: list[Requirement]) -> str:
    """The requirements as one selector, in the order given."""
    return ",".join(str(r) for r in requirements)
