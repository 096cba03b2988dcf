"""The plan's validate phase reads the request argument by the webhook's rules too."""

from __future__ import annotations

import json

from tests.steps.conftest import Steps, compute_request


def test_validate_refuses_a_field_given_twice(steps: Steps) -> None:
    text = json.dumps(compute_request()).replace("{", '{"request_id": "someone-else",', 1)
    result = steps.plan("plan", env={"IDP_REQUEST": text})
    assert result.returncode == 2
    assert result.stderr == (
        "plan: failed at validate: request: request_id: given more than once; each field may"
        " appear only once\n"
    )


def test_validate_refuses_deep_nesting_in_one_line(steps: Steps) -> None:
    text = json.dumps(compute_request())[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"
    result = steps.plan("plan", env={"IDP_REQUEST": text})
    assert result.returncode == 2
    assert result.stderr == (
        "plan: failed at validate: request: (request): nested 5001 levels deep; a request is one"
        " flat JSON object\n"
    )


def test_validate_refuses_null_naming_the_field(steps: Steps) -> None:
    result = steps.plan("plan", request=compute_request(vm_size=None))
    assert result.returncode == 2
    assert "vm_size: Value error, must not be null" in result.stderr
