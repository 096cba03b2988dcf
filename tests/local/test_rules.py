"""The controller's rules as `idp local` applies them, each from Argo Workflows v4.1.2's source.

Every test names the upstream file and function whose behaviour it holds. The templates are
small and hand-written; steps are scripted (tests.local.engine), so each rule is seen alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from idp.local import mutex
from idp.local.controller import Answer, Controller, LocalRunError, set_outputs
from idp.local.cron import (
    NotScheduled,
    check_runnable,
    infer_scheduled_time,
    workflow_from_cron,
)
from idp.local.govaluate import WhenError, should_execute
from idp.local.mutex import FileLocks, lock_key
from idp.local.spec import UnsupportedField
from idp.podnames import fnv32a, node_id
from idp.times import parse_time, rfc3339
from tests.local.engine import (
    Ending,
    FakeClock,
    Scripted,
    answers,
    container,
    dag,
    node_named,
    phase_of,
    run,
    workflow_of,
)
from tests.upstream import conformance_errors
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
    """workflow/controller/dag.go, `evaluateDependsLogic` false: the task is Omitted, not run."""
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
    """workflow/common/ancestry.go, `expandDependency`: continueOn.failed adds A.Failed to a bare
    `A`."""
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
    """workflow/controller/dag.go, `assessDAGPhase`: the DAG's phase comes from its target (leaf)
    tasks."""
    workflow, _ = run(
        [dag({"name": "a", "template": "a"}), container("a")], {"a": Ending("Failed")}
    )
    assert workflow["status"]["phase"] == "Failed"


def test_a_leaf_that_continues_on_failure_does_not_fail_the_dag() -> None:
    """workflow/controller/dag.go, `assessDAGPhase`: a target task whose continueOn covers its phase
    is ignored."""
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
    """workflow/controller/dag.go, `assessDAGPhase`: an omitted target inherits its branch's Failed
    phase."""
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
    assert should_execute(when) is runs


@pytest.mark.parametrize("when", ["YES NO", "a.B == c", "1 +", "x in (1)", "(YES"])
def test_a_when_govaluate_cannot_read_is_an_error(when: str) -> None:
    """workflow/controller/steps.go, `shouldExecute`: a parse error; workflow/controller/dag.go
    marks the task's node Error."""
    with pytest.raises(WhenError):
        should_execute(when)


def test_a_when_that_cannot_be_evaluated_makes_an_error_node() -> None:
    """workflow/controller/dag.go, `executeDAGTask`: an unusable `when` becomes a Skipped-type node
    in Error."""
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
    """workflow/controller/operator.go, `processNodeRetries`: limit N gives N+1 attempts, then no
    more retries."""
    retry = {"limit": 2, "retryPolicy": "OnError"}
    workflow, executor = run(
        [dag({"name": "a", "template": "a"}), container("a", retryStrategy=retry)],
        {"a": Ending("Error", message="pod deleted")},
    )
    assert executor.ran() == ["a", "a", "a"]
    assert node_named(workflow, "a")["message"] == "No more retries left"


def test_a_retry_that_succeeds_gives_its_outputs_to_the_retry_node() -> None:
    """workflow/controller/operator.go, `processNodeRetries`: a succeeded attempt's outputs become
    the parent's."""
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
    """workflow/controller/operator.go, `processNodeRetries` sets executionDeadline from maxDuration
    and the first attempt's start; workflow/controller/workflowpod.go, `getDeadline` makes it the
    pod's deadline: a retry of a 30-minute step would be cut at 5 minutes. (The compiled templates
    set no maxDuration.)"""
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
    """workflow/controller/workflowpod.go, `getDeadline`, as above: a retried pod's deadline is
    its backoff's maxDuration when set, so no compiled retryStrategy sets one."""
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
    """workflow/controller/operator.go, `addRawOutputFields` (v4.1): a supplied output without a
    default takes the same-named input's; `executeSuspend` then applies it on expiry."""
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
    """workflow/util/util.go, `updateSuspendedNode`: `node is not expecting output parameter`."""
    node = {"type": "Suspend", "phase": "Running", "outputs": {"parameters": []}}
    with pytest.raises(ValueError, match="not expecting output parameter 'summary'"):
        set_outputs(node, {"summary": "x"})


def test_the_exit_handler_sees_the_status_and_go_quoted_failures() -> None:
    """workflow/controller/operator.go, `operate`: workflow.status and workflow.failures
    (strconv.Quote of the JSON) are set before the exit handler runs."""
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
    """workflow/controller/operator.go, `operate`: a succeeded run whose exit handler fails is
    Failed with the exit node's message."""
    workflow, _ = run(
        [dag({"name": "a", "template": "a"}), container("a"), container("bye")],
        {"bye": Ending("Failed", message="main: Error (exit code 1): rejected")},
        on_exit="bye",
    )
    assert workflow["status"]["phase"] == "Failed"
    assert workflow["status"]["message"] == "main: Error (exit code 1): rejected"


