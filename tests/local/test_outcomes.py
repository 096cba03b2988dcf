"""Every outcome of the pipeline, for every kind, through `idp local`.

Each test runs the compiled Workflow with the controller's rules, the real step programs and
real Terraform on the kind's fixture module; Azure and the callback are local fakes at the
network boundary. A row of the table in the README ("What each answer does") per test.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.fakes.azure import SUBSCRIPTION
from tests.local.conftest import KINDS, LocalPlatform, Run, example
from tests.upstream import conformance_errors

# Each test runs `idp local` with the real step programs: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

# The phases of the apply program after its decision (workflows.steps.commands.apply).
AFTER_APPROVAL = ("apply", "verify", "report")


def final_notices(platform: LocalPlatform) -> list[dict[str, Any]]:
    """The notices that report how a run ended (not the approvers' awaiting-approval)."""
    return [n for n in platform.notices() if n["phase"] != "awaiting-approval"]


def the_final_notice(platform: LocalPlatform) -> dict[str, Any]:
    (notice,) = final_notices(platform)
    return notice


def none_ran(run: Run, *tasks: str) -> bool:
    return not any(run.ran(task) for task in tasks)


@pytest.mark.parametrize("kind", KINDS)
def test_yes_applies_verifies_reports_and_notifies_succeeded_with_outputs(
    platform: LocalPlatform, kind: str
) -> None:
    run = platform.run(kind, example(kind, name="approved"))

    assert (run.code, run.phase, run.outcome) == (0, "Succeeded", "succeeded")
    assert set(AFTER_APPROVAL) <= set(run.found("apply"))
    notice = the_final_notice(platform)
    assert notice["phase"] == "succeeded"
    assert notice["outputs"]["resource_group_id"].endswith(
        "/rg-approved-" + example(kind)["environment"]
    )


def test_a_finished_run_is_stored_as_the_official_schema_allows(platform: LocalPlatform) -> None:
    run = platform.run("storage", example("storage", name="by-the-book"))
    assert conformance_errors(run.workflow) == []


@pytest.mark.parametrize("kind", KINDS)
def test_no_applies_nothing_and_notifies_rejected(platform: LocalPlatform, kind: str) -> None:
    run = platform.run(kind, example(kind, name="refused"), approve="NO")

    assert (run.phase, run.outcome) == ("Failed", "rejected")
    assert not run.applied
    assert run.found("apply")["decide"] == "not applied: the approval was answered 'NO', not YES"
    assert "rejected: the approval was answered 'NO'" in run.message
    assert the_final_notice(platform)["phase"] == "rejected"


@pytest.mark.parametrize("kind", KINDS)
def test_an_expired_approval_applies_nothing_and_notifies_expired(
    platform: LocalPlatform, kind: str
) -> None:
    run = platform.run(kind, example(kind, name="nobody-home"), approve="expire")

    assert (run.phase, run.outcome) == ("Failed", "expired")
    assert not run.applied
    assert the_final_notice(platform)["reason"].startswith(
        "nobody answered the approval within 24h"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_an_answer_that_is_not_exactly_yes_applies_nothing_and_notifies_rejected(
    platform: LocalPlatform, kind: str
) -> None:
    run = platform.run(kind, example(kind, name="almost"), approve=" YES")

    assert (run.phase, run.outcome) == ("Failed", "rejected")
    assert not run.applied
    assert the_final_notice(platform)["reason"] == "the approval was answered ' YES', not YES"


@pytest.mark.parametrize("kind", KINDS)
def test_a_plan_without_changes_asks_nobody_and_notifies_no_changes(
    platform: LocalPlatform, kind: str
) -> None:
    platform.run(kind, example(kind, name="settled"))
    platform.callback.received.clear()

    again = platform.run(kind, example(kind, name="settled"))  # the same request, run again

    assert (again.code, again.phase, again.outcome) == (0, "Succeeded", "no-changes")
    assert again.found("plan")["cost"] == "nothing to price: the plan has no changes"
    assert again.node("approve")["phase"] == "Skipped"  # type: ignore[index]
    assert again.node("apply")["phase"] == "Skipped"  # type: ignore[index]
    assert none_ran(again, "approve", "apply")
    assert [n["phase"] for n in platform.notices()] == ["no-changes"]


def failing(kind: str, phase: str, platform: LocalPlatform) -> dict[str, Any]:
    """A request (and the fakes) that make `phase` fail for `kind`."""
    if phase == "validate":
        # the Sensor passes it (no Go regular expression holds Unicode's full printable table),
        # the contract refuses it: an unassigned code point is not printable
        return example(kind, name="odd-name", requester_name="Ann \u0378")
    if phase == "preflight":
        platform.arm.locations = [r for r in platform.arm.locations if r != example(kind)["region"]]
        return example(kind, name="wrong-region")
    if phase == "verify":
        environment = example(kind)["environment"]
        platform.arm.hidden = {
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-gone-{environment}"
        }
        return example(kind, name="gone")
    return example(kind, name=f"fail-{phase}")


# Each phase that can fail, the task whose program runs it, and what must not run after it.
LATER = {
    "validate": ("plan", ("preflight", "plan", "policy"), ("approve", "apply")),
    "preflight": ("plan", ("plan", "policy"), ("approve", "apply")),
    "plan": ("plan", ("policy",), ("approve", "apply")),
    "apply": ("apply", ("verify", "report"), ()),
    "verify": ("apply", ("report",), ()),
}


@pytest.mark.parametrize("phase", list(LATER))
@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_phase_stops_every_later_one_and_the_notice_names_it(
    platform: LocalPlatform, kind: str, phase: str
) -> None:
    run = platform.run(kind, failing(kind, phase, platform))

    task, later_phases, later_tasks = LATER[phase]
    assert (run.code, run.phase, run.outcome) == (14, "Failed", "failed")
    assert run.node(task)["phase"] == "Failed"  # type: ignore[index]
    assert run.found(task)[phase].startswith("failed: ")
    assert not set(later_phases) & set(run.found(task))
    assert none_ran(run, *later_tasks)
    reason = the_final_notice(platform)["reason"]
    assert reason.startswith(f"failed at {phase}: ")
    assert reason != f"failed at {phase}: "
    assert run.node(task)["message"].endswith(reason)  # type: ignore[index]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("kind", KINDS)
def test_a_callback_that_is_down_changes_no_outcome_and_the_failed_delivery_shows(
    platform: LocalPlatform, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDP_CALLBACK_URL", f"http://127.0.0.1:{closed_port()}/idp/status")

    run = platform.run(kind, example(kind, name="unheard"))

    assert (run.code, run.phase, run.outcome) == (0, "Succeeded", "succeeded")
    assert run.node("notify-approvers")["phase"] == "Failed"  # type: ignore[index]
    (delivery,) = [
        p["value"]
        for n in run.workflow["status"]["nodes"].values()
        for p in (n.get("outputs") or {}).get("parameters") or []
        if p["name"] == "delivery" and n["type"] == "Pod"
    ]
    assert delivery.startswith("failed: callback http://127.0.0.1:")


@pytest.mark.parametrize("kind", KINDS)
def test_stopping_a_run_that_waits_for_approval_applies_nothing_and_notifies_stopped(
    platform: LocalPlatform, kind: str
) -> None:
    run = platform.run(kind, example(kind, name="halted"), approve="stop")

    assert (run.phase, run.outcome) == ("Failed", "stopped")
    assert run.message == "Stopped with strategy 'Stop'"
    assert none_ran(run, "apply")
    assert the_final_notice(platform)["reason"].startswith(
        "Stopped with strategy 'Stop' (at approve)"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_destroy_applied_after_yes_succeeds_once_nothing_of_the_stack_remains(
    platform: LocalPlatform, kind: str
) -> None:
    platform.run(kind, example(kind, name="short-lived"))
    platform.callback.received.clear()

    run = platform.run(
        kind, example(kind, name="short-lived", request_id="tear-down", action="destroy")
    )

    assert (run.code, run.phase, run.outcome) == (0, "Succeeded", "succeeded")
    assert {"apply", "verify"} <= set(run.found("apply"))
    assert the_final_notice(platform)["reason"].startswith(
        "destroyed: 0 to add, 0 to change, 2 to destroy"
    )
    stack = f"{kind}-{example(kind)['environment']}-short-lived"
    assert f"tagName eq 'idp-stack' and tagValue eq '{stack}'" in platform.arm.filters
