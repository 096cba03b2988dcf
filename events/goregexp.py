"""Go's regular expressions, as the Sensor's string filters use them, through RE2.

Argo Events compiles each value of a string data filter with Go's `regexp.Compile` and asks
whether it matches anywhere in the value's text (v1.9.11, `pkg/sensors/dependencies/
filter.go`, `filterData`). Go's `regexp` is RE2: the same syntax and the same semantics as the
RE2 library, which `google-re2` binds for Python. That is why this module uses RE2 rather than
translating patterns to Python's `re`, whose semantics differ in ways a translation would have
to chase one by one: `$` also matches before a final newline, `\\d`, `\\w` and `\\s` are Unicode
classes, `\\z` and `\\x{...}` do not exist (before 3.14), there are no `\\pL` classes or
`[[:alpha:]]`, and `re` accepts what RE2 refuses (look-arounds, back-references, repetitions
above 1000).

What remains different between Go's RE2 and the C++ RE2 under `google-re2`, and how the
platform keeps clear of it:

- the Unicode tables (`\\p{...}`) are of each one's own Unicode version: patterns here may not
  use Unicode classes at all (`check` refuses `\\p` and `\\P`); explicit ranges are stable;
- invalid UTF-8: Go reads each bad byte as U+FFFD; the text matched here is always valid UTF-8
  (the renderer decodes bad bytes to U+FFFD first, and every filter refuses U+FFFD);
- `\\C` (one byte) exists only in C++ RE2: refused by `check`.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import re2  # google-re2

_NOT_PORTABLE = re.compile(r"\\[pPC]")


class PatternError(ValueError):
    """A pattern Go's regexp refuses, or one whose meaning could differ between RE2 builds."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # errors become PatternError, not log lines on stderr
    return options


@cache
def _compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise PatternError(f"pattern {pattern!r}: {detail}") from None


def check(pattern: str) -> str:
    """`pattern` itself when Go's regexp would compile it to the same matcher as here."""
    if _NOT_PORTABLE.search(pattern.replace("\\\\", "")):
        raise PatternError(
            f"pattern {pattern!r}: \\p, \\P and \\C depend on the RE2 build; use explicit ranges"
        )
    _compiled(pattern)
    return pattern


def matches(pattern: str, text: str) -> bool:
    """Whether `pattern` matches anywhere in `text`, as Go's `Regexp.Match` answers."""
    return _compiled(check(pattern)).search(text) is not None