def test_stop_fails_a_waiting_suspend_and_still_runs_the_exit_handler() -> None:
    """workflow/controller/operator.go, `failNodesWithoutCreatedPodsAfterDeadlineOrShutdown` and
    `ShouldExecute`: Stop fails active suspend nodes; exit handler pods still run."""
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
    """workflow/controller/operator.go, `podReconciliation` -> `addOutputsToGlobalScope` ->
    `addParamToGlobalScope`: a globalName output becomes a workflow output."""
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
    """workflow/common/util.go, `SubstituteParams`: `inputs.parameters.X had no value`, which
    workflow/controller/dag.go `executeDAGTask` records as `task '<node name>' errored: ...`."""
    template = container("a", inputs={"parameters": [{"name": "x"}]})
    workflow, executor = run([dag({"name": "a", "template": "a"}), template])
    assert node_named(workflow, "a")["message"] == (
        "task 'wf.a' errored: inputs.parameters.x had no value"
    )
    assert executor.ran() == []


def test_an_entrypoint_that_cannot_start_errors_the_workflow() -> None:
    """workflow/controller/operator.go, `operate`: an error `executeTemplate` returns for the
    entrypoint (here `SubstituteParams`'s) errors the Workflow, `error in entry template
    execution: ...`; nothing runs."""
    workflow, executor = run([container("main", inputs={"parameters": [{"name": "x"}]})])
    assert workflow["status"]["phase"] == "Error"
    assert workflow["status"]["message"] == (
        "error in entry template execution: inputs.parameters.x had no value"
    )
    assert executor.ran() == []


def test_a_reference_to_an_output_that_never_comes_waits_forever_and_is_reported() -> None:
    """workflow/controller/dag.go, `resolveDependencyReferences`: an unresolved `tasks.` tag
    requeues the workflow (util/template/replace.go, `ReplaceStrictAny`); locally that is reported,
    not hung on."""
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


def test_a_depends_outside_the_expr_idp_local_reads_is_refused_before_the_run() -> None:
    """workflow/controller/dag.go, `evaluateDependsLogic`, evaluates `depends` with all of expr;
    idp local reads results joined by `&&`, `||`, `!` and parentheses (idp.local.expr) and
    refuses anything else before the run, naming the task (spec.check_spec)."""
    reader = {"name": "b", "template": "a", "depends": "a.Succeeded == a.Failed"}
    with pytest.raises(UnsupportedField, match=r"tasks\[1\]\.depends: unsupported syntax"):
        run([dag({"name": "a", "template": "a"}, reader), container("a")])


def test_a_label_expression_outside_the_expr_idp_local_reads_is_refused_before_the_run() -> None:
    """workflow/controller/operator.go, `updateWorkflowMetadata`, evaluates `labelsFrom` with all
    of expr; idp local reads names, members, calls and literals, and refuses the rest before the
    run, naming the label (spec.check_spec)."""
    spec = {"workflowMetadata": {"labelsFrom": {"who": {"expression": "a ?? 'x'"}}}}
    with pytest.raises(UnsupportedField, match=r"labelsFrom\.who: unsupported syntax"):
        run([dag({"name": "a", "template": "a"}), container("a")], spec=spec)


def test_a_label_from_an_expression_that_is_no_label_value_errors_the_workflow() -> None:
    """workflow/controller/operator.go, `updateWorkflowMetadata`: an invalid label value errors the
    Workflow before any node exists."""
    spec = {"workflowMetadata": {"labelsFrom": {"who": {"expression": "'ann@example.com'"}}}}
    workflow, executor = run([dag({"name": "a", "template": "a"}), container("a")], spec=spec)
    assert workflow["status"]["phase"] == "Error"
    assert "invalid label value 'ann@example.com'" in workflow["status"]["message"]
    assert (workflow["status"]["nodes"], executor.ran()) == ({}, [])


# -- withParam -------------------------------------------------------------------------------

STACKS = [{"environment": "dev", "name": "web"}, {"environment": "prod", "name": "api"}]
CHECK = container(
    "check",
    inputs={"parameters": [{"name": "environment"}, {"name": "name"}]},
    outputs={"parameters": [{"name": "result", "valueFrom": {"path": "/tmp/result"}}]},
)
CHECK["container"]["args"] = ["{{inputs.parameters.environment}}", "{{inputs.parameters.name}}"]
LISTER = container(
    "stacks", outputs={"parameters": [{"name": "stacks", "valueFrom": {"path": "/tmp/stacks"}}]}
)


