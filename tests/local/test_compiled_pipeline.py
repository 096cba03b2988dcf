"""The compiled WorkflowTemplates under the controller's rules, with the steps scripted.

The same objects `idp compile` writes and the Workflow `idp render` prints run through
`idp.local`'s controller, but no step process runs: each container ends as scripted. That makes
every answer an approver can give cheap to try, including the Argo UI's way of giving it, and
the output of `-o json` checkable against the official schema.
"""

from __future__ import annotations

import io
import json

import pytest

from idp import labels
from idp.commands.local import inputs_for
from idp.labels import requester_value
from idp.local.approval import Fixed, Prompt
from idp.local.controller import Controller
from idp.local.spec import UnsupportedField
from idp.manifests import Manifest
from idp.pipeline import APPROVAL, APPROVAL_SHOWS
from tests.local.conftest import example
from tests.local.engine import (
    Ending,
    FakeClock,
    Scripted,
    compiled,
    phase_of,
    plan_ending,
    run_compiled,
)
from tests.upstream import conformance_errors


def started(executor: Scripted) -> list[str]:
    return executor.ran()


def args_of(executor: Scripted, template: str) -> dict[str, str]:
    """The `--flag value` pairs the last start of `template` got, after substitution."""
    (spec,) = [s for s in executor.started if s.template["name"] == template][-1:]
    args = spec.template["container"]["args"]
    return dict(zip(args[1::2], args[2::2], strict=False))


def test_a_yes_request_waits_on_three_pods_plan_apply_finish(manifests: list[Manifest]) -> None:
    """The card's shape: plan -> approve (no pod) -> apply, then the exit handler; the
    approvers' notice runs beside the approval, not before it."""
    _, executor = run_compiled(manifests, Fixed("YES"))
    assert started(executor) == ["plan", "notify-approvers", "apply", "finish"]


@pytest.mark.parametrize(
    "answer", ["YES", " YES", "YES ", "'YES'", "yes", "YES\n", "\u200bYES", "NO", ""]
)
def test_apply_gets_the_answer_exactly_as_the_server_recorded_it(
    manifests: list[Manifest], answer: str
) -> None:
    """The decision is the apply program's (tests/steps): the DAG hands it the recorded answer
    unchanged, whatever it is, and reads none of it itself."""
    _, executor = run_compiled(manifests, Fixed(answer))
    given = args_of(executor, "apply")
    assert (given["--approval"], given["--next"]) == (answer, "approve")


def test_the_argo_ui_answer_setting_every_input_is_accepted(manifests: list[Manifest]) -> None:
    """The UI sends every input of the suspend node as an output (workflow-details.tsx,
    `updateOutputParametersForNodeIfRequired`); updateSuspendedNode must accept them all."""
    prompt = Prompt(read=io.StringIO("YES\n"), write=io.StringIO())
    workflow, executor = run_compiled(manifests, prompt)
    assert "apply" in executor.ran()
    (approve,) = [n for n in workflow["status"]["nodes"].values() if n["displayName"] == "approve"]
    set_names = {p["name"] for p in approve["outputs"]["parameters"] if "value" in p}
    assert set_names == {APPROVAL, *APPROVAL_SHOWS}


def test_the_exit_handler_gets_what_decides_the_outcome(manifests: list[Manifest]) -> None:
    _, executor = run_compiled(manifests, Fixed("NO"))
    given = args_of(executor, "finish")
    assert (given["--status"], given["--approval"], given["--has-changes"]) == (
        "Succeeded",
        "NO",
        "true",
    )
    assert given["--request-id"] == example("compute")["request_id"]
    assert given["--failures"] == '"null"'  # no node failed: json.Marshal of a nil slice


def test_an_expiry_reaches_apply_as_no_answer_and_the_exit_handler_as_expired(
    manifests: list[Manifest],
) -> None:
    """dag.go, `executeDAG`: an expired suspend node's defaults become workflow outputs only
    when the DAG ends; apply, which runs before, sees no answer (and applies nothing)."""
    _, executor = run_compiled(manifests, Fixed("expire"))
    assert args_of(executor, "apply")["--approval"] == "{{workflow.outputs.parameters.approval}}"
    assert args_of(executor, "finish")["--approval"] == "EXPIRED"


