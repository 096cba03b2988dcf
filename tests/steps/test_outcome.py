"""The outcome of a run, decided by the exit handler from what Argo gives it.

`{{workflow.status}}` and `{{workflow.failures}}` are set by the controller before the exit
handler runs (workflow/controller/operator.go, `operate`): the failures are the failed and
errored nodes as JSON, passed once more through Go's `strconv.Quote`.
"""

from __future__ import annotations

import json

import pytest

from idp.local.templating import go_quote
from workflows.steps.outcome import decide, failed_nodes, go_unquote


def failures(*nodes: dict[str, str]) -> str:
    """`{{workflow.failures}}` as the controller makes it: Go-quoted JSON."""
    return go_quote(json.dumps(list(nodes)))


PLAN_FAILED = {
    "displayName": "plan(0)",
    "message": "main: Error (exit code 1): terraform plan failed: Invalid value for variable",
    "templateName": "plan",
    "phase": "Failed",
    "finishedAt": "2026-11-23T10:00:05Z",
}
DAG_FAILED = {"displayName": "wf", "message": "", "templateName": "provision", "phase": "Failed"}


@pytest.mark.parametrize(
    ("values", "outcome"),
    [
        ({"status": "Succeeded", "has_changes": "true", "approval": "YES"}, "succeeded"),
        ({"status": "Succeeded", "has_changes": "false"}, "no-changes"),
        ({"status": "Succeeded", "has_changes": "true", "approval": "NO"}, "rejected"),
        ({"status": "Succeeded", "has_changes": "true", "approval": "EXPIRED"}, "expired"),
        ({"status": "Succeeded", "has_changes": "true", "approval": " YES"}, "rejected"),
        ({"status": "Succeeded", "has_changes": "true", "approval": "yes"}, "rejected"),
        ({"status": "Succeeded", "has_changes": "true"}, "rejected"),
        ({"status": "Failed", "failures": failures(PLAN_FAILED, DAG_FAILED)}, "failed"),
        ({"status": "Error", "failures": failures(PLAN_FAILED)}, "failed"),
        ({"status": "{{workflow.status}}"}, "failed"),
    ],
)
def test_the_outcome_follows_status_plan_and_answer(values: dict[str, str], outcome: str) -> None:
    assert decide(**values).name == outcome


def test_a_failure_names_the_step_and_its_message_without_argos_prefix() -> None:
    found = decide(status="Failed", failures=failures(DAG_FAILED, PLAN_FAILED))
    assert found.reason == "failed at plan: terraform plan failed: Invalid value for variable"


def test_the_earliest_failure_explains_the_run_whatever_order_argo_lists_them() -> None:
    later = {**PLAN_FAILED, "templateName": "apply", "finishedAt": "2026-11-23T10:09:00Z"}
    assert decide(status="Failed", failures=failures(later, PLAN_FAILED)).reason.startswith(
        "failed at plan:"
    )


def test_a_stopped_run_is_stopped_and_says_where() -> None:
    stopped = {
        "displayName": "approve",
        "message": "Stopped with strategy 'Stop'",
        "templateName": "approve",
    }
    found = decide(status="Failed", failures=failures(stopped, DAG_FAILED))
    assert (found.name, found.reason) == ("stopped", "Stopped with strategy 'Stop' (at approve)")


def test_failures_quoted_by_go_are_read_back_whole() -> None:
    nodes = [{"message": 'quote " backslash \\ tab \t bell \a'}]
    assert failed_nodes(go_quote(json.dumps(nodes))) == nodes


def test_failures_arrive_decoded_once_still_read() -> None:
    assert failed_nodes(json.dumps([PLAN_FAILED])) == [PLAN_FAILED]


@pytest.mark.parametrize(
    ("quoted", "text"),
    [('"a\\x01b"', "a\x01b"), ('"\\u00e9"', "é"), ('"\\U0001f600"', "😀"), ('"\\101"', "A")],
)
def test_go_string_literals_unquote_every_escape_strconv_quote_writes(
    quoted: str, text: str
) -> None:
    assert go_unquote(quoted) == text


def test_an_unresolved_failures_tag_is_no_failures() -> None:
    assert failed_nodes("{{workflow.failures}}") == []


def test_only_exactly_yes_counts_as_yes() -> None:
    for answer in ("YES ", "'YES'", '"YES"', "Yes", "YES\n", "\u200bYES"):
        assert decide(status="Succeeded", has_changes="true", approval=answer).name == "rejected"


def failed_at(message: str) -> dict[str, str]:
    """The plan node, failed with `message` (a program's termination message)."""
    return {**PLAN_FAILED, "message": f"main: Error (exit code 1): {message}"}


def test_a_failure_the_program_named_after_its_phase_is_reported_as_it_is() -> None:
    message = "failed at preflight: region eastus is not a location of subscription s"
    found = decide(status="Failed", failures=failures(failed_at(message), DAG_FAILED))
    assert (found.name, found.reason) == ("failed", message)


def test_a_plan_blocked_by_policy_is_policy_failed() -> None:
    message = "failed at policy: blocked by policy: IDP_A (HIGH) a rule: terraform_data.x"
    found = decide(status="Failed", failures=failures(failed_at(message)))
    assert (found.name, found.reason) == (
        "policy-failed",
        "blocked by policy: IDP_A (HIGH) a rule: terraform_data.x",
    )


def test_no_failures_as_the_controller_writes_them_is_no_failures() -> None:
    """With no failed node the controller marshals a nil slice, `null`, and quotes it
    (argo-workflows `workflow/controller/operator.go`, `operate`: `json.Marshal(failures)`)."""
    assert failed_nodes(go_quote("null")) == []
    assert failed_nodes("null") == []


def test_the_reapers_waived_destroy_succeeds_without_an_answer() -> None:
    found = decide(
        status="Succeeded",
        has_changes="true",
        waived="true",
        approval="{{workflow.outputs.parameters.approval}}",
        action="destroy",
        verified="nothing tagged idp-stack=compute-dev-demo remains",
    )
    assert (found.name, found.reason) == (
        "succeeded",
        "destroyed (expired; approval waived); nothing tagged idp-stack=compute-dev-demo remains",
    )


def test_an_answer_given_wins_over_the_waiver() -> None:
    found = decide(status="Succeeded", has_changes="true", waived="true", approval="NO")
    assert found.name == "rejected"
