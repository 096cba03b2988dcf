"""Sensitive values out of what a plan publishes, by the marks Terraform puts on them."""

from __future__ import annotations

import json
from typing import Any

from workflows.steps.redact import REDACTED, outputs, plan, scrub


def test_a_resource_change_is_redacted_where_after_sensitive_marks_it() -> None:
    document: dict[str, Any] = {
        "resource_changes": [
            {
                "change": {
                    "before": None,
                    "after": {"name": "db", "password": "hunter22", "tags": {"a": "b"}},
                    "after_sensitive": {"password": True, "tags": {}},
                }
            }
        ]
    }
    redacted, found = plan(document)
    after = redacted["resource_changes"][0]["change"]["after"]
    assert after == {"name": "db", "password": REDACTED, "tags": {"a": "b"}}
    assert found == {"hunter22"}


def test_a_whole_value_marked_true_is_redacted_with_everything_in_it() -> None:
    document = {"output_changes": {"kube": {"before": {"a": "s3cret-1"}, "before_sensitive": True}}}
    redacted, found = plan(document)
    assert redacted["output_changes"]["kube"]["before"] == REDACTED
    assert found == {"s3cret-1"}


def test_prior_state_values_are_redacted_by_their_sensitive_values_mask() -> None:
    document = {
        "prior_state": {
            "values": {
                "outputs": {"token": {"sensitive": True, "value": "tok-123456"}},
                "root_module": {
                    "resources": [
                        {
                            "values": {"keys": ["k-1234", "k-5678"]},
                            "sensitive_values": {"keys": [True, False]},
                        }
                    ],
                    "child_modules": [
                        {
                            "resources": [
                                {"values": {"pw": "pw-99999"}, "sensitive_values": {"pw": True}}
                            ]
                        }
                    ],
                },
            }
        }
    }
    redacted, found = plan(document)
    values = redacted["prior_state"]["values"]
    assert values["outputs"]["token"]["value"] == REDACTED
    assert values["root_module"]["resources"][0]["values"]["keys"] == [REDACTED, "k-5678"]
    assert values["root_module"]["child_modules"][0]["resources"][0]["values"]["pw"] == REDACTED
    assert found == {"tok-123456", "k-1234", "pw-99999"}


def test_a_variable_declared_sensitive_is_redacted() -> None:
    document = {
        "variables": {"secret": {"value": "abcdefgh"}, "name": {"value": "web"}},
        "configuration": {"root_module": {"variables": {"secret": {"sensitive": True}}}},
    }
    redacted, _ = plan(document)
    assert redacted["variables"] == {"secret": {"value": REDACTED}, "name": {"value": "web"}}


def test_a_redacted_value_is_scrubbed_wherever_else_it_shows() -> None:
    document = {
        "resource_changes": [
            {"change": {"after": {"pw": "pw-77777"}, "after_sensitive": {"pw": True}}}
        ],
        "configuration": {
            "root_module": {"outputs": {"x": {"expression": {"constant_value": "pw-77777"}}}}
        },
    }
    redacted, _ = plan(document)
    assert "pw-77777" not in json.dumps(redacted)


def test_text_is_scrubbed_of_every_secret_longest_first() -> None:
    assert scrub("a=abcdef b=abcdefgh", {"abcdef", "abcdefgh"}) == f"a={REDACTED} b={REDACTED}"


def test_terraform_outputs_keep_their_names_and_lose_their_sensitive_values() -> None:
    found: set[str] = set()
    items = {
        "key": {"sensitive": True, "value": "k3y-value"},
        "id": {"sensitive": False, "value": "x"},
    }
    assert outputs(items, found) == {
        "key": {"sensitive": True, "value": REDACTED},
        "id": {"sensitive": False, "value": "x"},
    }
    assert found == {"k3y-value"}
