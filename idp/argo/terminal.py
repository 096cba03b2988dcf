"""Text from the server as the reading commands print it: safe on a terminal, bounded, aligned.

Labels are tame, but a step's log, a node's message or a hand-made Workflow's arguments can hold
anything; an escape sequence printed raw could rewrite the terminal (retitle it, move the
cursor), and a bidirectional control could make a line read differently from what it holds. So
every control character but tab (C0, DEL, C1), the Unicode line and paragraph separators and the
bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069) are shown as
escapes (`\\x1b`, `\\u2028`, `\\u202e`), as are lone surrogates (JSON may carry `\\ud800`, which
no terminal encoding can print), and a line is cut at a bounded length.

Every string a server or a file hands idp goes through `printable` before it is printed: the
lines of the reading commands here, and every error message (`idp.argo.errors.ArgoError`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a table: columns as wide as their widest cell, two spaces apart; an empty cell
    shows `-`."""
    cells = [[printable(c or "-", 200) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in [list(headers), *cells]) for i in range(len(headers))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [list(headers), *cells]
    ]
