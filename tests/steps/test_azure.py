"""preflight and verify against Azure at its network boundary.

The step programs run in-process with the real Azure SDK and the Azure CLI credential; a fake
`az` hands out the token and a fake Resource Manager answers over HTTPS (tests.fakes.azure).
verify reads the outputs of a stack applied with the real Terraform.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.azure import SUBSCRIPTION, FakeArm, fake_arm, write_az
from tests.steps.conftest import Steps, clean_environment, compute_request
from workflows.steps.cli import main

GROUP_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-demo-dev"
CLUSTER_ID = f"{GROUP_ID}/providers/Microsoft.ContainerService/managedClusters/aks-demo"
REQUEST_ID = compute_request()["request_id"]


def use_request(request: dict[str, object]) -> None:
    os.environ["IDP_REQUEST"] = json.dumps(request)


@pytest.fixture
def arm(tmp_path: Path) -> Iterator[FakeArm]:
    """A fake Resource Manager the steps reach as Azure (every region listed, all registered);
    what exists is what the test's Terraform state holds."""
    with fake_arm(tmp_path / "state", tmp_path) as fake:
        clean = clean_environment()
        os.environ.clear()
        os.environ.update(clean)
        os.environ["PATH"] = f"{write_az(tmp_path / 'bin')}{os.pathsep}{os.environ['PATH']}"
        os.environ.update(
            {
                "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
                "REQUESTS_CA_BUNDLE": str(fake.ca_bundle),
                "IDP_AZURE_AUTH": "azure-cli",
                "IDP_AZURE_RESOURCE_MANAGER": fake.url,
            }
        )
        use_request(compute_request())
        yield fake


