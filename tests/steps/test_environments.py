"""Per request environment: the subscription, Terraform backend and client id the settings give.

The step settings ConfigMap carries `environments:` as IDP_ENVIRONMENTS; the pod picks the
request's environment. `credentials` reads it without pydantic, so a test holds its choice equal
to `Settings.target`, the one rule.
"""

from __future__ import annotations

import json

import pytest

from idp.settings import ENVIRONMENTS, Settings
from tests.fakes.azure import FakeArm
from tests.steps.conftest import FIXTURE_MODULE, Steps, compute_request
from tests.steps.test_terraform_calls import Recorder, azurerm
from workflows.pods import step_environment
from workflows.steps.azure import subscription_id
from workflows.steps.credentials import azure_environment

DEFAULT_SUB = "00000000-0000-0000-0000-00000000000d"
PROD_SUB = "00000000-0000-0000-0000-00000000000f"
PROD_CLIENT = "00000000-0000-0000-0000-0000000000c1"
SETTINGS = Settings.model_validate(
    {
        "subscription_id": DEFAULT_SUB,
        "azure_client_id": "00000000-0000-0000-0000-0000000000c0",
        "environments": {
            "prod": {
                "subscription_id": PROD_SUB,
                "azure_client_id": PROD_CLIENT,
                "terraform_backend": {"storage_account": "prodstate"},
            }
        },
    }
)


def pod_env(settings: Settings, environment: str, **extra: str) -> dict[str, str]:
    """What a step pod of a request in `environment` sees: the ConfigMap and its request."""
    request = compute_request(environment=environment)
    return {**step_environment(settings), "IDP_REQUEST": json.dumps(request), **extra}


def test_the_request_environment_picks_its_subscription() -> None:
    added = azure_environment(pod_env(SETTINGS, "prod"))
    assert added["AZURE_SUBSCRIPTION_ID"] == added["ARM_SUBSCRIPTION_ID"] == PROD_SUB


def test_an_environment_without_its_own_subscription_gets_the_default_one() -> None:
    assert azure_environment(pod_env(SETTINGS, "dev"))["ARM_SUBSCRIPTION_ID"] == DEFAULT_SUB


def test_the_settings_subscription_wins_over_one_already_in_the_pod() -> None:
    env = pod_env(SETTINGS, "prod", AZURE_SUBSCRIPTION_ID=DEFAULT_SUB)
    assert subscription_id(env) == PROD_SUB


def test_the_environments_client_id_replaces_the_service_accounts() -> None:
    env = pod_env(SETTINGS, "prod", AZURE_CLIENT_ID="injected-by-the-webhook")
    added = azure_environment(env)
    assert added["AZURE_CLIENT_ID"] == added["ARM_CLIENT_ID"] == PROD_CLIENT


def test_without_an_environment_client_id_the_injected_one_stays() -> None:
    env = pod_env(SETTINGS, "dev", AZURE_CLIENT_ID="injected-by-the-webhook")
    assert azure_environment(env)["ARM_CLIENT_ID"] == "injected-by-the-webhook"
    assert "AZURE_CLIENT_ID" not in azure_environment(env)


def test_a_client_id_is_not_set_for_a_service_principal_secret() -> None:
    settings = SETTINGS.model_copy(update={"azure_auth": "secret-env"})
    assert "AZURE_CLIENT_ID" not in azure_environment(pod_env(settings, "prod"))


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_pod_chooses_what_settings_target_chooses(environment: str) -> None:
    target = SETTINGS.target(environment)
    added = azure_environment(pod_env(SETTINGS, environment))
    assert added["ARM_SUBSCRIPTION_ID"] == target.subscription_id
    if environment == "prod":
        assert added["ARM_CLIENT_ID"] == target.azure_client_id


def test_an_environment_backend_overrides_only_the_fields_it_sets() -> None:
    backend = SETTINGS.target("prod").terraform_backend
    assert (backend.storage_account, backend.container) == ("prodstate", "tfstate")
    assert SETTINGS.target("dev").terraform_backend == SETTINGS.terraform_backend


def test_plan_initialises_the_backend_of_the_request_environment(
    arm: FakeArm, steps: Steps
) -> None:
    recorder = Recorder(steps)
    dev = json.dumps({"dev": {"terraform_backend": {"container": "dev-state"}}})
    env = azurerm(recorder, IDP_ENVIRONMENTS=dev)
    args = ["--kind", "compute", "--module", str(FIXTURE_MODULE), "--work", "pod"]
    steps.run("plan", *args, "--out", "plan", env=env)
    init = recorder.calls()[0]["argv"]
    assert "-backend-config=container_name=dev-state" in init
