"""`idp status REQUEST_ID|WORKFLOW`: one request in full, from its Workflow on the server."""

from __future__ import annotations

import json

import pytest
import yaml

from idp.cli import main
from idp.errors import EXIT_AMBIGUOUS, EXIT_NOT_FOUND, EXIT_USAGE
from idp.manifests import Manifest
from idp.settings import load_settings
from tests.argo import statuses
from tests.argo.fake_argo import FakeArgo
from tests.argo.platform import (
    CHANGES,
    PLANNED,
    RECORDED_APPROVER,
    ago,
    finished,
    labelled,
    ran,
    with_status,
)
from tests.local.engine import Ending

REQUEST_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"  # the compute example's
WORKFLOW = f"compute-{REQUEST_ID}"


@pytest.fixture(scope="module")
def succeeded(manifests: list[Manifest]) -> Manifest:
    return ran(manifests, script={"finish": finished("succeeded", "applied: 2 to add")})


def lines_of(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def row(lines: list[str], label: str) -> str:
    (found,) = [line for line in lines if line.startswith(f"{label} ")]
    return found[len(label) :].strip()


def test_status_finds_a_request_by_its_request_id_label(
    fake: FakeArgo, succeeded: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(succeeded)
    assert main(["status", REQUEST_ID]) == 0
    selector = fake.requests[0].query["listOptions.labelSelector"][0]
    assert selector == f"app.kubernetes.io/part-of=idp,idp.platform/request-id={REQUEST_ID}"
    assert fake.requests[-1].path.endswith(f"/workflows/argo-events/{WORKFLOW}")
    assert row(lines_of(capsys), "workflow").startswith(f"{WORKFLOW} in argo-events: Succeeded")


def test_status_takes_a_workflow_name_too(
    fake: FakeArgo, succeeded: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(succeeded)
    assert main(["status", WORKFLOW]) == 0
    assert row(lines_of(capsys), "request").startswith(f"{REQUEST_ID}: compute scripted in dev")


def test_a_request_id_with_several_workflows_lists_them_and_chooses_none(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(labelled(manifests, "compute", created=ago(hours=2), request_id="r1"))
    fake.put_workflow(labelled(manifests, "storage", created=ago(hours=1), request_id="r1"))
    assert main(["status", "r1"]) == EXIT_AMBIGUOUS
    err = capsys.readouterr().err
    assert err.startswith("idp: request r1 has 2 workflows: storage-r1 (storage, Pending, ")
    assert "; compute-r1 (compute, Pending, " in err
    assert err.endswith("; name one of them\n")
    assert [r.template for r in fake.requests] == ["/api/v1/workflows/{namespace}"]


def test_an_unknown_request_is_not_found_naming_both_lookups(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "nosuch"]) == EXIT_NOT_FOUND
    assert capsys.readouterr().err == (
        "idp: no workflow with the label idp.platform/request-id=nosuch and no workflow named "
        f"nosuch in namespace argo-events on {fake.url}; idp list shows the requests "
        "(check --namespace)\n"
    )


def test_text_that_is_neither_a_request_id_nor_a_name_is_a_usage_error(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "x/../y"]) == EXIT_USAGE
    assert "is neither a request id nor a workflow name" in capsys.readouterr().err
    assert fake.requests == []


def test_status_lists_the_steps_in_the_order_they_ran(
    fake: FakeArgo, succeeded: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(succeeded)
    assert main(["status", WORKFLOW]) == 0
    lines = lines_of(capsys)
    start = next(i for i, line in enumerate(lines) if line.startswith("steps "))
    shown = [line[10:].split()[:2] for line in lines[start : start + 5]]
    assert shown == [
        ["plan", "Succeeded"],
        ["approve", "Succeeded"],
        ["notify-approvers", "Succeeded"],
        ["apply", "Succeeded"],
        ["onExit", "Succeeded"],
    ]


def test_status_shows_the_outcome_the_approver_the_plan_and_the_outputs(
    fake: FakeArgo, succeeded: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(succeeded)
    assert main(["status", REQUEST_ID]) == 0
    lines = lines_of(capsys)
    assert row(lines, "outcome") == "succeeded: applied: 2 to add"
    assert row(lines, "approval") == f"YES, answered by {RECORDED_APPROVER}"
    assert row(lines, "plan") == f"2 to add, 0 to change, 0 to destroy (sha256 {'ab' * 32})"
    changes = lines.index(next(line for line in lines if line.startswith("changes ")))
    assert [line[10:] for line in lines[changes : changes + 2]] == CHANGES.splitlines()
    outputs = lines.index(next(line for line in lines if line.startswith("outputs ")))
    assert [line[10:] for line in lines[outputs : outputs + 2]] == [
        "resource_group = rg-web-compute-dev",
        "node_count = 1",
    ]
    ui = load_settings().argo_ui_url.rstrip("/")
    assert row(lines, "link") == f"{ui}/workflows/argo-events/{WORKFLOW}"


def test_an_answer_nobody_was_recorded_for_says_so(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(ran(manifests, "NO", {"finish": finished("rejected", "NO")}, actor=None))
    assert main(["status", REQUEST_ID]) == 0
    assert row(lines_of(capsys), "approval").startswith("NO, answered by nobody recorded")


def test_a_waiting_approval_says_how_to_answer(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = labelled(manifests, created=ago(minutes=2))
    fake.put_workflow(with_status(workflow, statuses.waiting(WORKFLOW)))
    assert main(["status", REQUEST_ID]) == 0
    lines = lines_of(capsys)
    assert row(lines, "outcome") == (
        f"awaiting-approval: the plan waits for an answer (idp approve {WORKFLOW} --yes, or --no)"
    )
    assert row(lines, "approval") == "-"


def test_a_step_that_ran_more_than_once_shows_each_attempt(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    lost = Ending("Error", message="pod deleted")
    fake.put_workflow(ran(manifests, script={"plan": [lost, PLANNED]}))
    assert main(["status", WORKFLOW]) == 0
    lines = lines_of(capsys)
    start = next(i for i, line in enumerate(lines) if line[10:].startswith("plan "))
    assert [line[10:].split(None, 2) for line in lines[start : start + 3]] == [
        ["plan", "Succeeded", "2 attempts"],
        ["plan(0)", "Error", "pod deleted"],
        ["plan(1)", "Succeeded"],
    ]


def test_a_message_is_printed_with_its_control_characters_escaped(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    failed = Ending("Failed", message="failed at preflight: no \x1b[2Jquota")
    fake.put_workflow(ran(manifests, script={"plan": failed}))
    assert main(["status", WORKFLOW]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "no \\x1b[2Jquota" in out


def test_o_json_prints_the_request_steps_and_link_as_one_object(
    fake: FakeArgo, succeeded: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(succeeded)
    assert main(["status", REQUEST_ID, "-o", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "succeeded"
    assert shown["approver"] == RECORDED_APPROVER
    assert shown["changes"] == CHANGES.splitlines()
    assert shown["outputs"] == {"resource_group": "rg-web-compute-dev", "node_count": 1}
    plan = next(step for step in shown["steps"] if step["name"] == "plan")
    assert plan["phase"] == "Succeeded"
    assert [a["pod"].rsplit("-", 1)[0] for a in plan["attempts"]] == [f"{WORKFLOW}-plan"]


def test_o_yaml_prints_what_o_json_prints(
    fake: FakeArgo, succeeded: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(succeeded)
    assert main(["status", REQUEST_ID, "-o", "json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert main(["status", REQUEST_ID, "-o", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == as_json


def test_an_expired_approval_says_nobody_answered_in_time(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(ran(manifests, "expire", {"finish": finished("expired", "no answer")}))
    assert main(["status", REQUEST_ID]) == 0
    lines = lines_of(capsys)
    assert row(lines, "approval") == "EXPIRED: nobody answered in time"
    assert row(lines, "outcome") == "expired: no answer"
