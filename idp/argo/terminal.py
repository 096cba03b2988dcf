"""Text from the server as the reading commands print it: safe on a terminal, bounded, aligned.

Labels are tame, but a step's log, a node's message or a hand-made Workflow's arguments can hold
anything; an escape sequence printed raw could rewrite the terminal. So every control
character but tab (C0, DEL, C1) and the Unicode line and paragraph separators is shown as an
escape (`\\x1b`, `\\u2028`), and a line is cut at a bounded length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_LINE = 16 * 1024
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


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