def fan_out(*more: dict[str, Any], **drift: Any) -> list[dict[str, Any]]:
    """The drift check's shape: a task listing stacks, a task expanded over them."""
    check = {
        "name": "check",
        "template": "check",
        "depends": "stacks.Succeeded",
        "withParam": "{{tasks.stacks.outputs.parameters.stacks}}",
        "arguments": {
            "parameters": [
                {"name": "environment", "value": "{{item.environment}}"},
                {"name": "name", "value": "{{item.name}}"},
            ]
        },
    }
    main = dag({"name": "stacks", "template": "stacks"}, check, *more)
    return [{**main, **drift}, LISTER, CHECK]


def listed(stacks: object) -> dict[str, Ending | list[Ending]]:
    text = stacks if isinstance(stacks, str) else json.dumps(stacks)
    return {"stacks": Ending(outputs={"stacks": text})}


def args_of(executor: Scripted, template: str = "check") -> list[list[str]]:
    started = [s.template for s in executor.started]
    return [t["container"]["args"] for t in started if t["name"] == template]


def test_with_param_makes_one_node_per_item_named_after_the_item() -> None:
    """workflow/controller/dag.go, `expandTask`; workflow/controller/operator.go, `processItem`
    (a map's `key:value` pairs, sorted, joined by commas) and `generateNodeName`
    (`NAME(INDEX:DESC)`)."""
    workflow, executor = run(fan_out(), listed(STACKS))
    assert phase_of(workflow, "check(0:environment:dev,name:web)") == "Succeeded"
    assert phase_of(workflow, "check(1:environment:prod,name:api)") == "Succeeded"
    assert args_of(executor) == [["dev", "web"], ["prod", "api"]]
    assert workflow["status"]["phase"] == "Succeeded"


def test_the_items_hang_under_a_task_group_node_in_the_dag() -> None:
    """workflow/controller/dag.go, `executeDAGTask`: a TaskGroup node under the dependencies'
    outbound nodes, the expanded tasks its children (`connectDependencies`), each in the DAG's
    boundary."""
    workflow, _ = run(fan_out(), listed(STACKS))
    group = node_named(workflow, "check")
    items = [
        node_named(workflow, f"check({i}:{d})")
        for i, d in ((0, "environment:dev,name:web"), (1, "environment:prod,name:api"))
    ]
    assert (group["type"], group["phase"]) == ("TaskGroup", "Succeeded")
    assert group["children"] == [item["id"] for item in items]
    assert group["id"] in node_named(workflow, "stacks")["children"]
    assert {item["boundaryID"] for item in items} == {"wf"}  # the DAG, the root node


def test_an_empty_list_skips_the_task() -> None:
    """workflow/controller/dag.go, `executeDAGTask`: an expanded task without items is Skipped,
    "Skipped, empty params"; the DAG still succeeds."""
    workflow, executor = run(fan_out(), listed("[]"))
    group = node_named(workflow, "check")
    assert (group["type"], group["phase"], group["message"]) == (
        "Skipped",
        "Skipped",
        "Skipped, empty params",
    )
    assert args_of(executor) == []
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_with_param_that_is_no_json_list_errors_the_task() -> None:
    """workflow/controller/dag.go, `expandTask`: `withParam value could not be parsed as a JSON
    list: ...` with the error of Go's json.Unmarshal into []Item; the task's node is in Error, the
    workflow fails."""
    workflow, executor = run(fan_out(), listed('{"environment": "dev"}'))
    group = node_named(workflow, "check")
    assert (group["type"], group["phase"]) == ("Skipped", "Error")
    assert group["message"] == (
        'withParam value could not be parsed as a JSON list: {"environment": "dev"}: json: '
        "cannot unmarshal object into Go value of type []v1alpha1.Item"
    )
    assert args_of(executor) == []
    assert workflow["status"]["phase"] == "Error"


def test_a_with_param_that_is_no_json_at_all_names_the_character() -> None:
    """workflow/controller/dag.go, `expandTask`, with encoding/json's syntax error for the first
    character."""
    workflow, _ = run(fan_out(), listed("dev/web\n"))
    assert node_named(workflow, "check")["message"] == (
        "withParam value could not be parsed as a JSON list: dev/web: invalid character 'd' "
        "looking for beginning of value"
    )


def test_items_are_strings_numbers_and_bools_as_their_json_text() -> None:
    """workflow/controller/operator.go, `processItem`: `{{item}}` is a string item itself, a number
    or bool as its JSON text (`Item.String`, numbers as written); `generateNodeName` drops
    parentheses."""
    echo = container("echo", inputs={"parameters": [{"name": "x"}]})
    echo["container"]["args"] = ["{{inputs.parameters.x}}"]
    task = {
        "name": "echo",
        "template": "echo",
        "withParam": '["a (b)", 1.50, true]',
        "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]},
    }
    workflow, executor = run([dag(task), echo])
    assert args_of(executor, "echo") == [["a (b)"], ["1.50"], ["true"]]
    assert [phase_of(workflow, n) for n in ("echo(0:a b)", "echo(1:1.50)", "echo(2:true)")] == [
        "Succeeded"
    ] * 3


