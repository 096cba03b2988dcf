"""The programs as a whole: no Hera in the pods, the plan's validate phase, one-line errors,
exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.fakes.azure import FakeArm
from tests.steps.conftest import Steps, compute_request, passed, recorded


def imported_modules(steps: Steps, *args: str) -> set[str]:
    """Every module `python -X importtime -m workflows.steps ARGS` loads, run as a pod of the
    test runs it (its environment, the compute request). The command's own module is imported
    with `importlib`, which `-X importtime` does not list; every module it imports is listed."""
    env = steps.env | {"IDP_REQUEST": json.dumps(compute_request())}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "workflows.steps", *args],
        cwd=steps.tmp,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert lines, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def is_hera(module: str) -> bool:
    return module == "hera" or module.startswith("hera.")


def test_help_loads_no_hera_module(steps: Steps) -> None:
    modules = imported_modules(steps, "--help")
    assert "workflows.steps.cli" in modules
    assert not [m for m in modules if is_hera(m)]


def test_help_loads_neither_pydantic_nor_the_azure_sdk_from_the_steps(steps: Steps) -> None:
    modules = imported_modules(steps, "--help")
    assert "workflows.steps.request" not in modules
    assert "workflows.steps.azure" not in modules
    assert not [m for m in modules if m.startswith("azure")]


def test_plan_loads_no_hera_module(arm: FakeArm, steps: Steps) -> None:
    """A whole plan, preflight against the fake Resource Manager included."""
    modules = imported_modules(steps, "plan", *steps.stack("pod"), "--out", "plan")
    assert {"idp.contract", "workflows.steps.policy", "azure.identity"} <= modules
    assert steps.output("plan", "next") == "approve"
    assert not [m for m in modules if is_hera(m)]


def test_apply_loads_no_hera_module(arm: FakeArm, steps: Steps) -> None:
    """A whole apply, verify against the fake Resource Manager included."""
    passed(steps.plan("plan"))
    args = ["--out", "applied", "--sha256", steps.sha256("plan"), "--next", "approve"]
    args += ["--approval", "YES", *recorded("lee.at.example.com")]
    modules = imported_modules(steps, "apply", *steps.stack("pod"), *args)
    assert {"workflows.steps.planfile", "azure.identity"} <= modules
    assert steps.output("applied", "verified") == "2 ids found (2 tagged)"
    assert not [m for m in modules if is_hera(m)]


@pytest.mark.parametrize("command", ["notify", "finish"])
def test_the_notices_load_no_hera_module(steps: Steps, command: str) -> None:
    out = ["--out", "finish", "--status", "Succeeded"] if command == "finish" else []
    modules = imported_modules(steps, command, "--kind", "compute", *out)
    assert "workflows.steps.delivery" in modules
    assert not [m for m in modules if is_hera(m)]


# --- the validate phase: one line per problem, exit 2 --------------------------------------------


def test_a_valid_request_passes_validate(steps: Steps) -> None:
    result = passed(steps.plan("plan"))
    request_id = compute_request()["request_id"]
    assert result.stdout.splitlines()[:2] == [
        "== validate",
        f"validate: valid compute request {request_id}",
    ]


def test_unknown_kind_exits_2_with_one_line(steps: Steps) -> None:
    args = ["--kind", "network", "--work", "pod", "--out", "plan", "--backend", "local"]
    result = steps.run("plan", *args)
    assert result.returncode == 2
    assert result.stderr == (
        "plan: failed at validate: kind: unknown kind 'network'; known kinds: compute,"
        " database, storage\n"
    )


def test_missing_request_variable_exits_2_with_one_line(steps: Steps) -> None:
    result = steps.plan("plan", env={"IDP_REQUEST": ""})
    assert result.returncode == 2
    assert result.stderr == (
        "plan: failed at validate: IDP_REQUEST is not set: it must hold the request JSON\n"
    )


def test_bad_settings_exit_2_with_one_line(steps: Steps) -> None:
    result = steps.plan("plan", env={"IDP_ALLOWED_REGIONS": "eastus"})
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("plan: settings")


def test_validate_prints_one_line_per_bad_field_and_exits_2(steps: Steps) -> None:
    request = compute_request(node_count=101, region="mars", requester_email="nobody")
    result = steps.plan("plan", request=request)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("plan: failed at validate: request: region: ")
    assert all(line.startswith("plan: ") and " request: " in line for line in lines)
    fields = [line.split(" request: ")[1].split(":")[0] for line in lines]
    assert fields == ["region", "requester_email", "node_count"]
    assert not (steps.tmp / "plan-pod").exists()


def test_validate_reports_a_request_that_is_not_json(steps: Steps) -> None:
    result = steps.plan("plan", env={"IDP_REQUEST": "{not json"})
    assert result.returncode == 2
    assert result.stderr.startswith("plan: failed at validate: request: (request): not valid JSON")
    assert len(result.stderr.splitlines()) == 1


def test_validate_uses_the_allowed_regions_of_the_settings(steps: Steps) -> None:
    result = steps.plan("plan", env={"IDP_ALLOWED_REGIONS": '["westeurope"]'})
    assert result.returncode == 2
    assert result.stderr == (
        "plan: failed at validate: request: region: Value error, must be one of the allowed"
        " regions: westeurope (got 'eastus')\n"
    )


def test_validate_rejects_a_request_of_another_kind(steps: Steps) -> None:
    args = ["--kind", "storage", "--work", "pod", "--out", "plan", "--backend", "local"]
    result = steps.run("plan", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("plan: failed at validate: request: ")
    assert "request: resource_type: " in result.stderr


def test_a_request_nested_too_deeply_is_a_bad_request_not_a_traceback(steps: Steps) -> None:
    result = steps.plan("plan", env={"IDP_REQUEST": "[" * 5000 + "]" * 5000})
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_apply_validates_the_request_it_applies_for(steps: Steps) -> None:
    passed(steps.plan("plan"))
    result = steps.apply("plan", request=compute_request(node_count=0))
    assert result.returncode == 2
    assert result.stderr.startswith("apply: failed at decide: request: node_count: ")
    assert steps.resources() == []
