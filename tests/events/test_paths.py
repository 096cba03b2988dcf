"""The gjson/sjson path subset the renderer uses."""

from __future__ import annotations

from typing import Any

import pytest

from events import paths


def test_dots_separate_keys_and_backslash_escapes_a_dot() -> None:
    assert paths.split(r"header.X-Request\.Id.0") == ["header", "X-Request.Id", "0"]


def test_get_walks_objects_and_list_indices() -> None:
    data = {"header": {"Accept": ["a", "b"]}}
    assert paths.get(data, "header.Accept.1") == "b"


def test_get_reports_a_missing_key_as_absent_not_as_none() -> None:
    data = {"body": {"sku": None}}
    assert paths.exists(paths.get(data, "body.sku"))
    assert not paths.exists(paths.get(data, "body.quota_gb"))


def test_wildcards_are_refused_rather_than_guessed() -> None:
    with pytest.raises(paths.PathError, match="wildcards"):
        paths.get({}, "body.*")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", "x"),
        (3, "3"),
        (2.5, "2.5"),
        (True, "true"),
        (None, ""),
        ({"a": "<"}, '{"a":"\\u003c"}'),
    ],
)
def test_values_become_strings_as_gjson_does(value: Any, text: str) -> None:
    assert paths.as_string(value) == text


def test_put_appends_to_the_existing_string() -> None:
    doc: dict[str, Any] = {"metadata": {"name": "compute-"}}
    paths.put(doc, "metadata.name", "abc", "append")
    assert doc["metadata"]["name"] == "compute-abc"


def test_put_writes_into_a_list_element() -> None:
    doc: dict[str, Any] = {"a": [{"value": ""}, {"value": ""}]}
    paths.put(doc, "a.1.value", "x")
    assert doc == {"a": [{"value": ""}, {"value": "x"}]}


def test_put_refuses_an_index_past_the_end() -> None:
    with pytest.raises(paths.PathError, match="no list element 5"):
        paths.put({"a": []}, "a.5", "x")
