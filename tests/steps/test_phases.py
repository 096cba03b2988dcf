"""The phases of the plan and apply programs: each named in the log, in the `phases` output and
in the message of a failure; what `idp local` may stand in for, and only with the local backend.
"""

from __future__ import annotations

import json

import pytest

from idp.image import LOCAL_STUB_ENV
from idp.local.templating import go_quote
from tests.steps.conftest import FIXTURE_MODULE, Steps, compute_request, passed

# Each test runs the step programs with real Terraform: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

FAILING_PLAN = compute_request(name="fail-plan")  # the fixture module refuses to plan it


def headers(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("== ")]


def test_plan_names_each_phase_in_its_log_in_order(steps: Steps) -> None:
    result = passed(steps.plan("plan"))
    assert headers(result.stdout) == [
        "== validate",
        "== preflight",
        "== plan",
        "== policy",
        "== cost",
    ]


def test_apply_names_each_phase_in_its_log_in_order(steps: Steps) -> None:
    passed(steps.plan("plan"))
    result = passed(steps.apply("plan"))
    assert headers(result.stdout) == ["== decide", "== apply", "== verify", "== report"]


def test_the_plans_phases_output_says_what_each_phase_found(steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert steps.output("plan", "phases").splitlines() == [
        f"validate: valid compute request {compute_request()['request_id']}",
        "preflight: stubbed by idp local",
        f"plan: 2 to add, 0 to change, 0 to destroy (sha256 {steps.sha256('plan')})",
        "policy: stubbed by idp local",
        "cost: stubbed by idp local",
    ]


def test_the_applys_phases_output_says_what_each_phase_found(steps: Steps) -> None:
    passed(steps.plan("plan"))
    passed(steps.apply("plan"))
    assert steps.output("plan-applied", "phases").splitlines() == [
        "decide: approved by lee.at.example.com",
        f"apply: applied plan {steps.sha256('plan')}, approved by lee.at.example.com",
        "verify: stubbed by idp local",
        "report: 3 outputs published, 1 sensitive ones redacted",
    ]


def test_a_failure_is_named_after_its_phase_on_stderr_and_as_the_nodes_message(
    steps: Steps,
) -> None:
    termination = steps.tmp / "termination-log"
    result = steps.plan("plan", request=FAILING_PLAN, env={"IDP_TERMINATION_LOG": str(termination)})
    reason = (
        "failed at plan: terraform plan failed: Resource precondition failed:"
        " The fixture module refuses to plan a stack named fail-plan."
    )
    assert result.returncode == 1
    assert result.stderr == f"plan: {reason}\n"
    assert termination.read_text() == reason


def test_the_phases_output_of_a_failed_run_ends_with_the_failed_phase(steps: Steps) -> None:
    assert steps.plan("plan", request=FAILING_PLAN).returncode == 1
    lines = steps.output("plan", "phases").splitlines()
    assert [line.split(":")[0] for line in lines] == ["validate", "preflight", "plan"]
    assert lines[-1].startswith("plan: failed: terraform plan failed: Resource precondition failed")


def test_no_phase_runs_after_the_one_that_failed(steps: Steps) -> None:
    result = steps.plan("plan", request=FAILING_PLAN)
    assert headers(result.stdout) == ["== validate", "== preflight", "== plan"]
    assert not (steps.out("plan") / "next").exists()


def test_the_exit_handler_reports_the_failed_phase_as_the_program_named_it(
    steps: Steps,
) -> None:
    """The node's message is the container's termination message after `main: Error (exit
    code 1): ` (argo-workflows `workflow/controller/operator.go`, `assessNodeStatus`);
    `outcome.decide` keeps the phase the program named rather than the task's name."""
    termination = steps.tmp / "termination-log"
    steps.plan("plan", request=FAILING_PLAN, env={"IDP_TERMINATION_LOG": str(termination)})
    node = {
        "displayName": "plan",
        "templateName": "plan",
        "phase": "Failed",
        "message": f"main: Error (exit code 1): {termination.read_text()}",
        "finishedAt": "2026-11-23T10:00:05Z",
    }
    failures = go_quote(json.dumps([node]))
    args = ["--kind", "compute", "--out", "finish", "--status", "Failed", "--failures", failures]
    assert steps.run("finish", *args).returncode == 1
    assert (steps.out("finish") / "reason").read_text() == termination.read_text()


# --- what idp local stands in for ----------------------------------------------------------------


def test_with_the_local_backend_the_stub_variable_stands_in_for_a_phase(steps: Steps) -> None:
    """No Azure is set up here: a preflight that ran would fail (next test)."""
    result = passed(steps.plan("plan", stub="preflight,policy"))
    assert "preflight: stubbed by idp local" in result.stdout.splitlines()


def test_without_the_stub_variable_the_phase_runs(steps: Steps) -> None:
    result = steps.plan("plan", stub="")
    assert result.returncode == 1
    assert result.stderr.startswith("plan: failed at preflight: no subscription: ")


def test_the_stub_variable_is_refused_with_the_azurerm_backend_before_anything_runs(
    steps: Steps,
) -> None:
    args = ["--kind", "compute", "--module", str(FIXTURE_MODULE), "--work", "pod", "--out", "plan"]
    result = steps.run("plan", *args, "--backend", "azurerm", env={LOCAL_STUB_ENV: "preflight"})
    assert result.returncode == 2
    assert result.stderr == (
        f"plan: {LOCAL_STUB_ENV} is honoured only by idp local (the local backend);"
        " a pod in a cluster runs every phase\n"
    )
    assert not (steps.tmp / "pod").exists()
    assert list(steps.out("plan").iterdir()) == []


def test_apply_refuses_the_stub_variable_with_the_azurerm_backend(steps: Steps) -> None:
    args = ["--kind", "compute", "--module", str(FIXTURE_MODULE), "--work", "pod", "--out", "out"]
    args += ["--backend", "azurerm", "--sha256", "0" * 64, "--next", "approve"]
    result = steps.run("apply", *args, "--approval", "YES", env={LOCAL_STUB_ENV: "verify"})
    assert result.returncode == 2
    assert result.stderr.startswith(f"apply: {LOCAL_STUB_ENV} is honoured only by idp local")
