"""The sjson path subset the trigger writes parameters with (`events.paths`)."""

from __future__ import annotations

from typing import Any

import pytest

from events import paths


def test_put_appends_to_the_existing_string() -> None:
    # params.go, ApplyParams: append joins the String() of what is there and the value
    doc: dict[str, Any] = {"metadata": {"name": "compute-"}}
    paths.put(doc, "metadata.name", "abc", "append")
    assert doc["metadata"]["name"] == "compute-abc"


def test_put_prepends_before_the_existing_string() -> None:
    doc: dict[str, Any] = {"metadata": {"name": "-x"}}
    paths.put(doc, "metadata.name", "abc", "prepend")
    assert doc["metadata"]["name"] == "abc-x"


def test_put_writes_into_a_list_element() -> None:
    doc: dict[str, Any] = {"a": [{"value": ""}, {"value": ""}]}
    paths.put(doc, "a.1.value", "x")
    assert doc == {"a": [{"value": ""}, {"value": "x"}]}


def test_put_refuses_an_index_past_the_end() -> None:
    with pytest.raises(paths.PathError, match="no list element 5"):
        paths.put({"a": []}, "a.5", "x")


def test_an_unknown_operation_is_refused_when_the_sensor_is_built() -> None:
    # params.go, ApplyParams: "unsupported trigger parameter operation"
    with pytest.raises(paths.PathError, match="operation 'merge'"):
        paths.check_dest("metadata.name", "merge")


def test_a_dest_outside_the_subset_is_refused() -> None:
    with pytest.raises(paths.PathError):
        paths.check_dest("metadata.*")
