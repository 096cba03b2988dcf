"""Go's regexp semantics for the Sensor's string filters (events.goregexp, through RE2).

Upstream: Argo Events v1.9.11 `pkg/sensors/dependencies/filter.go`, `filterData`: each value
of a string filter goes through `regexp.Compile` and `Regexp.Match` on the value's text. Each
test below is a point where Python's `re` would answer differently.
"""

from __future__ import annotations

import re

import pytest

from events import goregexp


def test_dollar_does_not_match_before_a_final_newline() -> None:
    assert re.search(r"^abc$", "abc\n")  # Python's re: it does
    assert not goregexp.matches(r"^abc$", "abc\n")
    assert goregexp.matches(r"^abc$", "abc")


def test_end_of_text_is_written_backslash_z() -> None:
    assert goregexp.matches(r"^abc\z", "abc")
    assert not goregexp.matches(r"^abc\z", "abc\n")


def test_dot_matches_a_newline_only_with_the_s_flag() -> None:
    assert not goregexp.matches(r"^.$", "\n")
    assert goregexp.matches(r"(?s)^.$", "\n")


def test_perl_classes_are_ascii_only() -> None:
    assert re.search(r"^\d$", "\u0663") and re.search(r"^\w$", "é")  # Python's re: Unicode
    assert not goregexp.matches(r"^\d$", "\u0663")
    assert not goregexp.matches(r"^\w$", "é")


def test_space_class_is_tab_newline_formfeed_return_and_space() -> None:
    assert re.search(r"^\s$", "\x0b")  # Python's re: vertical tab is a space
    assert not goregexp.matches(r"^\s$", "\x0b")
    assert not goregexp.matches(r"^\s$", "\xa0")


def test_a_code_point_is_one_character_for_repetition() -> None:
    assert goregexp.matches(r"^.{2}$", "\U0001f600x")


def test_hex_escapes_name_code_points_with_braces() -> None:
    assert goregexp.matches(r"^[^\x{FFFD}]+$", "abc")
    assert not goregexp.matches(r"^[^\x{FFFD}]+$", "a\ufffd")


def test_a_filter_matches_anywhere_unless_anchored() -> None:
    assert goregexp.matches(r"dev", "not-dev-at-all")


@pytest.mark.parametrize("pattern", [r"(?=a)", r"(a)\1", r"a{1001}", r"\Z", r"(?<!a)b"])
def test_what_go_refuses_is_refused(pattern: str) -> None:
    # regexp.Compile fails, and filterData drops the event with the error
    with pytest.raises(goregexp.PatternError):
        goregexp.check(pattern)


@pytest.mark.parametrize("pattern", [r"\pL", r"\p{Cf}", r"[\P{L}]", r"\C"])
def test_classes_whose_meaning_depends_on_the_build_are_refused(pattern: str) -> None:
    with pytest.raises(goregexp.PatternError, match="explicit ranges"):
        goregexp.check(pattern)


def test_an_escaped_backslash_before_p_is_a_literal() -> None:
    assert goregexp.check(r"\\p") == r"\\p"
