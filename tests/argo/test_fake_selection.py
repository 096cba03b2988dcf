"""The fake's own reading of label selectors and `fields` (`tests.argo.fake_selection`): the
other side of what `idp list` and `idp status` ask, held to the upstream rules it names."""

from __future__ import annotations

import pytest

from tests.argo.fake_selection import clean, matches

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


def test_fields_keep_only_the_named_paths_and_what_leads_to_them() -> None:
    listed = {"metadata": {"x": 1}, "items": [{"metadata": {"name": "a", "uid": "u"}, "spec": {}}]}
    assert clean(listed, "metadata,items.metadata.name") == {
        "metadata": {"x": 1},
        "items": [{"metadata": {"name": "a"}}],
    }


def test_fields_with_a_leading_minus_remove_the_named_paths() -> None:
    assert clean({"a": {"b": 1, "c": 2}}, "-a.b") == {"a": {"c": 2}}
