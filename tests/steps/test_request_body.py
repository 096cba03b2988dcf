"""The validate and notify steps read the request argument by the webhook's rules too."""

from __future__ import annotations

import json

import pytest

from tests.steps.conftest import Steps, compute_request
from workflows.steps import request


def test_validate_refuses_a_field_given_twice(steps: Steps) -> None:
    text = json.dumps(compute_request()).replace("{", '{"request_id": "someone-else",', 1)
    result = steps.run("validate", "--kind", "compute", env={"IDP_REQUEST": text})
    assert result.returncode == 2
    assert result.stderr == (
        "validate: request: request_id: given more than once; each field may appear only once\n"
    )


def test_validate_refuses_deep_nesting_in_one_line(steps: Steps) -> None:
    text = json.dumps(compute_request())[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"
    result = steps.run("validate", "--kind", "compute", env={"IDP_REQUEST": text})
    assert result.returncode == 2
    assert result.stderr == (
        "validate: request: (request): nested 5001 levels deep; a request is one flat JSON object\n"
    )


def test_validate_refuses_null_naming_the_field(steps: Steps) -> None:
    result = steps.run("validate", "--kind", "compute", request=compute_request(vm_size=None))
    assert result.returncode == 2
    assert "vm_size: Value error, must not be null" in result.stderr


def test_notify_takes_the_request_id_the_workflow_was_named_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # gjson (the Sensor) reads the first of duplicate keys; so does the notice
    text = json.dumps(compute_request()).replace("{", '{"request_id": "named-after-me",', 1)
    monkeypatch.setenv("IDP_REQUEST", text)
    valid, fields = request.lenient("compute", request.settings())
    assert valid is None
    assert fields["request_id"] == "named-after-me"


def test_notify_survives_deep_nesting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_REQUEST", "[" * 5000 + "]" * 5000)
    assert request.lenient("compute", request.settings()) == (
        None,
        {"request_id": "", "kind": "compute"},
    )