@pytest.mark.parametrize(
    ("given", "value", "name"),
    [('["a", 1]', '["a",1]', "echo(0:[a 1])"), ("null", "null", "echo(0:[])")],
)
def test_a_list_item_is_its_json_and_named_as_go_prints_it(
    given: str, value: str, name: str
) -> None:
    """workflow/controller/operator.go, `processItem`: a list (JSON `null` is read as one) is
    `{{item}}` as Go's json.Marshal writes it, described as fmt.Sprint prints the list (`[a 1]`)."""
    echo = container("echo", inputs={"parameters": [{"name": "x"}]})
    echo["container"]["args"] = ["{{inputs.parameters.x}}"]
    task = {
        "name": "echo",
        "template": "echo",
        "withParam": f"[{given}]",
        "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]},
    }
    workflow, executor = run([dag(task), echo])
    assert args_of(executor, "echo") == [[value]]
    assert phase_of(workflow, name) == "Succeeded"


def test_a_map_item_is_its_json_with_sorted_keys() -> None:
    """workflow/controller/operator.go, `processItem`: `{{item}}` of a map is Go's json.Marshal of
    it (keys sorted), `{{item.KEY}}` each value as `Item.String` writes it."""
    echo = container("echo", inputs={"parameters": [{"name": "x"}, {"name": "n"}]})
    echo["container"]["args"] = ["{{inputs.parameters.x}}", "{{inputs.parameters.n}}"]
    task = {
        "name": "echo",
        "template": "echo",
        "withParam": '[{"name": "web", "environment": "dev", "n": 3}]',
        "arguments": {
            "parameters": [{"name": "x", "value": "{{item}}"}, {"name": "n", "value": "{{item.n}}"}]
        },
    }
    _, executor = run([dag(task), echo])
    assert args_of(executor, "echo") == [['{"environment":"dev","n":3,"name":"web"}', "3"]]


def test_an_items_value_is_data_and_not_expanded_again() -> None:
    """workflow/controller/operator.go, `processItem`: one pass of fasttemplate over the task's
    text, so a value holding a tag is written as it is (and `common.SubstituteParams` leaves a tag
    it does not know in the step's input)."""
    stacks = [{"environment": "dev", "name": "{{item.environment}}"}]
    _, executor = run(fan_out(), listed(stacks))
    assert args_of(executor) == [["dev", "{{item.environment}}"]]


def test_a_global_tag_in_an_items_value_is_resolved_by_the_step_as_argo_does() -> None:
    """workflow/common/util.go, `SubstituteParams`: the step's inputs are substituted with the
    global parameters first, so a value arriving as `{{workflow.name}}` becomes the name. (The
    drift check's stack names come from validated requests, which never hold `{{`.)"""
    stacks = [{"environment": "dev", "name": "{{workflow.name}}"}]
    _, executor = run(fan_out(), listed(stacks))
    assert args_of(executor) == [["dev", "wf"]]


def test_an_expression_tag_arriving_in_a_value_stops_the_run() -> None:
    """workflow/common/util.go, `SubstituteParams`: the second pass over the step's text would
    evaluate an expression tag that a value brought in (util/template/expression_template.go);
    idp local evaluates none, so the run stops naming it rather than run the step differently.
    (The compiled objects' values come from validated requests, which never hold `{{`.)"""
    stacks = [{"environment": "dev", "name": "{{=sprig.upper('x')}}"}]
    with pytest.raises(LocalRunError, match=r"the expression tag \{\{=sprig\.upper\('x'\)\}\}"):
        run(fan_out(), listed(stacks))


def test_an_unknown_tag_in_an_items_value_fails_the_expansion() -> None:
    """workflow/controller/dag.go, `expandTask` marshals the task with its `withParam` text, and
    `processItem` replaces without unresolved tags (util/template/simple_template.go): `failed to
    resolve`."""
    stacks = [{"environment": "dev", "name": "{{nope}}"}]
    workflow, executor = run(fan_out(), listed(stacks))
    assert node_named(workflow, "check")["phase"] == "Error"
    assert node_named(workflow, "check")["message"] == "failed to resolve {{nope}}"
    assert args_of(executor) == []


def test_a_failed_item_fails_the_group_once_every_item_has_ended() -> None:
    """workflow/controller/dag.go, `executeDAGTask`: the TaskGroup waits for every expanded task,
    then takes the phase of one that Failed or Errored."""
    script = {**listed(STACKS * 2), "check": [Ending(), Ending("Failed"), Ending(), Ending()]}
    workflow, executor = run(fan_out(), script)
    assert len(args_of(executor)) == 4
    assert node_named(workflow, "check")["phase"] == "Failed"
    assert workflow["status"]["phase"] == "Failed"


