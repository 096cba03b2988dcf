"""The controller's rules as `idp local` applies them, each from Argo Workflows v4.1.2's source.

Every test names the upstream file and function whose behaviour it holds. The templates are
small and hand-written; steps are scripted (tests.local.engine), so each rule is seen alone.
"""

from __future__ import annotations

import json

import pytest

from idp.local.controller import Answer, LocalRunError
from idp.local.nodes import fnv32a, node_id
from tests.local.engine import Ending, container, dag, node_named, phase_of, run
from workflows.steps.outcome import go_unquote


def test_a_bare_dependency_accepts_a_skipped_task() -> None:
    """workflow/common/ancestry.go, `expandDependency`: `A` is A.Succeeded || A.Skipped ||
    A.Daemoned; workflow/controller/dag.go, `executeDAGTask`: a false `when` is Skipped."""
    workflow, executor = run(
        [
            dag(
                {"name": "a", "template": "a", "when": "false"},
                {"name": "b", "template": "b", "depends": "a"},
            ),
            container("a"),
            container("b"),
        ]
    )
    assert phase_of(workflow, "a") == "Skipped"
    assert executor.ran() == ["b"]
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_dependency_on_succeeded_omits_the_task_after_a_skip() -> None:
    """dag.go, `evaluateDependsLogic` false: the task is Omitted, not run."""
    workflow, executor = run(
        [
            dag(
                {"name": "a", "template": "a", "when": "false"},
                {"name": "b", "template": "b", "depends": "a.Succeeded"},
            ),
            container("a"),
            container("b"),
        ]
    )
    assert node_named(workflow, "b")["phase"] == "Omitted"
    assert node_named(workflow, "b")["message"] == "omitted: depends condition not met"
    assert executor.ran() == []


def test_continue_on_failed_lets_a_bare_dependency_run_after_a_failure() -> None:
    """ancestry.go, `expandDependency`: continueOn.failed adds A.Failed to a bare `A`."""
    workflow, executor = run(
        [
            dag(
                {"name": "a", "template": "a", "continueOn": {"failed": True}},
                {"name": "b", "template": "b", "depends": "a"},
            ),
            container("a"),
            container("b"),
        ],
        {"a": Ending("Failed", message="main: Error (exit code 1)")},
    )
    assert executor.ran() == ["a", "b"]
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_failed_leaf_fails_the_dag_and_the_workflow() -> None:
    """dag.go, `assessDAGPhase`: the DAG's phase comes from its target (leaf) tasks."""
    workflow, _ = run(
        [dag({"name": "a", "template": "a"}), container("a")], {"a": Ending("Failed")}
    )
    assert workflow["status"]["phase"] == "Failed"


def test_a_leaf_that_continues_on_failure_does_not_fail_the_dag() -> None:
    """dag.go, `assessDAGPhase`: a target task whose continueOn covers its phase is ignored."""
    workflow, _ = run(
        [
            dag(
                {"name": "a", "template": "a"},
                {"name": "n", "template": "n", "continueOn": {"failed": True}},
            ),
            container("a"),
            container("n"),
        ],
        {"n": Ending("Failed")},
    )
    assert (phase_of(workflow, "n"), workflow["status"]["phase"]) == ("Failed", "Succeeded")


def test_an_omitted_leaf_takes_the_phase_of_the_branch_that_failed() -> None:
    """dag.go, `assessDAGPhase`: an omitted target inherits its branch's Failed phase."""
    workflow, _ = run(
        [
            dag(
                {"name": "a", "template": "a"},
                {"name": "b", "template": "b", "depends": "a.Succeeded"},
            ),
            container("a"),
            container("b"),
        ],
        {"a": Ending("Failed")},
    )
    assert phase_of(workflow, "b") == "Omitted"
    assert workflow["status"]["phase"] == "Failed"


