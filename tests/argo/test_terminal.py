"""Server text as the reading commands print it (`idp.argo.terminal`)."""

from __future__ import annotations

from idp.argo.terminal import table
from idp.text import printable


def test_control_characters_are_escaped_and_tab_is_kept() -> None:
    assert printable("a\x1b[31mb\tc\x7f\x9b\u2028") == "a\\x1b[31mb\tc\\x7f\\x9b\\u2028"


def test_a_long_line_is_cut_saying_how_much_is_left_out() -> None:
    assert printable("abcdef", limit=4) == "abcd... [2 more characters]"


def test_a_table_aligns_columns_and_shows_an_empty_cell_as_a_dash() -> None:
    assert table(("A", "BB"), [("xyz", ""), ("x", "y")]) == ["A    BB", "xyz  -", "x    y"]
