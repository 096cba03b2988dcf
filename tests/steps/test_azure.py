"""preflight and verify against a mocked Azure SDK (azure-identity, azure-mgmt-resource).

The commands run in-process with `DefaultAzureCredential` and `ResourceManagementClient`
replaced; verify reads the outputs of a stack applied with the real Terraform.
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any
from unittest.mock import MagicMock

import pytest
from pytest_mock import MockerFixture

from tests.steps.conftest import Steps, clean_environment, compute_request
from workflows.steps.cli import main

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
FIXTURE_IDS = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-demo-dev"
CLUSTER_ID = f"{FIXTURE_IDS}/providers/Microsoft.ContainerService/managedClusters/aks-demo"


def use_request(request: dict[str, Any]) -> None:
    clean = clean_environment()
    os.environ.clear()
    os.environ.update(clean)
    os.environ["IDP_REQUEST"] = json.dumps(request)
    os.environ["AZURE_SUBSCRIPTION_ID"] = SUBSCRIPTION


@pytest.fixture
def client(mocker: MockerFixture) -> MagicMock:
    """The ResourceManagementClient the steps get: eastus and westeurope, all registered."""
    use_request(compute_request())
    mocker.patch("azure.identity.DefaultAzureCredential")
    client_class = mocker.patch("azure.mgmt.resource.resources.ResourceManagementClient")
    client: MagicMock = client_class.return_value
    client.send_request.return_value.json.return_value = {
        "value": [{"name": "eastus"}, {"name": "westeurope"}]
    }
    client.providers.get.return_value = SimpleNamespace(registration_state="Registered")
    client.resource_groups.list.return_value = []
    client.resources.list.return_value = []
    return client


def registered_except(*namespaces: str) -> Any:
    def get(namespace: str) -> SimpleNamespace:
        state = "NotRegistered" if namespace in namespaces else "Registered"
        return SimpleNamespace(registration_state=state)

    return get


def test_preflight_passes_when_region_and_providers_are_fine(
    client: MagicMock, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preflight", "--kind", "compute"]) == 0
    assert capsys.readouterr().err == ""
    client.providers.get.assert_called_once_with("Microsoft.ContainerService")


def test_preflight_reads_the_locations_of_the_subscription(client: MagicMock) -> None:
    main(["preflight", "--kind", "compute"])
    request = client.send_request.call_args.args[0]
    assert request.method == "GET"
    assert f"/subscriptions/{SUBSCRIPTION}/locations?api-version=" in request.url


def test_preflight_fails_for_a_region_the_subscription_lacks(
    client: MagicMock, capsys: pytest.CaptureFixture[str]
) -> None:
    client.send_request.return_value.json.return_value = {"value": [{"name": "westeurope"}]}
    assert main(["preflight", "--kind", "compute"]) == 1
    assert capsys.readouterr().err == (
        f"preflight: region eastus is not a location of subscription {SUBSCRIPTION}\n"
    )


def test_preflight_fails_naming_an_unregistered_provider(
    client: MagicMock, capsys: pytest.CaptureFixture[str]
) -> None:
    use_request(compute_request(resource_type="vm"))
    client.providers.get.side_effect = registered_except("Microsoft.Network")
    assert main(["preflight", "--kind", "compute"]) == 1
    assert capsys.readouterr().err == (
        f"preflight: resource providers not registered in subscription {SUBSCRIPTION}:"
        " Microsoft.Network (NotRegistered)\n"
    )


def test_preflight_checks_the_providers_of_the_resource_type(client: MagicMock) -> None:
    request = compute_request(resource_type="redis")
    del request["node_count"]
    use_request(request)
    assert main(["preflight", "--kind", "database"]) == 0
    client.providers.get.assert_called_once_with("Microsoft.Cache")


def test_preflight_without_a_subscription_is_one_line(
    client: MagicMock, capsys: pytest.CaptureFixture[str]
) -> None:
    del os.environ["AZURE_SUBSCRIPTION_ID"]
    assert main(["preflight", "--kind", "compute"]) == 1
    assert capsys.readouterr().err.startswith(
        "preflight: no subscription: set AZURE_SUBSCRIPTION_ID or ARM_SUBSCRIPTION_ID, "
        "or subscription_id in the settings"
    )


def test_preflight_reports_an_azure_error_in_one_line(
    client: MagicMock, capsys: pytest.CaptureFixture[str]
) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    client.send_request.side_effect = ClientAuthenticationError(
        "DefaultAzureCredential failed to retrieve a token.\nAttempted credentials: ..."
    )
    assert main(["preflight", "--kind", "compute"]) == 1
    assert capsys.readouterr().err == (
        "preflight: azure: ClientAuthenticationError:"
        " DefaultAzureCredential failed to retrieve a token.\n"
    )


def test_verify_passes_when_every_terraform_id_is_tagged(
    applied: Steps, client: MagicMock, capsys: pytest.CaptureFixture[str]
) -> None:
    client.resource_groups.list.return_value = [SimpleNamespace(id=FIXTURE_IDS.upper())]
    client.resources.list.return_value = [SimpleNamespace(id=CLUSTER_ID)]
    assert main(["verify", *applied.stack("verify-pod")]) == 0
    assert capsys.readouterr().err == ""


def test_verify_filters_on_the_request_id_tag(applied: Steps, client: MagicMock) -> None:
    main(["verify", *applied.stack("verify-pod")])
    request_id = compute_request()["request_id"]
    expected = f"tagName eq 'request_id' and tagValue eq '{request_id}'"
    client.resources.list.assert_called_once_with(filter=expected)
    client.resource_groups.list.assert_called_once_with(filter=expected)


def test_verify_fails_naming_a_missing_resource(
    applied: Steps, client: MagicMock, capsys: pytest.CaptureFixture[str]
) -> None:
    client.resource_groups.list.return_value = [SimpleNamespace(id=FIXTURE_IDS)]
    assert main(["verify", *applied.stack("verify-pod")]) == 1
    request_id = compute_request()["request_id"]
    assert capsys.readouterr().err == (
        f"verify: not found in Azure with tag request_id={request_id}: {CLUSTER_ID}\n"
    )


def test_verify_after_destroy_passes_when_nothing_tagged_remains(
    client: MagicMock, capsys: pytest.CaptureFixture[str]
) -> None:
    use_request(compute_request(action="destroy"))
    stack = ["--kind", "compute", "--work", "unused-because-terraform-is-not-run"]
    assert main(["verify", *stack]) == 0
    assert capsys.readouterr().err == ""


def test_verify_after_destroy_fails_when_something_tagged_remains(
    client: MagicMock, capsys: pytest.CaptureFixture[str]
) -> None:
    use_request(compute_request(action="destroy"))
    client.resources.list.return_value = [SimpleNamespace(id=CLUSTER_ID)]
    assert main(["verify", "--kind", "compute", "--work", "unused"]) == 1
    request_id = compute_request()["request_id"]
    assert capsys.readouterr().err == (
        f"verify: 1 resources tagged request_id={request_id} remain after destroy: {CLUSTER_ID}\n"
    )
