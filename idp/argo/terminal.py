"""Text from the server as the reading commands print it: safe on a terminal, bounded, aligned.

Labels are tame, but a step's log, a node's message or a hand-made Workflow's arguments can hold
anything: every string a server or a file hands idp goes through `printable` (`idp.text`, the
one helper) before it is printed: the lines of the reading commands here, and every error
message (`idp.argo.errors.ArgoError`).
"""

from __future__ import annotations

from collections.abc import Sequence

from idp.text import printable


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a table: columns as wide as their widest cell, two spaces apart; an empty cell
    shows `-`."""
    cells = [[printable(c or "-", 200) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in [list(headers), *cells]) for i in range(len(headers))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [list(headers), *cells]
    ]
