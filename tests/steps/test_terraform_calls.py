"""How the plan and apply programs call Terraform: argument lists, automation variables, the
backend, no re-plan.

A wrapper named `terraform` first on PATH records each call, then runs the real binary.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from idp.image import LOCAL_STUB_ENV
from tests.fakes.azure import FakeArm
from tests.steps.conftest import FIXTURE_MODULE, Steps, compute_request, passed

# Each test runs the step programs with real Terraform: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

WATCHED = ("TF_IN_AUTOMATION", "TF_INPUT", "CHECKPOINT_DISABLE")
WRAPPER = """#!{python}
import json, os, sys
with open({calls!r}, "a") as stream:
    env = {{name: os.environ.get(name) for name in {watched!r}}}
    stream.write(json.dumps({{"argv": sys.argv[1:], "env": env}}) + "\\n")
if os.environ.get("STOP_AT_INIT") and sys.argv[1] == "init":
    sys.exit(1)
os.execv({real!r}, [{real!r}, *sys.argv[1:]])
"""


class Recorder:
    def __init__(self, steps: Steps) -> None:
        real = shutil.which("terraform")
        assert real is not None, "terraform is not on PATH"
        self.calls_file = steps.tmp / "calls.jsonl"
        wrapper = steps.tmp / "wrapper" / "terraform"
        wrapper.parent.mkdir()
        wrapper.write_text(
            WRAPPER.format(
                python=sys.executable, calls=str(self.calls_file), watched=WATCHED, real=real
            )
        )
        wrapper.chmod(0o755)
        self.path = f"{wrapper.parent}{os.pathsep}{steps.env['PATH']}"

    def calls(self) -> list[dict[str, Any]]:
        if not self.calls_file.exists():
            return []
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]

    def commands(self) -> list[str]:
        return [call["argv"][0] for call in self.calls()]


@pytest.fixture
def recorder(steps: Steps) -> Recorder:
    return Recorder(steps)


def test_plan_runs_init_plan_and_both_shows(steps: Steps, recorder: Recorder) -> None:
    passed(steps.plan("plan", env={"PATH": recorder.path}))
    assert recorder.commands() == ["init", "plan", "show", "show"]


def test_terraform_runs_in_automation_mode(steps: Steps, recorder: Recorder) -> None:
    passed(steps.plan("plan", env={"PATH": recorder.path}))
    expected = {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    assert [call["env"] for call in recorder.calls()] == [expected] * 4


def test_plan_asks_for_the_detailed_exit_code_and_a_saved_plan(
    steps: Steps, recorder: Recorder
) -> None:
    passed(steps.plan("plan", env={"PATH": recorder.path}))
    plan = recorder.calls()[1]["argv"]
    work = Path(steps.tmp / "plan-pod").resolve()
    assert plan[:5] == ["plan", "-json", "-no-color", "-input=false", "-detailed-exitcode"]
    assert f"-out={work / 'stack' / 'plan.tfplan'}" in plan
    assert "-destroy" not in plan


def test_a_destroy_is_planned_with_destroy(applied: Steps) -> None:
    recorder = Recorder(applied)
    destroy = compute_request(action="destroy")
    passed(applied.plan("destroy-plan", request=destroy, env={"PATH": recorder.path}))
    assert "-destroy" in recorder.calls()[1]["argv"]


def test_apply_initialises_without_backend_and_never_plans_again(
    steps: Steps, recorder: Recorder
) -> None:
    passed(steps.plan("plan"))
    passed(steps.apply("plan", env={"PATH": recorder.path}))
    calls = [call["argv"] for call in recorder.calls()]
    assert [argv[0] for argv in calls] == ["init", "apply", "init", "output"]
    assert "-backend=false" in calls[0]
    assert calls[1][-1] == str((steps.tmp / "apply-pod" / "approved" / "plan.tfplan").resolve())


def test_an_answer_that_applies_nothing_never_runs_terraform(
    steps: Steps, recorder: Recorder
) -> None:
    passed(steps.plan("plan"))
    passed(steps.apply("plan", approval="NO", env={"PATH": recorder.path}))
    assert recorder.calls() == []


def azurerm(recorder: Recorder, **settings: str) -> dict[str, str]:
    """A pod's environment for the azurerm backend: nothing stood in for (the programs refuse
    it there: preflight needs the `arm` fixture); Terraform stops after init."""
    return {"PATH": recorder.path, "STOP_AT_INIT": "1", LOCAL_STUB_ENV: "", **settings}


def test_plan_initialises_the_azurerm_backend_from_settings(
    arm: FakeArm, steps: Steps, recorder: Recorder
) -> None:
    env = azurerm(
        recorder,
        IDP_TERRAFORM_BACKEND__RESOURCE_GROUP="rg-state",
        IDP_TERRAFORM_BACKEND__STORAGE_ACCOUNT="statestore",
    )
    args = ["--kind", "compute", "--module", str(FIXTURE_MODULE), "--work", "pod"]
    result = steps.run("plan", *args, "--out", "plan", env=env)
    assert result.returncode == 1
    assert result.stderr == "plan: failed at plan: terraform init failed: exit code 1\n"
    init = recorder.calls()[0]["argv"]
    assert [a for a in init if a.startswith("-backend-config=")] == [
        "-backend-config=resource_group_name=rg-state",
        "-backend-config=storage_account_name=statestore",
        "-backend-config=container_name=tfstate",
        "-backend-config=key=compute/dev/demo.tfstate",
        "-backend-config=use_azuread_auth=true",
    ]  # no use_oidc: the fake's credential is the Azure CLI's, not workload identity
