"""Text from outside idp as idp prints it: safe on a terminal, bounded, on one line.

A request file, a settings file, a server's answer, a step's log or an argument can hold
anything; an escape sequence printed raw could rewrite the terminal (retitle it, move the
cursor), and a bidirectional control could make a line read differently from what it holds. So
every control character but tab (C0, DEL, C1), the Unicode line and paragraph separators and the
bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069) are shown as
escapes (`\\x1b`, `\\u2028`, `\\u202e`), as are lone surrogates (JSON may carry `\\ud800`, which
no terminal encoding can print), and a line is cut at a bounded length.

The one helper for every line idp prints that may carry such text: the command line's failures
(`idp.cli`), the Argo client's messages and tables (`idp.argo.errors`, `idp.argo.terminal`) and
a step program's failures (`workflows.steps.cli`). It imports nothing but `re`, so the step
image and the cheapest command can use it.
"""

from __future__ import annotations

import re

MAX_LINE = 16 * 1024
_CONTROL = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, limit: int = MAX_LINE) -> str:
    """`text` with control characters escaped, cut to `limit` characters (saying so)."""
    shown = _CONTROL.sub(_escape, text)
    if len(shown) > limit:
        return shown[:limit] + f"... [{len(shown) - limit} more characters]"
    return shown


def one_line(text: str, limit: int = 300) -> str:
    """`text` on a single line (runs of white space made one space), printable, cut to `limit`
    characters."""
    flat = printable(" ".join(text[: limit * 8].split()), limit * 8)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