def test_preflight_passes_when_region_and_providers_are_fine(
    arm: FakeArm, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preflight", "--kind", "compute"]) == 0
    assert capsys.readouterr().err == ""


def test_preflight_reads_the_locations_and_the_kinds_provider(arm: FakeArm) -> None:
    main(["preflight", "--kind", "compute"])
    prefix = f"GET /subscriptions/{SUBSCRIPTION}"
    assert arm.requests == [f"{prefix}/locations", f"{prefix}/providers/Microsoft.ContainerService"]


def test_preflight_fails_for_a_region_the_subscription_lacks(
    arm: FakeArm, capsys: pytest.CaptureFixture[str]
) -> None:
    arm.locations = ["westeurope"]
    assert main(["preflight", "--kind", "compute"]) == 1
    assert capsys.readouterr().err == (
        f"preflight: region eastus is not a location of subscription {SUBSCRIPTION}\n"
    )


def test_preflight_fails_naming_an_unregistered_provider(
    arm: FakeArm, capsys: pytest.CaptureFixture[str]
) -> None:
    use_request(compute_request(resource_type="vm"))
    arm.unregistered = {"Microsoft.Network"}
    assert main(["preflight", "--kind", "compute"]) == 1
    assert capsys.readouterr().err == (
        f"preflight: resource providers not registered in subscription {SUBSCRIPTION}:"
        " Microsoft.Network (NotRegistered)\n"
    )


def test_preflight_checks_the_providers_of_the_resource_type(arm: FakeArm) -> None:
    request = compute_request(resource_type="redis")
    del request["node_count"]
    use_request(request)
    assert main(["preflight", "--kind", "database"]) == 0
    assert arm.requests[-1].endswith("/providers/Microsoft.Cache")


def test_preflight_without_a_subscription_is_one_line(
    arm: FakeArm, capsys: pytest.CaptureFixture[str]
) -> None:
    del os.environ["AZURE_SUBSCRIPTION_ID"]
    assert main(["preflight", "--kind", "compute"]) == 1
    assert capsys.readouterr().err.startswith(
        "preflight: no subscription: set AZURE_SUBSCRIPTION_ID or ARM_SUBSCRIPTION_ID, "
        "or subscription_id in the settings"
    )


def test_preflight_reports_a_refused_token_in_one_line(
    arm: FakeArm, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "bin" / "az").write_text("#!/bin/sh\necho 'Please run az login' >&2\nexit 1\n")
    assert main(["preflight", "--kind", "compute"]) == 1
    error = capsys.readouterr().err
    refused = "CredentialUnavailableError: Please run 'az login' to set up an account"
    assert error == f"preflight: azure: {refused}\n"


def test_preflight_uses_the_credential_settings_name_not_a_guess(
    arm: FakeArm, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ["IDP_AZURE_AUTH"] = "workload-identity"
    assert main(["preflight", "--kind", "compute"]) == 1
    assert "WorkloadIdentityCredential" in capsys.readouterr().err
    assert arm.requests == []


def test_verify_passes_when_every_terraform_id_is_tagged(
    arm: FakeArm, applied: Steps, capsys: pytest.CaptureFixture[str]
) -> None:
    arm.state_dir = applied.tmp / "state"
    assert main(["verify", *applied.stack("verify-pod"), "--out", str(applied.out("verify"))]) == 0
    assert capsys.readouterr().err == ""


def test_verify_filters_on_the_request_id_tag(arm: FakeArm, applied: Steps) -> None:
    arm.state_dir = applied.tmp / "state"
    main(["verify", *applied.stack("verify-pod"), "--out", str(applied.out("verify"))])
    assert set(arm.filters) == {f"tagName eq 'request_id' and tagValue eq '{REQUEST_ID}'"}


def test_verify_fails_naming_a_missing_resource(
    arm: FakeArm, applied: Steps, capsys: pytest.CaptureFixture[str]
) -> None:
    arm.state_dir = applied.tmp / "state"
    (hidden,) = arm.hidden = {r["id"] for r in arm.resources() if "managedClusters" in r["id"]}
    assert main(["verify", *applied.stack("verify-pod"), "--out", str(applied.out("verify"))]) == 1
    assert capsys.readouterr().err == (
        f"verify: not found in Azure with tag request_id={REQUEST_ID}: {hidden}\n"
    )


def destroyed(tmp: Path) -> list[str]:
    """verify's options after a destroy: Terraform is not run, the state is a local folder."""
    state = ["--backend", "local", "--state-dir", str(tmp / "state")]
    return ["--kind", "compute", "--work", str(tmp / "unused"), *state, "--out", str(tmp / "out")]


def test_verify_after_destroy_passes_when_nothing_of_the_stack_remains(
    arm: FakeArm, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    use_request(compute_request(action="destroy"))
    assert main(["verify", *destroyed(tmp_path)]) == 0
    assert capsys.readouterr().err == ""
    assert arm.filters == ["tagName eq 'idp-stack' and tagValue eq 'compute-dev-demo'"] * 2


def test_verify_after_destroy_fails_when_something_of_the_stack_remains(
    arm: FakeArm, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    use_request(compute_request(action="destroy"))
    arm.leftovers = [{"id": CLUSTER_ID, "tags": {"idp-stack": "compute-dev-demo"}}]
    assert main(["verify", *destroyed(tmp_path)]) == 1
    left = f"1 resources tagged idp-stack=compute-dev-demo remain after destroy: {CLUSTER_ID}"
    assert capsys.readouterr().err == f"verify: {left}\n"


def test_verify_after_destroy_ignores_what_another_stack_left(arm: FakeArm, tmp_path: Path) -> None:
    use_request(compute_request(action="destroy"))
    arm.leftovers = [{"id": CLUSTER_ID, "tags": {"idp-stack": "compute-dev-other"}}]
    assert main(["verify", *destroyed(tmp_path)]) == 0


def stack_files(tmp: Path, resources: list[dict[str, object]]) -> tuple[Path, Path]:
    """The stack's state (holding `resources`) and registry entry, in the local state folder."""
    folder = tmp / "state" / "compute" / "dev"
    folder.mkdir(parents=True)
    state, entry = folder / "demo.tfstate", folder / "demo.stack.json"
    state.write_text(json.dumps({"version": 4, "resources": resources}))
    entry.write_text("{}")
    return state, entry


def test_a_verified_destroy_removes_the_registry_entry_and_the_state(
    arm: FakeArm, tmp_path: Path
) -> None:
    use_request(compute_request(action="destroy"))
    state, entry = stack_files(tmp_path, [])
    assert main(["verify", *destroyed(tmp_path)]) == 0
    assert not state.exists() and not entry.exists()
    assert (tmp_path / "out" / "verified").read_text() == (
        "nothing tagged idp-stack=compute-dev-demo remains; "
        "removed the registry entry and the state"
    )


def test_a_state_that_still_holds_a_resource_is_kept_and_verify_fails(
    arm: FakeArm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    use_request(compute_request(action="destroy"))
    held: list[dict[str, object]] = [
        {"mode": "managed", "type": "terraform_data", "name": "cluster", "instances": [{}]}
    ]
    state, entry = stack_files(tmp_path, held)
    assert main(["verify", *destroyed(tmp_path)]) == 1
    assert state.exists() and entry.exists()
    assert "still holds 1 resources (terraform_data.cluster); it is kept" in capsys.readouterr().err
