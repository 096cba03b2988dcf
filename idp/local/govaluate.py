"""A task's `when`, read as Argo's controller reads it: govaluate, with bare words as strings.

`shouldExecute` (`workflow/controller/steps.go`, Argo v4.1.2) parses the substituted `when`
with govaluate (github.com/Knetic/govaluate, `parsing.go`), turns every VARIABLE token into a
STRING, evaluates, and needs a boolean. The lexer skips whitespace, so ` YES == YES` is
`"YES" == "YES"`; a quoted `'YES'` is the same string; `true`/`false` are booleans; numbers
are float64; `==` is Go's `reflect.DeepEqual`, so a string never equals a number or a bool.

Supported here: numbers, quoted strings (' or ", backslash escapes), bare words, booleans,
parentheses, `!`, `-` (prefix), `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&` and `||`. Accessors
(`a.B`), functions, ternaries, regex and arithmetic are refused (WhenError), which `idp local`
turns into an error node, as the controller does for a `when` it cannot evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class WhenError(ValueError):
    """A `when` that cannot be evaluated (the controller marks the task's node Error)."""


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, bool, variable, compare, logic, prefix, open, close
    value: Any


_COMPARATORS = ("==", "!=", ">=", "<=", ">", "<")
_LOGICAL = ("&&", "||")
_SYMBOL_CHARS = set("=!<>&|-+*/%^~?:,")


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char.isdigit() or char == ".":
            start = i
            while i < len(text) and (text[i].isdigit() or text[i] == "."):
                i += 1
            try:
                tokens.append(_Token("number", float(text[start:i])))
            except ValueError:
                raise WhenError(f"Unable to parse numeric value {text[start:i]!r}") from None
            continue
        if char.isalpha():
            start = i
            while i < len(text) and (text[i].isalnum() or text[i] in "_."):
                i += 1
            word = text[start:i]
            if "." in word:
                raise WhenError(f"accessor {word!r} is not supported")
            if word in ("true", "false"):
                tokens.append(_Token("bool", word == "true"))
            elif word.lower() == "in":
                raise WhenError("the 'in' comparator is not supported")
            else:
                tokens.append(_Token("variable", word))
            continue
        if char in "'\"":
            i += 1
            out = []
            while i < len(text) and text[i] not in "'\"":
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                out.append(text[i])
                i += 1
            if i >= len(text):
                raise WhenError("Unclosed string literal")
            i += 1
            tokens.append(_Token("string", "".join(out)))
            continue
        if char in "()":
            tokens.append(_Token("open" if char == "(" else "close", char))
            i += 1
            continue
        if char == "[":
            raise WhenError("bracketed variables are not supported")
        start = i
        while i < len(text) and text[i] in _SYMBOL_CHARS:
            i += 1
        symbol = text[start:i]
        previous = tokens[-1].kind if tokens else "open"
        if symbol in ("!", "-") and previous in ("open", "compare", "logic", "prefix"):
            tokens.append(_Token("prefix", symbol))
        elif symbol in _COMPARATORS:
            tokens.append(_Token("compare", symbol))
        elif symbol in _LOGICAL:
            tokens.append(_Token("logic", symbol))
        else:
            raise WhenError(f"Invalid token: {symbol!r}")
    return tokens


_VALUES = ("number", "string", "bool", "variable")


class _Reader:
    def __init__(self, tokens: list[_Token], text: str) -> None:
        self.tokens, self.at, self.text = tokens, 0, text

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def next(self) -> _Token:
        token = self.peek()
        if token is None:
            raise WhenError(f"unexpected end of {self.text!r}")
        self.at += 1
        return token

    def logic(self, operator: str) -> Any:
        lower = "&&" if operator == "||" else None
        left = self.logic(lower) if lower else self.comparison()
        while (
            (token := self.peek()) is not None and token.kind == "logic" and token.value == operator
        ):
            self.next()
            right = self.logic(lower) if lower else self.comparison()
            for side in (left, right):
                if not isinstance(side, bool):
                    raise WhenError(
                        f"Value {side!r} cannot be used with the logical operator {operator!r}, "
                        "it is not a bool"
                    )
            left = (left and right) if operator == "&&" else (left or right)
        return left

    def comparison(self) -> Any:
        left = self.unary()
        while (token := self.peek()) is not None and token.kind == "compare":
            self.next()
            left = _compare(token.value, left, self.unary())
        return left

    def unary(self) -> Any:
        token = self.next()
        if token.kind == "prefix":
            value = self.unary()
            if token.value == "!":
                if not isinstance(value, bool):
                    raise WhenError(f"Value {value!r} cannot be used with the prefix '!'")
                return not value
            if isinstance(value, bool) or not isinstance(value, float):
                raise WhenError(f"Value {value!r} cannot be used with the prefix '-'")
            return -value
        if token.kind == "open":
            value = self.logic("||")
            if self.next().kind != "close":
                raise WhenError("Unbalanced parenthesis")
            return value
        if token.kind not in _VALUES:
            raise WhenError(f"unexpected {token.value!r} in {self.text!r}")
        following = self.peek()
        if following is not None and following.kind in (*_VALUES, "open"):
            raise WhenError(
                f"Cannot transition token types from {token.kind.upper()} to "
                f"{following.kind.upper()} in {self.text!r}"
            )
        return token.value  # a VARIABLE is a STRING, as Argo rewrites it


def _compare(operator: str, left: Any, right: Any) -> bool:
    if operator in ("==", "!="):
        same = type(left) is type(right) and bool(left == right)
        return same if operator == "==" else not same
    both_numbers = isinstance(left, float) and isinstance(right, float)
    both_strings = isinstance(left, str) and isinstance(right, str)
    if not (both_numbers or both_strings):
        raise WhenError(f"Value {left!r} or {right!r} cannot be compared with {operator!r}")
    order: int = (left > right) - (left < right)
    return {">": order > 0, ">=": order >= 0, "<": order < 0, "<=": order <= 0}[operator]


def should_execute(when: str) -> bool:
    """Whether a task with this (already substituted) `when` runs; WhenError as Argo errors."""
    if when == "":
        return True
    reader = _Reader(_lex(when), when)
    if reader.peek() is None:
        return True
    result = reader.logic("||")
    if reader.peek() is not None:
        raise WhenError(f"unexpected {reader.peek().value!r} in {when!r}")  # type: ignore[union-attr]
    if not isinstance(result, bool):
        raise WhenError(f"Expected boolean evaluation for '{when}'. Got {result}")
    return result