def test_a_dag_that_does_not_fail_fast_runs_every_item_then_fails() -> None:
    """workflow/controller/dag.go, `assessDAGPhase`: with `dag.failFast: false` the DAG's phase is
    known only once every target task has ended; one failed target then fails it."""
    templates = fan_out()
    templates[0]["dag"]["failFast"] = False
    script = {**listed(STACKS * 2), "check": [Ending("Failed"), Ending(), Ending(), Ending()]}
    workflow, executor = run(templates, script)
    assert len(args_of(executor)) == 4
    assert workflow["status"]["phase"] == "Failed"


def test_a_templates_fail_fast_is_refused_before_the_run() -> None:
    """pkg/apis/workflow/v1alpha1/workflow_types.go, `Template.IsFailFast`, read by
    workflow/controller/operator.go, `checkParallelism`, is not implemented; its default,
    false, is accepted (spec.check_spec)."""
    templates = fan_out(failFast=True)
    with pytest.raises(UnsupportedField, match=r"templates\[0\]\.failFast: idp local runs only"):
        run(templates, listed(STACKS))
    run(fan_out(failFast=False), listed(STACKS))


@pytest.mark.parametrize(
    ("depends", "endings", "runs"),
    [
        ("check.AnySucceeded", ["Failed", "Succeeded"], True),
        ("check.AnySucceeded", ["Failed", "Failed"], False),
        ("check.AllFailed", ["Failed", "Failed"], True),
        ("check.AllFailed", ["Failed", "Error"], False),
        ("check.Succeeded", ["Failed", "Succeeded"], False),
    ],
)
def test_depends_reads_a_task_groups_results_from_its_items(
    depends: str, endings: list[str], runs: bool
) -> None:
    """workflow/controller/dag.go, `evaluateDependsLogic`: for a TaskGroup, AnySucceeded when an
    item Succeeded, AllFailed when every item Failed (an Error is no failure here)."""
    report = {"name": "report", "template": "report", "depends": depends}
    script = {**listed(STACKS), "check": [Ending(phase) for phase in endings]}
    workflow, executor = run([*fan_out(report), container("report")], script)
    assert ("report" in executor.ran()) is runs
    assert phase_of(workflow, "report") == ("Succeeded" if runs else "Omitted")


def test_a_task_after_a_group_hangs_under_every_item() -> None:
    """workflow/controller/operator.go, `getOutboundNodes`: a TaskGroup's outbound nodes are its
    children's, so a dependent task is a child of each expanded task."""
    report = {"name": "report", "template": "report", "depends": "check"}
    workflow, _ = run([*fan_out(report), container("report")], listed(STACKS))
    report_id = node_named(workflow, "report")["id"]
    for item in ("check(0:environment:dev,name:web)", "check(1:environment:prod,name:api)"):
        assert node_named(workflow, item)["children"] == [report_id]


def test_when_with_with_param_is_refused_before_the_run() -> None:
    """workflow/controller/dag.go, `resolveDependencyReferences` and `executeDAGTask`, read a
    `when` on an expanded task per item (an error before expansion is ignored); idp local does
    not implement that and refuses it (spec.check_spec)."""
    templates = fan_out()
    templates[0]["dag"]["tasks"][1]["when"] = "true"
    with pytest.raises(UnsupportedField, match=r"tasks\[1\]\.when: not supported with"):
        run(templates, listed(STACKS))


def test_reading_an_expanded_tasks_outputs_is_refused_before_the_run() -> None:
    """workflow/controller/operator.go, `processAggregateNodeOutputs` (from
    workflow/controller/dag.go, `buildLocalScopeFromTask`), aggregates an expanded task's
    outputs; idp local refuses a task that reads them rather than run it differently."""
    report = {
        "name": "report",
        "template": "report",
        "depends": "check",
        "arguments": {"parameters": [{"name": "x", "value": "{{tasks.check.outputs.parameters}}"}]},
    }
    with pytest.raises(UnsupportedField, match="reads the outputs of expanded task check"):
        run([*fan_out(report), container("report")], listed(STACKS))


def test_each_items_node_records_its_substituted_inputs() -> None:
    """workflow/controller/operator.go, `initializeExecutableNode`: a node of a template with inputs
    holds them, as substituted for that node."""
    workflow, _ = run(fan_out(), listed(STACKS))
    item = node_named(workflow, "check(1:environment:prod,name:api)")
    assert item["inputs"]["parameters"] == [
        {"name": "environment", "value": "prod"},
        {"name": "name", "value": "api"},
    ]
    assert "inputs" not in node_named(workflow, "stacks")


# -- a DAG's parallelism ---------------------------------------------------------------------


