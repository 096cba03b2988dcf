"""The fake's own reading of label selectors and `fields` (`tests.argo.fake_selection`): the
other side of what `idp list` and `idp status` ask, held to the upstream rules it names."""

from __future__ import annotations

import re

import pytest

from tests.argo.fake_selection import Unreadable, clean, matches

LABELS = {"env": "dev", "tier": "3", "idp.platform/kind": "compute"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("env=dev", True),
        ("env==prod", False),
        ("env!=prod", True),
        ("missing!=x", True),
        ("env in (dev, test)", True),
        ("missing notin (a)", True),
        ("missing in (a)", False),
        ("idp.platform/kind", True),
        ("!idp.platform/kind", False),
        ("tier>2,tier<4", True),
        ("env>2", False),
        ("", True),
    ],
)
def test_requirements_match_as_the_api_server_matches_them(selector: str, expected: bool) -> None:
    assert matches(selector, LABELS) is expected


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("env in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"),
        ("env=dev,", "found '', expected: identifier after ','"),
        ("env=dev,,tier", "found '', expected: identifier after ','"),
        ("Env/x=y", "unable to parse requirement: 'Env/x=y' is no requirement"),
        ("x=" + "v" * 64, "is no requirement"),
        ("x>y", "unable to parse requirement: 'x>y' is no requirement"),
    ],
)
def test_a_selector_the_api_server_cannot_parse_is_unreadable(selector: str, message: str) -> None:
    """labels.ParseToRequirements (k8s.io/apimachinery pkg/labels/selector.go) refuses these;
    the first two in its own words (`parseIdentifiersList`, `parse`)."""
    with pytest.raises(Unreadable, match=re.escape(message)):
        matches(selector, LABELS)


def test_fields_keep_only_the_named_paths_and_what_leads_to_them() -> None:
    listed = {"metadata": {"x": 1}, "items": [{"metadata": {"name": "a", "uid": "u"}, "spec": {}}]}
    assert clean(listed, "metadata,items.metadata.name") == {
        "metadata": {"x": 1},
        "items": [{"metadata": {"name": "a"}}],
    }


def test_fields_with_a_leading_minus_remove_the_named_paths() -> None:
    assert clean({"a": {"b": 1, "c": 2}}, "-a.b") == {"a": {"c": 2}}
