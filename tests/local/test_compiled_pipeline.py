"""The compiled WorkflowTemplates under the controller's rules, with the steps scripted.

The same objects `idp compile` writes and the Workflow `idp render` prints run through
`idp.local`'s controller, but no step process runs: each container ends as scripted. That makes
every answer an approver can give cheap to try, including the Argo UI's way of giving it, and
the output of `-o json` checkable against the official schema.
"""

from __future__ import annotations

import json

import pytest

from idp.local.approval import Fixed, Prompt
from idp.local.controller import Controller
from idp.localrun import inputs_for
from idp.manifests import Manifest
from tests.local.conftest import example
from tests.local.engine import Ending, FakeClock, Scripted, compiled, run_compiled
from tests.upstream import conformance_errors
from workflows.pipeline import APPROVAL_SHOWS


@pytest.mark.parametrize(
    "answer", [" YES", "YES ", "'YES'", '"YES"', "yes", "Yes", "YES\n", "\u200bYES", "NO", ""]
)
def test_only_exactly_yes_lets_apply_run(manifests: list[Manifest], answer: str) -> None:
    workflow, executor = run_compiled(manifests, Fixed(answer))
    assert "apply" not in executor.ran()
    assert workflow["status"]["phase"] == "Succeeded"  # the entrypoint; finish is scripted here


def test_exactly_yes_lets_apply_verify_and_report_run(manifests: list[Manifest]) -> None:
    _, executor = run_compiled(manifests, Fixed("YES"))
    assert executor.ran()[-4:] == ["apply", "verify", "report", "finish"]


def test_the_argo_ui_answer_setting_every_input_is_accepted(manifests: list[Manifest]) -> None:
    """The UI sends every input of the suspend node as an output (workflow-details.tsx,
    `updateOutputParametersForNodeIfRequired`); updateSuspendedNode must accept them all."""
    import io

    prompt = Prompt(read=io.StringIO("YES\n"), write=io.StringIO())
    workflow, executor = run_compiled(manifests, prompt)
    assert "apply" in executor.ran()
    (approve,) = [n for n in workflow["status"]["nodes"].values() if n["displayName"] == "approve"]
    set_names = {p["name"] for p in approve["outputs"]["parameters"] if "value" in p}
    assert set_names == {"approve", *APPROVAL_SHOWS}


def test_the_exit_handler_gets_what_decides_the_outcome(manifests: list[Manifest]) -> None:
    _, executor = run_compiled(manifests, Fixed("NO"))
    finish = executor.started[-1].template["container"]["args"]
    given = dict(zip(finish[1::2], finish[2::2], strict=False))
    assert (given["--status"], given["--approval"], given["--has-changes"]) == (
        "Succeeded",
        "NO",
        "true",
    )
    assert given["--request-id"] == example("compute")["request_id"]


def test_an_expiry_reaches_the_exit_handler_as_expired(manifests: list[Manifest]) -> None:
    _, executor = run_compiled(manifests, Fixed("expire"))
    finish = executor.started[-1].template["container"]["args"]
    assert finish[finish.index("--approval") + 1] == "EXPIRED"


def test_a_failed_plan_reaches_the_exit_handler_with_its_message(manifests: list[Manifest]) -> None:
    failed = Ending("Failed", message="main: Error (exit code 1): terraform plan failed: x")
    _, executor = run_compiled(manifests, Fixed("YES"), {"plan": failed})
    args = executor.started[-1].template["container"]["args"]
    assert args[args.index("--status") + 1] == "Failed"
    assert "terraform plan failed: x" in args[args.index("--failures") + 1]
    assert args[args.index("--has-changes") + 1] == "{{workflow.outputs.parameters.has_changes}}"


@pytest.mark.parametrize("kind", ["compute", "storage", "database"])
def test_the_finished_workflow_passes_the_official_schema_strictly(
    manifests: list[Manifest], kind: str
) -> None:
    workflow, _ = run_compiled(manifests, Fixed("YES"), kind=kind)
    assert conformance_errors(workflow) == []


def test_a_field_idp_local_does_not_implement_stops_the_run_before_it_starts(
    manifests: list[Manifest],
) -> None:
    from idp.local.spec import UnsupportedField

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


@pytest.mark.parametrize(
    "email",
    [
        "ann@example.com",
        "a" * 62 + ".@example.com",  # the cut at 63 ends on a dot
        "a" * 62 + "+x@example.com",  # ... on an underscore
        "a-" * 30 + "a--b@example.com",  # ... on a hyphen
        "_ann_@example.com",
    ],
)
def test_the_requester_label_is_always_a_valid_label_value(
    manifests: list[Manifest], email: str
) -> None:
    """operator.go, `updateWorkflowMetadata` errors the Workflow on an invalid label value
    (before any step, and nobody is told); the compiled expression never makes one."""
    controller = requester_label(manifests, email)
    assert controller.status["phase"] == "Running", controller.status.get("message")
    label = controller.workflow["metadata"]["labels"]["idp.platform/requester"]
    assert len(label) <= 63
    assert label == "" or (label[0].isalnum() and label[-1].isalnum())