def test_a_dags_parallelism_bounds_the_items_running_at_once() -> None:
    """workflow/controller/operator.go, `checkParallelism` with
    workflow/controller/node_counters.go, `getActiveChildren`: a child of a DAG with parallelism 2
    is not started while two children are Pending or Running."""
    six = [{"environment": "dev", "name": f"s{i}"} for i in range(6)]
    workflow, executor = run(fan_out(parallelism=2), listed(six))
    assert len(args_of(executor)) == 6
    assert executor.peak == 2
    assert workflow["status"]["phase"] == "Succeeded"


def test_without_parallelism_every_item_runs_at_once() -> None:
    """workflow/controller/operator.go, `checkParallelism`: no limit without `parallelism`."""
    six = [{"environment": "dev", "name": f"s{i}"} for i in range(6)]
    _, executor = run(fan_out(), listed(six))
    assert executor.peak == 6


def test_parallelism_is_only_taken_on_a_dag() -> None:
    """workflow/controller/operator.go, `checkParallelism`, limits a Workflow's and any
    template's children; idp local implements a DAG template's only and refuses the rest
    (spec.check_spec)."""
    with pytest.raises(UnsupportedField, match=r"templates\[1\]\.parallelism"):
        run([dag({"name": "a", "template": "a"}), container("a", parallelism=1)])


# -- a template's mutex ----------------------------------------------------------------------

STACK_MUTEX = "compute-{{inputs.parameters.environment}}-{{inputs.parameters.name}}"
LOCKED = {**CHECK, "synchronization": {"mutexes": [{"name": STACK_MUTEX}]}}
WAITING = "Waiting for test/Mutex/compute-dev-web lock. Lock status: 0/1"


def locked_fan_out(**drift: Any) -> list[dict[str, Any]]:
    return [*fan_out(**drift)[:2], LOCKED]


def test_two_items_on_the_same_mutex_run_one_after_the_other() -> None:
    """workflow/sync/sync_manager.go, `TryAcquire` (the holder is the node) and `Release` (from
    `executeTemplate` once the node is fulfilled); the waiting node is Pending with
    workflow/sync/semaphore.go's `checkAcquire` message (`markNodeWaitingForLock`)."""
    seen: list[tuple[str, str, str]] = []
    twice = [{"environment": "dev", "name": "web"}] * 2
    workflow, executor = run(locked_fan_out(), listed(twice), seen=seen)
    second = "check(1:environment:dev,name:web)"
    assert (second, "Pending", WAITING) in seen
    assert seen.index(("check(0:environment:dev,name:web)", "Succeeded", "")) < seen.index(
        (second, "Running", "")
    )
    assert executor.peak == 1
    assert workflow["status"]["phase"] == "Succeeded"
    assert "synchronizationStatus" not in node_named(workflow, second)


def test_a_retried_template_waits_for_its_lock_as_a_retry_node() -> None:
    """workflow/controller/operator.go, `executeTemplate`: a node that cannot take its lock is made
    with the template's node type (`GetNodeType`: Retry with a retryStrategy), Pending; once it
    holds the lock its attempts run, and it lets the lock go when it is fulfilled."""
    seen: list[tuple[str, str, str]] = []
    retried = [*locked_fan_out()[:2], {**LOCKED, "retryStrategy": {"limit": 1}}]
    twice = [{"environment": "dev", "name": "web"}] * 2
    workflow, executor = run(retried, listed(twice), seen=seen)
    second = "check(1:environment:dev,name:web)"
    assert (second, "Pending", WAITING) in seen
    assert node_named(workflow, second)["type"] == "Retry"
    assert executor.peak == 1
    assert [phase_of(workflow, f"{second}(0)"), workflow["status"]["phase"]] == ["Succeeded"] * 2


def test_items_on_different_mutexes_run_together() -> None:
    """workflow/sync/sync_manager.go, `TryAcquire`, with workflow/sync/lock_name.go,
    `getMutexLockName`: one lock per key (`<namespace>/Mutex/<name>`)."""
    workflow, executor = run(locked_fan_out(), listed(STACKS))
    assert executor.peak == 2
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_node_waiting_for_its_lock_counts_against_the_dags_parallelism() -> None:
    """workflow/controller/node_counters.go, `getActiveChildren`: a Pending Pod node counts, waiting
    or not; so with parallelism 2 the third item starts only after the first has ended."""
    seen: list[tuple[str, str, str]] = []
    three = [{"environment": "dev", "name": "web"}] * 3
    run(locked_fan_out(parallelism=2), listed(three), seen=seen)
    first_done = seen.index(("check(0:environment:dev,name:web)", "Succeeded", ""))
    third = [i for i, s in enumerate(seen) if s[0] == "check(2:environment:dev,name:web)"]
    assert third and third[0] > first_done