@pytest.mark.parametrize(
    ("when", "runs"),
    [
        (" YES == YES", True),
        ("YES  == YES ", True),
        ("'YES' == YES", True),
        ('"YES" == YES', True),
        ("NO == YES", False),
        ("true", True),
        ("false", False),
        ("true == true", True),
        ("1 == 1", True),
        ("'1' == 1", False),
        ("YES != NO && (true || false)", True),
    ],
)
def test_when_reads_bare_words_as_strings_and_skips_whitespace(when: str, runs: bool) -> None:
    """workflow/controller/steps.go, `shouldExecute`: govaluate, VARIABLE tokens as strings."""
    from idp.local.govaluate import should_execute

    assert should_execute(when) is runs


@pytest.mark.parametrize("when", ["YES NO", "a.B == c", "1 +", "x in (1)", "(YES"])
def test_a_when_govaluate_cannot_read_is_an_error(when: str) -> None:
    """steps.go, `shouldExecute`: a parse error; dag.go marks the task's node Error."""
    from idp.local.govaluate import WhenError, should_execute

    with pytest.raises(WhenError):
        should_execute(when)


def test_a_when_that_cannot_be_evaluated_makes_an_error_node() -> None:
    """dag.go, `executeDAGTask`: an unusable `when` becomes a Skipped-type node in Error."""
    workflow, executor = run(
        [dag({"name": "a", "template": "a", "when": "YES NO"}), container("a")]
    )
    assert node_named(workflow, "a")["phase"] == "Error"
    assert executor.ran() == []


def test_retry_on_error_does_not_retry_a_failed_step() -> None:
    """workflow/controller/operator.go, `processNodeRetries`: OnError retries Error only."""
    retry = {"limit": 3, "retryPolicy": "OnError"}
    workflow, executor = run(
        [dag({"name": "a", "template": "a"}), container("a", retryStrategy=retry)],
        {"a": Ending("Failed", message="main: Error (exit code 1)")},
    )
    assert executor.ran() == ["a"]
    assert node_named(workflow, "a")["message"] == "main: Error (exit code 1)"


def test_retry_on_error_retries_an_errored_step_until_the_limit() -> None:
    """operator.go, `processNodeRetries`: limit N gives N+1 attempts, then no more retries."""
    retry = {"limit": 2, "retryPolicy": "OnError"}
    workflow, executor = run(
        [dag({"name": "a", "template": "a"}), container("a", retryStrategy=retry)],
        {"a": Ending("Error", message="pod deleted")},
    )
    assert executor.ran() == ["a", "a", "a"]
    assert node_named(workflow, "a")["message"] == "No more retries left"


def test_a_retry_that_succeeds_gives_its_outputs_to_the_retry_node() -> None:
    """operator.go, `processNodeRetries`: a succeeded attempt's outputs become the parent's."""
    retry = {"limit": 2, "retryPolicy": "Always"}
    template = container(
        "a",
        retryStrategy=retry,
        outputs={"parameters": [{"name": "x", "valueFrom": {"path": "/x"}}]},
    )
    workflow, executor = run(
        [dag({"name": "a", "template": "a"}), template],
        {"a": [Ending("Failed"), Ending(outputs={"x": "42"})]},
    )
    assert executor.ran() == ["a", "a"]
    assert node_named(workflow, "a")["outputs"]["parameters"][0]["value"] == "42"


def test_backoff_max_duration_becomes_the_deadline_of_a_retried_pod() -> None:
    """operator.go, `processNodeRetries` sets executionDeadline from maxDuration and the first
    attempt's start; workflowpod.go, `getDeadline` makes it the pod's deadline: a retry of a
    30-minute step would be cut at 5 minutes. (The compiled templates set no maxDuration.)"""
    retry = {
        "limit": 1,
        "retryPolicy": "Always",
        "backoff": {"duration": "10s", "maxDuration": "5m"},
    }
    _, executor = run(
        [
            dag({"name": "a", "template": "a"}),
            container("a", retryStrategy=retry, activeDeadlineSeconds=1800),
        ],
        {"a": Ending("Failed")},
    )
    first, second = executor.started
    assert first.deadline_seconds == 1800
    assert second.deadline_seconds is not None and second.deadline_seconds <= 300


