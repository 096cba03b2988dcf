"""The phases that talk to Azure, against Azure at its network boundary: plan's preflight and
apply's verify.

The programs run as pods run them, with the real Azure SDK and the Azure CLI's credential; a
fake `az` hands out the token and a fake Resource Manager answers over HTTPS (the `arm`
fixture, tests.fakes.azure). What exists in Azure is what the test's Terraform state holds.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from tests.fakes.azure import SUBSCRIPTION, FakeArm
from tests.steps.conftest import ROOT, Steps, compute_request, passed

# Each test runs the step programs with real Terraform: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

GROUP_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-demo-dev"
CLUSTER_ID = f"{GROUP_ID}/providers/Microsoft.ContainerService/managedClusters/aks-demo"
REQUEST_ID = compute_request()["request_id"]
DESTROY = compute_request(action="destroy")
BY_REQUEST = f"tagName eq 'request_id' and tagValue eq '{REQUEST_ID}'"
BY_STACK = "tagName eq 'idp-stack' and tagValue eq 'compute-dev-demo'"


def phase(steps: Steps, out: str, name: str) -> str:
    """What phase `name` found, from the `phases` output of OUT."""
    (line,) = [x for x in steps.output(out, "phases").splitlines() if x.startswith(f"{name}: ")]
    return line.removeprefix(f"{name}: ")


# --- preflight -----------------------------------------------------------------------------------


def test_preflight_passes_when_region_and_providers_are_fine(arm: FakeArm, steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert phase(steps, "plan", "preflight") == (
        f"ok: eastus in {SUBSCRIPTION}; registered: Microsoft.ContainerService"
    )


def test_preflight_reads_the_locations_and_the_kinds_provider(arm: FakeArm, steps: Steps) -> None:
    passed(steps.plan("plan"))
    prefix = f"GET /subscriptions/{SUBSCRIPTION}"
    assert arm.requests == [f"{prefix}/locations", f"{prefix}/providers/Microsoft.ContainerService"]


def test_preflight_fails_for_a_region_the_subscription_lacks_before_terraform(
    arm: FakeArm, steps: Steps
) -> None:
    arm.locations = ["westeurope"]
    result = steps.plan("plan")
    assert result.returncode == 1
    assert result.stderr == (
        f"plan: failed at preflight: region eastus is not a location of subscription"
        f" {SUBSCRIPTION}\n"
    )
    assert not (steps.tmp / "plan-pod").exists()


def test_preflight_fails_naming_an_unregistered_provider(arm: FakeArm, steps: Steps) -> None:
    arm.unregistered = {"Microsoft.Network"}
    result = steps.plan("plan", request=compute_request(resource_type="vm"))
    assert result.returncode == 1
    assert result.stderr == (
        f"plan: failed at preflight: resource providers not registered in subscription"
        f" {SUBSCRIPTION}: Microsoft.Network (NotRegistered)\n"
    )


def test_preflight_checks_the_providers_of_the_resource_type(arm: FakeArm, steps: Steps) -> None:
    request = compute_request(resource_type="redis")
    del request["node_count"]
    module = ROOT / "tests" / "fixtures" / "terraform" / "database"
    stack = ["--kind", "database", "--module", str(module), "--work", "pod", "--out", "plan"]
    stack += ["--backend", "local", "--state-dir", str(steps.tmp / "state")]
    passed(steps.run("plan", *stack, request=request))
    assert arm.requests[-1].endswith("/providers/Microsoft.Cache")
    assert phase(steps, "plan", "preflight").endswith("registered: Microsoft.Cache")


def test_preflight_without_a_subscription_is_one_line(arm: FakeArm, steps: Steps) -> None:
    del steps.env["AZURE_SUBSCRIPTION_ID"]
    result = steps.plan("plan")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "plan: failed at preflight: no subscription: set AZURE_SUBSCRIPTION_ID or"
        " ARM_SUBSCRIPTION_ID, or subscription_id in the settings"
    )
    assert len(result.stderr.splitlines()) == 1


def test_preflight_reports_a_refused_token_in_one_line(arm: FakeArm, steps: Steps) -> None:
    (steps.tmp / "bin" / "az").write_text("#!/bin/sh\necho 'Please run az login' >&2\nexit 1\n")
    result = steps.plan("plan")
    assert result.returncode == 1
    refused = "CredentialUnavailableError: Please run 'az login' to set up an account"
    assert result.stderr == f"plan: failed at preflight: azure: {refused}\n"


def test_preflight_uses_the_credential_settings_name_not_a_guess(
    arm: FakeArm, steps: Steps
) -> None:
    result = steps.plan("plan", env={"IDP_AZURE_AUTH": "workload-identity"})
    assert result.returncode == 1
    assert result.stderr.startswith("plan: failed at preflight: azure: ")
    assert "WorkloadIdentityCredential" in result.stderr
    assert arm.requests == []


# --- verify after a provision --------------------------------------------------------------------


def test_verify_passes_when_every_terraform_id_is_tagged(arm: FakeArm, steps: Steps) -> None:
    passed(steps.plan("plan"))
    passed(steps.apply("plan"))
    assert steps.output("plan-applied", "verified") == "2 ids found (2 tagged)"
    assert phase(steps, "plan-applied", "verify") == "ok: 2 ids found (2 tagged)"


def test_verify_filters_on_the_request_id_tag(arm: FakeArm, steps: Steps) -> None:
    passed(steps.plan("plan"))
    passed(steps.apply("plan"))
    assert set(arm.filters) == {BY_REQUEST}


def test_verify_fails_naming_a_missing_resource(arm: FakeArm, steps: Steps) -> None:
    arm.hidden = {CLUSTER_ID}
    passed(steps.plan("plan"))
    result = steps.apply("plan")
    assert result.returncode == 1
    assert result.stderr == (
        f"apply: failed at verify: not found in Azure with tag request_id={REQUEST_ID}:"
        f" {CLUSTER_ID}\n"
    )
    assert not (steps.out("plan-applied") / "report.json").exists()


# --- verify after a destroy ----------------------------------------------------------------------


def test_a_verified_destroy_removes_the_registry_entry_and_the_state(
    arm: FakeArm, applied: Steps
) -> None:
    assert applied.entry_file().is_file()
    passed(applied.plan("destroy-plan", request=DESTROY))
    passed(applied.apply("destroy-plan", request=DESTROY))
    assert not applied.state_file().exists()
    assert not applied.entry_file().exists()
    assert applied.output("destroy-plan-applied", "verified") == (
        "nothing tagged idp-stack=compute-dev-demo remains; "
        "removed the registry entry and the state"
    )


def test_verify_after_destroy_asks_for_what_is_tagged_with_the_stack(
    arm: FakeArm, applied: Steps
) -> None:
    passed(applied.plan("destroy-plan", request=DESTROY))
    arm.filters.clear()
    passed(applied.apply("destroy-plan", request=DESTROY))
    assert arm.filters == [BY_STACK] * 2  # resource groups, then resources


def test_verify_after_destroy_fails_when_something_of_the_stack_remains(
    arm: FakeArm, applied: Steps
) -> None:
    arm.leftovers = [{"id": CLUSTER_ID, "tags": {"idp-stack": "compute-dev-demo"}}]
    passed(applied.plan("destroy-plan", request=DESTROY))
    result = applied.apply("destroy-plan", request=DESTROY)
    assert result.returncode == 1
    left = f"1 resources tagged idp-stack=compute-dev-demo remain after destroy: {CLUSTER_ID}"
    assert result.stderr == f"apply: failed at verify: {left}\n"
    assert applied.entry_file().is_file() and applied.state_file().is_file()


# A terraform that applies, then leaves a resource in the state: a state that still holds
# something after a destroy said it was done.
LEAVES_ONE = """#!{python}
import json, subprocess, sys
done = subprocess.run([{real!r}, *sys.argv[1:]]).returncode
if done == 0 and sys.argv[1] == "apply":
    with open({state!r}) as stream:
        state = json.load(stream)
    kept = {{"mode": "managed", "type": "terraform_data", "name": "kept", "provider":
            'provider["terraform.io/builtin/terraform"]', "instances": [{{"attributes": {{}}}}]}}
    state["resources"].append(kept)
    with open({state!r}, "w") as stream:
        json.dump(state, stream)
sys.exit(done)
"""


def test_a_state_that_still_holds_a_resource_is_kept_and_verify_fails(
    arm: FakeArm, applied: Steps
) -> None:
    real = shutil.which("terraform")
    wrapper = applied.tmp / "leaves-one" / "terraform"
    wrapper.parent.mkdir()
    state = str(applied.state_file())
    wrapper.write_text(LEAVES_ONE.format(python=sys.executable, real=real, state=state))
    wrapper.chmod(0o755)
    passed(applied.plan("destroy-plan", request=DESTROY))
    path = {"PATH": f"{wrapper.parent}{os.pathsep}{applied.env['PATH']}"}
    result = applied.apply("destroy-plan", request=DESTROY, env=path)
    assert result.returncode == 1
    assert result.stderr == (
        "apply: failed at verify: the state compute/dev/demo.tfstate still holds 1 resources"
        " (terraform_data.kept); it is kept\n"
    )
    assert applied.entry_file().is_file()
    assert json.loads(applied.state_file().read_text())["resources"][0]["name"] == "kept"