def test_the_mutex_of_a_template_is_the_lock_of_a_workflows_mutex_of_that_name(
    tmp_path: Path,
) -> None:
    """workflow/sync/lock_name.go, `getMutexLockName` and `lockName.String`: the key is
    `<namespace>/Mutex/<name>` whether a Workflow or a node takes it, so a drift check's node
    waits while a provisioning run of the same stack holds its Workflow-level mutex."""
    provisioning = FileLocks(tmp_path, waiting=lambda key: None).hold(
        lock_key("test", "compute-dev-web")
    )

    class ProvisioningEnds(FakeClock):
        def sleep_until(self, when: float) -> None:
            provisioning.close()  # the provisioning run ends while the check waits
            super().sleep_until(when)

    seen: list[tuple[str, str, str]] = []
    workflow, _ = run(
        locked_fan_out(),
        listed(STACKS[:1]),
        seen=seen,
        locks=FileLocks(tmp_path, waiting=lambda key: None),
        clock=ProvisioningEnds(),
    )
    item = "check(0:environment:dev,name:web)"
    assert (item, "Pending", WAITING) in seen
    assert phase_of(workflow, item) == "Succeeded"
    assert mutex.lock_file(tmp_path, "test/Mutex/compute-dev-web").exists()


def test_a_workflows_mutex_waits_on_the_same_lock_key(tmp_path: Path) -> None:
    """workflow/controller/operator.go, `operate`: the Workflow-level `TryAcquire` has no node; its
    key is the same `<namespace>/Mutex/<name>` (workflow/sync/lock_name.go)."""
    check = FileLocks(tmp_path, waiting=lambda key: None).hold("test/Mutex/compute-dev-web")
    waited: list[str] = []

    def told(key: str) -> None:
        waited.append(key)
        check.close()

    spec = {"synchronization": {"mutexes": [{"name": "compute-dev-web"}]}}
    workflow, _ = run(
        [dag({"name": "a", "template": "a"}), container("a")],
        locks=FileLocks(tmp_path, waiting=told),
        spec=spec,
    )
    assert waited == ["test/Mutex/compute-dev-web"]
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_finished_workflow_holds_no_lock(tmp_path: Path) -> None:
    """workflow/controller/operator.go, `operate`: `ReleaseAll` once the Workflow is fulfilled; its
    status then has no `synchronization`."""
    locks = FileLocks(tmp_path, waiting=lambda key: None)
    workflow, _ = run(locked_fan_out(), listed(STACKS), locks=locks)
    assert "synchronization" not in workflow["status"]
    for name in ("compute-dev-web", "compute-prod-api"):
        held = locks.try_hold(lock_key("test", name))
        assert held is not None
        held.close()


def test_stop_fails_a_node_waiting_for_its_lock() -> None:
    """workflow/controller/operator.go, `failNodesWithoutCreatedPodsAfterDeadlineOrShutdown`: a
    Pending node waiting for a lock has no pod to kill, so a shutdown fails it."""
    workflow_object, template = workflow_of(locked_fan_out(), entrypoint="main")
    controller: Controller

    def stop_when_waiting(node: dict[str, object]) -> None:
        if node.get("synchronizationStatus"):
            controller.stop("Stop")

    twice = [{"environment": "dev", "name": "web"}] * 2
    controller = Controller(
        workflow_object,
        template,
        executor=Scripted(listed(twice)),
        approver=answers(),
        clock=FakeClock(),
        watcher=stop_when_waiting,
    )
    workflow = controller.run()
    second = node_named(workflow, "check(1:environment:dev,name:web)")
    assert (second["phase"], second["message"]) == ("Failed", "Stopped with strategy 'Stop'")
    assert workflow["status"]["phase"] == "Failed"


def test_a_mutex_is_taken_on_container_templates_only() -> None:
    """workflow/controller/operator.go, `executeTemplate`, takes a mutex for a template of any
    type (workflow/sync/sync_manager.go, `TryAcquire`); idp local locks a container template's
    node only and refuses the rest (spec.check_spec)."""
    main = dag({"name": "a", "template": "a"})
    main["synchronization"] = {"mutexes": [{"name": "m"}]}
    with pytest.raises(UnsupportedField, match=r"templates\[0\]\.synchronization"):
        run([main, container("a")])


# -- a Workflow made by the cron controller ---------------------------------------------------

SCHEDULED = "2030-01-02T03:00:00Z"


def test_workflow_scheduled_time_is_the_scheduled_time_annotation() -> None:
    """workflow/controller/operator.go, `setGlobalParameters`: `workflow.scheduledTime` is the
    Workflow's `workflows.argoproj.io/scheduled-time` annotation."""
    step = container("a")
    step["container"]["args"] = ["--now", "{{workflow.scheduledTime}}"]
    annotations = {"workflows.argoproj.io/scheduled-time": SCHEDULED}
    _, executor = run([dag({"name": "a", "template": "a"}), step], annotations=annotations)
    assert executor.started[0].template["container"]["args"] == ["--now", SCHEDULED]


