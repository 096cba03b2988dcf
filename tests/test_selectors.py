"""Kubernetes label selectors as the API server parses them (k8s.io/apimachinery
pkg/labels/selector.go, `Parse`), checked before `idp list -l` sends one."""

from __future__ import annotations

import pytest

from idp.selectors import (
    MAX_LENGTH,
    MAX_REQUIREMENTS,
    Requirement,
    SelectorError,
    parse,
    render,
)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("env=dev", [Requirement("env", "=", ("dev",))]),
        ("env==dev", [Requirement("env", "==", ("dev",))]),
        ("env != dev", [Requirement("env", "!=", ("dev",))]),
        ("env=", [Requirement("env", "=", ("",))]),
        ("team", [Requirement("team", "exists")]),
        ("!team", [Requirement("team", "!")]),
        ("env in (prod, dev)", [Requirement("env", "in", ("dev", "prod"))]),
        ("env notin (a,,b)", [Requirement("env", "notin", ("", "a", "b"))]),
        ("x in ()", [Requirement("x", "in", ("",))]),
        ("x in (in)", [Requirement("x", "in", ("in",))]),
        ("replicas>3", [Requirement("replicas", ">", ("3",))]),
        (
            "idp.platform/kind=compute,!gone",
            [Requirement("idp.platform/kind", "=", ("compute",)), Requirement("gone", "!")],
        ),
        ("", []),
        ("  ", []),
    ],
)
def test_a_valid_selector_parses_into_its_requirements(
    text: str, parsed: list[Requirement]
) -> None:
    assert parse(text) == parsed


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("=dev", "found '=' where a label key belongs"),
        ("env dev", "found 'dev' where an operator belongs"),
        ("env in dev", "'in' and 'notin' take a list in parentheses"),
        ("env in (a", "found 'the end' in the list of values"),
        ("env=a=b", "found '=' where ',' or the end belongs"),
        ("!env=dev", "'!' takes a key alone"),
        ("a,,b", "found ',' where a label key belongs"),
        ("x>=3", "found '=' where a value belongs"),
        ("x<three", "'>' and '<' take an integer"),
        ("x>-3", "value '-3' must be at most 63 characters"),
        ("x=a b", "found 'b' where ',' or the end belongs"),
        ("-x=1", "the name must be 1 to 63 characters"),
        ("/x=1", "the prefix before '/' must be a DNS subdomain"),
        ("Idp.Platform/x=1", "the prefix before '/' must be a DNS subdomain"),
        ("x=" + "a" * 64, "must be at most 63 characters"),
        ("k" * 64, "the name must be 1 to 63 characters"),
        ("x=a;b", "value 'a;b' must be"),
    ],
)
def test_a_broken_selector_is_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(SelectorError) as refused:
        parse(text)
    assert problem in str(refused.value)


def test_a_selector_longer_than_the_bound_is_refused_unread() -> None:
    with pytest.raises(SelectorError, match=f"at most {MAX_LENGTH} are taken"):
        parse("x" * (MAX_LENGTH + 1))


def test_at_most_the_bound_of_requirements_is_taken() -> None:
    assert len(parse(",".join(f"k{i}" for i in range(MAX_REQUIREMENTS)))) == MAX_REQUIREMENTS
    with pytest.raises(SelectorError, match=f"more than {MAX_REQUIREMENTS} requirements"):
        parse(",".join(f"k{i}" for i in range(MAX_REQUIREMENTS + 1)))


def test_requirements_render_as_a_selector_the_server_reads_the_same() -> None:
    text = "a=1,b!=2,c,!d,e in (x,y),f notin (z),g>5"
    assert parse(render(parse(text))) == parse(text)
    assert render(parse(text)) == text
