"""The program as a whole: no Hera in the pods, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.steps.conftest import Steps, clean_environment, compute_request, passed


def imported_modules(*args: str, request: str) -> set[str]:
    """Every module `python -X importtime -m workflows.steps ARGS` loads."""
    env = clean_environment() | {"IDP_REQUEST": request}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "workflows.steps", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert lines, result.stderr
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def is_hera(module: str) -> bool:
    return module == "hera" or module.startswith("hera.")


def test_help_loads_no_hera_module() -> None:
    modules = imported_modules("--help", request="{}")
    assert "workflows.steps.cli" in modules
    assert not [m for m in modules if is_hera(m)]


def test_validate_loads_no_hera_module() -> None:
    modules = imported_modules(
        "validate", "--kind", "compute", request=json.dumps(compute_request())
    )
    assert "idp.contract" in modules
    assert not [m for m in modules if is_hera(m)]


def test_help_loads_neither_pydantic_nor_the_azure_sdk_from_the_steps() -> None:
    modules = imported_modules("--help", request="{}")
    assert "workflows.steps.request" not in modules
    assert "workflows.steps.azure" not in modules
    assert not [m for m in modules if m.startswith("azure")]


def test_unknown_kind_exits_2_with_one_line(steps: Steps) -> None:
    result = steps.run("validate", "--kind", "network")
    assert result.returncode == 2
    assert result.stderr == (
        "validate: kind: unknown kind 'network'; known kinds: compute, database, storage\n"
    )


def test_missing_request_variable_exits_2_with_one_line(steps: Steps) -> None:
    env = dict(steps.env)
    result = subprocess.run(
        [sys.executable, "-m", "workflows.steps", "validate", "--kind", "compute"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == "validate: IDP_REQUEST is not set: it must hold the request JSON\n"


def test_bad_settings_exit_2_with_one_line(steps: Steps) -> None:
    result = steps.run("validate", "--kind", "compute", env={"IDP_ALLOWED_REGIONS": "eastus"})
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("validate: settings")


def test_validate_accepts_a_valid_request(steps: Steps) -> None:
    result = passed(steps.run("validate", "--kind", "compute"))
    assert result.stdout == f"valid compute request {compute_request()['request_id']}\n"
    assert result.stderr == ""


def test_validate_prints_one_line_per_bad_field_and_exits_2(steps: Steps) -> None:
    request = compute_request(node_count=101, region="mars", requester_email="nobody")
    result = steps.run("validate", "--kind", "compute", request=request)
    assert result.returncode == 2
    fields = [line.split(": ")[2] for line in result.stderr.splitlines()]
    assert fields == ["region", "requester_email", "node_count"]
    assert all(line.startswith("validate: request: ") for line in result.stderr.splitlines())


def test_validate_reports_a_request_that_is_not_json(steps: Steps) -> None:
    result = steps.run("validate", "--kind", "compute", env={"IDP_REQUEST": "{not json"})
    assert result.returncode == 2
    assert result.stderr.startswith("validate: request: (request): not valid JSON")
    assert len(result.stderr.splitlines()) == 1


def test_validate_uses_the_allowed_regions_of_the_settings(steps: Steps) -> None:
    env = {"IDP_ALLOWED_REGIONS": '["westeurope"]'}
    result = steps.run("validate", "--kind", "compute", env=env)
    assert result.returncode == 2
    assert result.stderr == (
        "validate: request: region: Value error, must be one of the allowed regions:"
        " westeurope (got 'eastus')\n"
    )


def test_validate_rejects_a_request_of_another_kind(steps: Steps) -> None:
    result = steps.run("validate", "--kind", "storage")
    assert result.returncode == 2
    assert "request: resource_type: " in result.stderr


def test_a_request_nested_too_deeply_is_a_bad_request_not_a_traceback(steps: Steps) -> None:
    result = steps.run(
        "validate", "--kind", "compute", env={"IDP_REQUEST": "[" * 5000 + "]" * 5000}
    )
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