def test_a_plan_without_changes_skips_approve_and_apply(manifests: list[Manifest]) -> None:
    done = plan_ending(has_changes="false", next="done", summary="0 to add")
    workflow, executor = run_compiled(manifests, Fixed("YES"), {"plan": done})
    assert started(executor) == ["plan", "finish"]
    assert phase_of(workflow, "approve") == phase_of(workflow, "apply") == "Skipped"


def test_a_waived_approval_skips_approve_and_apply_gets_no_answer(
    manifests: list[Manifest],
) -> None:
    """Nothing reads the skipped approval's outputs: apply gets the workflow output that was
    never published, as its unresolved text (common/util.go, `SubstituteParams`), and checks
    the waiver itself."""
    waived = plan_ending(waived="true", next="apply")
    workflow, executor = run_compiled(manifests, Fixed("YES"), {"plan": waived})
    assert started(executor) == ["plan", "apply", "finish"]
    assert phase_of(workflow, "approve") == "Skipped"
    given = args_of(executor, "apply")
    assert (given["--approval"], given["--next"]) == (
        "{{workflow.outputs.parameters.approval}}",
        "apply",
    )


def test_a_failed_plan_reaches_the_exit_handler_with_its_message(manifests: list[Manifest]) -> None:
    failed = Ending("Failed", message="main: Error (exit code 1): failed at plan: x")
    workflow, executor = run_compiled(manifests, Fixed("YES"), {"plan": failed})
    assert started(executor) == ["plan", "finish"]
    assert phase_of(workflow, "approve") == phase_of(workflow, "apply") == "Omitted"
    given = args_of(executor, "finish")
    assert given["--status"] == "Failed"
    assert "failed at plan: x" in given["--failures"]
    assert given["--has-changes"] == "{{workflow.outputs.parameters.has_changes}}"


@pytest.mark.parametrize("kind", ["compute", "storage", "database"])
def test_the_finished_workflow_passes_the_official_schema_strictly(
    manifests: list[Manifest], kind: str
) -> None:
    workflow, _ = run_compiled(manifests, Fixed("YES"), kind=kind)
    assert conformance_errors(workflow) == []


def test_a_field_idp_local_does_not_implement_stops_the_run_before_it_starts(
    manifests: list[Manifest],
) -> None:
    objects = compiled(manifests)
    for manifest in objects:
        if manifest["kind"] == "WorkflowTemplate":
            manifest["spec"]["templates"][1]["timeout"] = "10m"
    inputs = inputs_for("compute", json.dumps(example("compute")).encode(), objects)
    with pytest.raises(UnsupportedField, match=r"spec\.templates\[1\]\.timeout: not supported"):
        Controller(
            inputs.workflow,
            inputs.template,
            executor=Scripted(),
            approver=Fixed("NO"),
            clock=FakeClock(),
        )


def requester_label(manifests: list[Manifest], email: str) -> Controller:
    request = example("compute", name="labelled", requester_email=email)
    inputs = inputs_for("compute", json.dumps(request).encode(), compiled(manifests))
    controller = Controller(
        inputs.workflow,
        inputs.template,
        executor=Scripted(),
        approver=Fixed("NO"),
        clock=FakeClock(),
    )
    controller._start()
    return controller


REQUESTERS = [
    "ann@example.com",
    "a" * 62 + ".@example.com",  # the cut at 63 ends on a dot
    "a" * 62 + "+x@example.com",  # ... on an underscore
    "a-" * 30 + "a--b@example.com",  # ... on a hyphen
    "_ann_@example.com",
]


@pytest.mark.parametrize("email", REQUESTERS)
def test_the_requester_label_is_always_a_valid_label_value(
    manifests: list[Manifest], email: str
) -> None:
    """operator.go, `updateWorkflowMetadata` errors the Workflow on an invalid label value
    (before any step, and nobody is told); the compiled expression never makes one."""
    controller = requester_label(manifests, email)
    assert controller.status["phase"] == "Running", controller.status.get("message")
    label = controller.workflow["metadata"]["labels"][labels.REQUESTER]
    assert len(label) <= 63
    assert label == "" or (label[0].isalnum() and label[-1].isalnum())


@pytest.mark.parametrize("email", REQUESTERS)
def test_idp_computes_the_requester_label_as_the_compiled_expression_does(
    manifests: list[Manifest], email: str
) -> None:
    """`idp list --requester` selects by `idp.labels.requester_value`; it must be the value
    the controller records from the template's `labelsFrom` expression."""
    controller = requester_label(manifests, email)
    assert controller.workflow["metadata"]["labels"][labels.REQUESTER] == requester_value(email)