def test_without_the_annotation_workflow_scheduled_time_stays_as_written() -> None:
    """workflow/controller/operator.go, `setGlobalParameters`: the tag is set only from the
    scheduled-time annotation (v4.0.10 as `GlobalVarWorkflowCronScheduleTime`, v4.1.2 through
    util/variables/keys `WorkflowScheduledTime`), so on a Workflow no cron made it stays."""
    step = container("a")
    step["container"]["args"] = ["{{workflow.scheduledTime}}"]
    _, executor = run([dag({"name": "a", "template": "a"}), step])
    assert executor.started[0].template["container"]["args"] == ["{{workflow.scheduledTime}}"]


def cron_workflow(**spec: object) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {
            "name": "compute-drift",
            "namespace": "argo-events",
            "labels": {
                "app.kubernetes.io/part-of": "idp",
                "workflows.argoproj.io/creator": "ann",
            },
        },
        "spec": {
            "schedules": ["0 3 * * *"],
            "timezone": "UTC",
            "concurrencyPolicy": "Forbid",
            "workflowMetadata": {"labels": {"idp.platform/job": "drift"}},
            "workflowSpec": {"entrypoint": "main", "templates": fan_out()},
            **spec,
        },
    }


def test_the_cron_controller_names_the_workflow_after_the_scheduled_time() -> None:
    """workflow/cron/operator.go, `getChildWorkflowName`: `<cron>-<Unix seconds>`, in the
    CronWorkflow's namespace, its spec the `workflowSpec` (workflow/common/convert.go,
    `toWorkflow`)."""
    made = workflow_from_cron(cron_workflow(), parse_time(SCHEDULED))
    assert made["metadata"]["name"] == "compute-drift-1893553200"
    assert made["metadata"]["namespace"] == "argo-events"
    assert made["spec"] == cron_workflow()["spec"]["workflowSpec"]
    assert made["kind"] == "Workflow"


def test_the_cron_controller_labels_and_annotates_the_workflow() -> None:
    """workflow/common/convert.go, `ConvertCronWorkflowToWorkflowWithProperties` and `toWorkflow`:
    the creator labels propagate (`labelsToPropagate`), others do not; the cron-workflow label and
    `workflowMetadata`'s labels are added; the scheduled time is annotated in RFC 3339."""
    made = workflow_from_cron(cron_workflow(), parse_time("2030-01-02T04:00:00+01:00"))
    assert made["metadata"]["labels"] == {
        "workflows.argoproj.io/creator": "ann",
        "workflows.argoproj.io/cron-workflow": "compute-drift",
        "idp.platform/job": "drift",
    }
    assert made["metadata"]["annotations"] == {"workflows.argoproj.io/scheduled-time": SCHEDULED}
    (owner,) = made["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["controller"]) == (
        "CronWorkflow",
        "compute-drift",
        True,
    )


def test_without_a_time_the_scheduled_time_is_now_to_the_minute() -> None:
    """workflow/cron/operator.go, `inferScheduledTime`: seconds and below zeroed, in UTC."""
    assert rfc3339(infer_scheduled_time(parse_time("2030-01-02T03:04:05Z").timestamp() + 0.5)) == (
        "2030-01-02T03:04:00Z"
    )


def test_a_suspended_cron_workflow_makes_no_workflow() -> None:
    """workflow/cron/operator.go, `enforceRuntimePolicy`: a suspended CronWorkflow is skipped."""
    with pytest.raises(NotScheduled, match=r"is suspended \(spec.suspend\)"):
        check_runnable(cron_workflow(suspend=True))


def test_a_cron_workflow_with_when_is_refused() -> None:
    """workflow/cron/operator.go, `evalWhen`, reads the CronWorkflow's run history, which a
    local run does not have."""
    with pytest.raises(UnsupportedField, match=r"spec\.when: not supported"):
        check_runnable(cron_workflow(when="{{cronworkflow.failed}} == 0"))


def test_the_cron_workflow_and_its_finished_run_pass_the_official_schemas() -> None:
    """api/jsonschema/schema.json (v4.1.2, the official schema): the CronWorkflow as written
    here and the Workflow idp local makes (workflow/common/convert.go, `toWorkflow`) and
    finishes."""
    cron = cron_workflow(startingDeadlineSeconds=300)
    assert conformance_errors(cron) == []
    made = workflow_from_cron(cron, parse_time(SCHEDULED))
    controller = Controller(
        made,
        None,
        executor=Scripted(listed(STACKS)),
        approver=answers(),
        clock=FakeClock(),
        locks=None,
    )
    finished = controller.run()
    assert finished["status"]["phase"] == "Succeeded"
    assert conformance_errors(finished) == []
