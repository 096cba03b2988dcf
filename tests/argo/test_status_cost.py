"""`idp status` shows the plan's cost estimate: the `cost` Workflow output the plan step
publishes (its global output), on a line of its own after the plan's."""

from __future__ import annotations

import json

import pytest

from idp.cli import main
from idp.manifests import Manifest
from tests.argo.fake_argo import FakeArgo
from tests.argo.platform import finished, ran
from tests.local.engine import PLAN, Ending

WORKFLOW = "compute-0f8fad5b-d9cb-469f-a165-70867728950e"  # the compute example's
PRICED = PLAN.outputs["cost"]  # what the scripted plan publishes
BLOCKED = (
    "over budget: the estimated monthly cost after the change, $72.48, is over "
    "max_monthly_cost $50.00"
)


def planned(cost: str) -> Ending:
    """The scripted plan, publishing `cost`."""
    return Ending(outputs={**PLAN.outputs, "cost": cost})


def status_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["status", WORKFLOW]) == 0
    return capsys.readouterr().out.splitlines()


def labels(lines: list[str]) -> list[str]:
    return [line[:10].strip() for line in lines if line[:10].strip()]


def test_status_shows_the_cost_after_the_plan(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(ran(manifests, script={"finish": finished("succeeded", "applied")}))
    lines = status_lines(capsys)

    shown = labels(lines)
    assert shown[shown.index("plan") + 1] == "cost"
    assert f"cost      {PRICED}" in lines


def test_an_unknown_cost_is_shown_with_its_reason(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = "unknown: the price service: unreachable (ConnectionError)"
    fake.put_workflow(ran(manifests, script={"plan": planned(unknown)}))
    assert f"cost      {unknown}" in status_lines(capsys)


def test_a_run_whose_plan_priced_nothing_has_no_cost_line(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(ran(manifests, script={"plan": planned("")}))
    assert "cost" not in labels(status_lines(capsys))


def test_a_cost_blocked_run_shows_why_and_the_estimate(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    plan = Ending("Failed", outputs=planned(PRICED).outputs, message=f"failed at cost: {BLOCKED}")
    fake.put_workflow(
        ran(manifests, script={"plan": plan, "finish": finished("cost-blocked", BLOCKED)})
    )
    lines = status_lines(capsys)
    assert f"outcome   cost-blocked: {BLOCKED}" in lines
    assert f"cost      {PRICED}" in lines


def test_the_cost_is_printed_with_its_control_characters_escaped(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(ran(manifests, script={"plan": planned("+$1.00\x1b[2J/month")}))
    lines = status_lines(capsys)
    assert "cost      +$1.00\\x1b[2J/month" in lines
    assert not any("\x1b" in line for line in lines)


def test_o_json_carries_the_cost(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(ran(manifests))
    assert main(["status", WORKFLOW, "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["cost"] == PRICED