def test_the_compiled_steps_keep_their_own_deadline_when_retried(
    manifests: list[dict[str, object]],
) -> None:
    """The fix of the rule above: no compiled retryStrategy has a maxDuration."""
    for manifest in manifests:
        if manifest["kind"] != "WorkflowTemplate":
            continue
        for template in manifest["spec"]["templates"]:  # type: ignore[index]
            assert "maxDuration" not in (template.get("retryStrategy") or {}).get("backoff", {})


SUSPEND = {
    "name": "ask",
    "suspend": {"duration": "1h"},
    "inputs": {"parameters": [{"name": "answer", "default": "NO", "enum": ["YES", "NO"]}]},
    "outputs": {"parameters": [{"name": "answer", "valueFrom": {"supplied": {}}}]},
}


def test_an_expired_suspend_takes_the_inputs_default_when_its_output_has_none() -> None:
    """operator.go, `addRawOutputFields` (v4.1): a supplied output without a default takes the
    same-named input's; `executeSuspend` then applies it on expiry."""
    workflow, _ = run(
        [dag({"name": "ask", "template": "ask"}), SUSPEND], approve=[Answer("expire")]
    )
    assert node_named(workflow, "ask")["outputs"]["parameters"][0]["value"] == "NO"


def test_an_expired_suspend_without_any_default_errors() -> None:
    """workflow/util/util.go, `OverrideOutputParametersWithDefault`: no default is an error."""
    bare = {**SUSPEND, "inputs": {"parameters": [{"name": "answer"}]}}
    workflow, _ = run(
        [dag({"name": "ask", "template": "ask"}), bare],
        approve=[Answer("expire")],
        arguments=[],
    )
    assert node_named(workflow, "ask")["phase"] == "Error"


def test_an_answer_sets_a_supplied_output_once() -> None:
    """workflow/util/util.go, `updateSuspendedNode`: a set output is no longer supplied."""
    from idp.local.controller import set_outputs

    node = {
        "type": "Suspend",
        "phase": "Running",
        "displayName": "ask",
        "outputs": {"parameters": [{"name": "answer", "valueFrom": {"supplied": {}}}]},
    }
    set_outputs(node, {"answer": "YES"})
    with pytest.raises(ValueError, match="it was already set"):
        set_outputs(node, {"answer": "NO"})


def test_an_answer_for_an_output_the_node_does_not_expect_is_refused() -> None:
    """updateSuspendedNode: `node is not expecting output parameter`."""
    from idp.local.controller import set_outputs

    node = {"type": "Suspend", "phase": "Running", "outputs": {"parameters": []}}
    with pytest.raises(ValueError, match="not expecting output parameter 'summary'"):
        set_outputs(node, {"summary": "x"})


def test_the_exit_handler_sees_the_status_and_go_quoted_failures() -> None:
    """operator.go, `operate`: workflow.status and workflow.failures (strconv.Quote of the JSON)
    are set before the exit handler runs."""
    exit_handler = container("bye")
    exit_handler["container"]["args"] = ["{{workflow.status}}", "{{workflow.failures}}"]
    _, executor = run(
        [dag({"name": "a", "template": "a"}), container("a"), exit_handler],
        {"a": Ending("Failed", message="main: Error (exit code 1): boom")},
        on_exit="bye",
    )
    status, failures = executor.started[-1].template["container"]["args"]
    assert status == "Failed"
    assert failures.startswith('"[{\\"displayName\\":')  # a Go-quoted JSON list
    nodes = json.loads(go_unquote(failures))
    assert {(n["displayName"], n["message"]) for n in nodes} == {
        ("a", "main: Error (exit code 1): boom"),
        ("wf", ""),
    }


def test_a_failing_exit_handler_fails_a_succeeded_workflow_with_its_message() -> None:
    """operator.go, `operate`: a succeeded run whose exit handler fails is Failed with the exit
    node's message."""
    workflow, _ = run(
        [dag({"name": "a", "template": "a"}), container("a"), container("bye")],
        {"bye": Ending("Failed", message="main: Error (exit code 1): rejected")},
        on_exit="bye",
    )
    assert workflow["status"]["phase"] == "Failed"
    assert workflow["status"]["message"] == "main: Error (exit code 1): rejected"


