"""The plan's validate phase refuses workflow arguments that contradict the request."""

from __future__ import annotations

import pytest

from idp.contract import DatabaseRequest
from tests.steps.conftest import Steps
from workflows.steps.errors import StepError
from workflows.steps.request import check_arguments

REQUEST = DatabaseRequest.model_validate(
    {
        "request_id": "a1",
        "name": "orders-db",
        "environment": "prod",
        "region": "eastus2",
        "resource_type": "postgresql",
        "requester_name": "Edsger",
        "requester_email": "e@example.com",
    }
)


def test_matching_arguments_pass_including_defaults_and_empty_optional() -> None:
    env = {"IDP_ARG_NAME": "orders-db", "IDP_ARG_STORAGE_GB": "32", "IDP_ARG_SKU": ""}
    check_arguments(REQUEST, env)


def test_an_argument_that_differs_is_named() -> None:
    with pytest.raises(StepError) as caught:
        check_arguments(REQUEST, {"IDP_ARG_ENVIRONMENT": "dev", "IDP_ARG_NAME": "orders-db"})
    assert caught.value.lines == ["argument environment: 'dev' differs from the request's 'prod'"]


def test_absent_arguments_are_not_compared() -> None:
    check_arguments(REQUEST, {})


def test_plan_fails_at_validate_when_an_argument_differs_from_the_request(steps: Steps) -> None:
    """The argument names the mutex and the labels of the run: it must be the request's."""
    result = steps.plan("plan", env={"IDP_ARG_NAME": "other"})
    assert result.returncode == 2
    assert result.stderr == (
        "plan: failed at validate: argument name: 'other' differs from the request's 'demo'\n"
    )
    assert not (steps.tmp / "plan-pod").exists()