def test_stop_fails_a_waiting_suspend_and_still_runs_the_exit_handler() -> None:
    """operator.go, `failNodesWithoutCreatedPodsAfterDeadlineOrShutdown` and `ShouldExecute`:
    Stop fails active suspend nodes; exit handler pods still run."""
    workflow, executor = run(
        [dag({"name": "ask", "template": "ask"}), SUSPEND, container("bye")],
        approve=[Answer("stop")],
        on_exit="bye",
    )
    assert node_named(workflow, "ask")["message"] == "Stopped with strategy 'Stop'"
    assert executor.ran() == ["bye"]
    assert workflow["status"]["message"] == "Stopped with strategy 'Stop'"


def test_terminate_runs_no_exit_handler() -> None:
    """pkg/apis/workflow/v1alpha1/workflow_types.go, `ShutdownStrategy.ShouldExecute`: nothing,
    not even the exit handler, runs on Terminate."""
    workflow, executor = run(
        [dag({"name": "ask", "template": "ask"}), SUSPEND, container("bye")],
        approve=[Answer("terminate")],
        on_exit="bye",
    )
    assert executor.ran() == []
    assert workflow["status"]["phase"] == "Failed"


def test_global_outputs_are_recorded_on_the_workflow() -> None:
    """operator.go, `addParamToGlobalScope`: a globalName output becomes a workflow output."""
    template = container(
        "a",
        outputs={
            "parameters": [{"name": "x", "globalName": "answer", "valueFrom": {"path": "/x"}}]
        },
    )
    workflow, _ = run(
        [dag({"name": "a", "template": "a"}), template], {"a": Ending(outputs={"x": "42"})}
    )
    assert workflow["status"]["outputs"]["parameters"] == [{"name": "answer", "value": "42"}]


def test_an_input_without_value_or_default_errors_the_node() -> None:
    """workflow/common/util.go, `SubstituteParams`: `inputs.parameters.X had no value`."""
    template = container("a", inputs={"parameters": [{"name": "x"}]})
    workflow, executor = run([dag({"name": "a", "template": "a"}), template])
    assert node_named(workflow, "a")["message"] == "inputs.parameters.x had no value"
    assert executor.ran() == []


def test_a_reference_to_an_output_that_never_comes_waits_forever_and_is_reported() -> None:
    """dag.go, `resolveDependencyReferences`: an unresolved `tasks.` tag requeues the workflow
    (util/template/replace.go, `ReplaceStrictAny`); locally that is reported, not hung on."""
    reader = {
        "name": "b",
        "template": "b",
        "depends": "a.Succeeded",
        "arguments": {
            "parameters": [{"name": "x", "value": "{{tasks.a.outputs.parameters.nope}}"}]
        },
    }
    with pytest.raises(LocalRunError, match=r"requeue this workflow forever"):
        run(
            [
                dag({"name": "a", "template": "a"}, reader),
                container("a"),
                container("b", inputs={"parameters": [{"name": "x"}]}),
            ]
        )


def test_node_ids_are_the_workflow_name_and_the_fnv32a_of_the_node_name() -> None:
    """pkg/apis/workflow/v1alpha1/workflow_types.go, `Workflow.NodeID` (hash/fnv New32a)."""
    assert fnv32a("a") == 0xE40C292C  # the FNV-1a 32-bit test vector
    assert node_id("wf", "wf") == "wf"
    assert node_id("wf", "wf.a") == f"wf-{fnv32a('wf.a')}"


def test_a_label_from_an_expression_that_is_no_label_value_errors_the_workflow() -> None:
    """operator.go, `updateWorkflowMetadata`: an invalid label value errors the Workflow before
    any node exists."""
    spec = {"workflowMetadata": {"labelsFrom": {"who": {"expression": "'ann@example.com'"}}}}
    workflow, executor = run([dag({"name": "a", "template": "a"}), container("a")], spec=spec)
    assert workflow["status"]["phase"] == "Error"
    assert "invalid label value 'ann@example.com'" in workflow["status"]["message"]
    assert (workflow["status"]["nodes"], executor.ran()) == ({}, [])
