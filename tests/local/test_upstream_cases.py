"""Upstream's own cases, re-expressed for `idp local`: what Argo Workflows' tests assert, held here.

Each test names the fixture it re-expresses (a path in the argo-workflows repository at v4.1.2,
also at v4.0.10 unless the test says otherwise) and the test that asserts on it, and asserts
what that test asserts. The templates are written anew as the small hand-written shapes of
tests.local.engine (a DAG, containers, suspends), with steps scripted: upstream's `steps`
templates become a DAG of the same order, a script's `outputs.result` an output parameter.
Where upstream's case needs something `idp local` does not implement and the compiled objects
do not use (a `steps` template, an expression tag, an input artifact, `withItems`...), the test
asserts that `idp local` refuses it before the run, naming the field.

`examples_test.go` `TestExampleWorkflows` submits every file of `examples/` whose Workflow has
no `workflows.argoproj.io/no-test` label and asserts that it ends Succeeded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from idp.local.controller import Answer, Controller, set_outputs
from idp.local.mutex import FileLocks, lock_key
from idp.local.nodes import Node
from idp.local.spec import UnsupportedField
from tests.local.engine import (
    Ending,
    FakeClock,
    Scripted,
    container,
    dag,
    node_named,
    phase_of,
    run,
    workflow_of,
)
from workflows.steps.outcome import go_unquote


def emits(name: str, *outputs: str, default: dict[str, str] | None = None) -> dict[str, Any]:
    """A container template publishing output parameters (each with its default, if given)."""
    declared = []
    for output in outputs:
        source: dict[str, Any] = {"path": f"/tmp/{output}"}
        if default and output in default:
            source["default"] = default[output]
        declared.append({"name": output, "valueFrom": source})
    return container(name, outputs={"parameters": declared})


def takes(name: str, *inputs: str, default: dict[str, str] | None = None) -> dict[str, Any]:
    """A container template echoing its input parameters (each with its default, if given)."""
    defaults = default or {}
    declared = [
        {"name": i, "default": defaults[i]} if i in defaults else {"name": i} for i in inputs
    ]
    step = container(name, inputs={"parameters": declared})
    step["container"]["args"] = [f"{{{{inputs.parameters.{item}}}}}" for item in inputs]
    return step


def inputs_of(workflow: dict[str, Any], name: str) -> dict[str, str]:
    """The input parameters the node called `name` recorded, by name."""
    recorded = (node_named(workflow, name).get("inputs") or {}).get("parameters") or []
    return {p["name"]: p.get("value") for p in recorded}


def task(name: str, template: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"name": name, "template": template or name, **fields}


def passing(name: str, value: str) -> dict[str, Any]:
    """Arguments passing one parameter."""
    return {"arguments": {"parameters": [{"name": name, "value": value}]}}


# -- depends ----------------------------------------------------------------------------------


def test_depends_joins_task_results_with_and_and_or() -> None:
    """test/e2e/functional/dag-depends.yaml, asserted by test/e2e/functional_test.go
    `TestDAGDepends`: beside a passing task and a failing one, a task that accepts the failing
    one's success or failure runs, one that needs either to pass runs, one that needs both to
    pass is Omitted (workflow/common/ancestry.go `GetTaskDependsLogic` reads the expression,
    workflow/controller/dag.go `evaluateDependsLogic` decides)."""
    workflow, _ = run(
        [
            dag(
                task("ok", "pass"),
                task("broken", "fail"),
                task("either-end", "pass", depends="ok && (broken.Succeeded || broken.Failed)"),
                task("any-passed", "pass", depends="ok || broken"),
                task("both-passed", "pass", depends="ok && broken"),
                task("after", "pass", depends="any-passed.Succeeded || both-passed"),
            ),
            container("pass"),
            container("fail"),
        ],
        {"fail": Ending("Failed", message="Error (exit code 1)")},
    )
    assert phase_of(workflow, "either-end") == "Succeeded"
    assert phase_of(workflow, "any-passed") == "Succeeded"
    assert phase_of(workflow, "both-passed") == "Omitted"


def test_a_failure_every_dependent_accepts_leaves_the_dag_succeeded() -> None:
    """examples/dag-enhanced-depends.yaml, asserted by test/e2e/examples_test.go
    `TestExampleWorkflows` (it ends Succeeded): the failed task's dependents read `.Failed` or
    `||`, the task needing both is Omitted, and every leaf's branch ends well
    (dag.go `assessDAGPhase`)."""
    workflow, _ = run(
        [
            dag(
                task("a", "pass"),
                task("b", "pass", depends="a"),
                task("c", "fail", depends="a"),
                task("c-either-way", "pass", depends="a && (c.Succeeded || c.Failed)"),
                task("b-or-c", "pass", depends="b || c"),
                task("b-and-c", "pass", depends="b && c"),
                task("last", "pass", depends="b-or-c.Succeeded || b-and-c"),
            ),
            container("pass"),
            container("fail"),
        ],
        {"fail": Ending("Failed")},
    )
    assert phase_of(workflow, "b-and-c") == "Omitted"
    assert workflow["status"]["phase"] == "Succeeded"


def test_continue_on_failed_lets_the_dependent_run_and_the_dag_succeed() -> None:
    """The DAG inlined in test/e2e/functional_test.go `TestContinueOnFailDag`: with
    `failFast: false`, a task that fails with `continueOn.failed` and one listing it in
    `dependencies`: the first Failed, the second Succeeded, the Workflow Succeeded."""
    main = dag(
        task("f", "fail", continueOn={"failed": True}),
        task("p", "pass", dependencies=["f"]),
    )
    main["dag"]["failFast"] = False
    workflow, _ = run([main, container("pass"), container("fail")], {"fail": Ending("Failed")})
    assert (phase_of(workflow, "f"), phase_of(workflow, "p")) == ("Failed", "Succeeded")
    assert workflow["status"]["phase"] == "Succeeded"


def test_continue_on_in_a_steps_template_is_refused_by_name() -> None:
    """The Workflow inlined in test/e2e/functional_test.go `TestContinueOnFail` (and
    test/e2e/functional/continue-on-failed.yaml) continues on a failure inside a `steps`
    template; the compiled objects have no `steps` template and idp local runs none."""
    steps = {
        "name": "main",
        "steps": [[task("a", "pass"), task("b", "pass", continueOn={"failed": True})]],
    }
    with pytest.raises(UnsupportedField, match=r"spec\.templates\[0\]\.steps: not supported"):
        run([steps, container("pass")])


# -- when -------------------------------------------------------------------------------------


def test_a_govaluate_when_that_holds_runs_the_task() -> None:
    """test/e2e/functional/conditionals.yaml (examples/conditionals.yaml), asserted by
    test/e2e/functional_test.go `TestWhenExpressions`: the task whose `when` is the govaluate
    form `{{inputs.parameters.should-print}} == true` is not a Skipped node."""
    main = dag(task("print", "say", when="{{inputs.parameters.should-print}} == true"))
    main["inputs"] = {"parameters": [{"name": "should-print"}]}
    workflow, executor = run(
        [main, container("say")], arguments=[{"name": "should-print", "value": "true"}]
    )
    assert node_named(workflow, "print")["type"] == "Pod"
    assert executor.ran() == ["say"]


def test_the_expression_forms_of_a_when_are_refused_by_name() -> None:
    """The same fixture's other two tasks (`TestWhenExpressions`) use expression tags
    (`{{= ...}}`) in `when`; the compiled objects use none and idp local evaluates none."""
    main = dag(task("print", "say", when="{{= inputs.parameters['should-print'] == 'true'}}"))
    with pytest.raises(UnsupportedField, match=r"tasks\[0\]\.when: the expression tag"):
        run([main, container("say")])


@pytest.mark.parametrize(("answer", "runs"), [("YES", True), ("NO", False)])
def test_a_when_on_a_suspend_nodes_output_runs_or_skips_the_task(answer: str, runs: bool) -> None:
    """examples/intermediate-parameters.yaml (labelled no-test, so `TestExampleWorkflows` does
    not run it; the approval shape the compiled objects had): a deploy task whose `when` reads
    the approval's supplied output runs on YES and is Skipped on NO, with the message of
    dag.go `executeDAGTask` (steps.go `shouldExecute` reads the substituted text)."""
    approval = {
        "name": "approval",
        "suspend": {},
        "inputs": {"parameters": [{"name": "approve", "default": "NO", "enum": ["YES", "NO"]}]},
        "outputs": {"parameters": [{"name": "approve", "valueFrom": {"supplied": {}}}]},
    }
    workflow, executor = run(
        [
            dag(
                task("deploy-pre-prod", "deploy"),
                task("approval", depends="deploy-pre-prod"),
                task(
                    "deploy-prod",
                    "deploy",
                    depends="approval",
                    when="{{tasks.approval.outputs.parameters.approve}} == YES",
                ),
            ),
            approval,
            container("deploy"),
        ],
        approve=[Answer("set", {"approve": answer})],
    )
    assert executor.ran() == (["deploy", "deploy"] if runs else ["deploy"])
    if not runs:
        skipped = node_named(workflow, "deploy-prod")
        assert (skipped["phase"], skipped["message"]) == (
            "Skipped",
            "when 'NO == YES' evaluated false",
        )
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_false_when_skips_the_task_before_its_arguments_are_resolved() -> None:
    """test/e2e/functional/dag-when-expr-skip.yaml, asserted by test/e2e/functional_test.go
    `TestDAGWhenExprSkip` (B Skipped, the Workflow Succeeded), with its expression tags in the
    govaluate form: B's `when` is false, so its argument, which could never resolve, is not
    read (dag.go `resolveDependencyReferences` resolves `when` first, v4.0.3 on)."""
    workflow, _ = run(
        [
            dag(
                task("a", "echo", **passing("message", "a")),
                task(
                    "b",
                    "echo",
                    dependencies=["a"],
                    when="'{{workflow.parameters.data}}' != ''",
                    **passing("message", "{{tasks.a.outputs.parameters.id}}"),
                ),
            ),
            takes("echo", "message"),
        ],
        arguments=[{"name": "data", "value": ""}],
    )
    assert phase_of(workflow, "b") == "Skipped"
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_when_reading_a_skipped_tasks_status_skips_without_requeueing() -> None:
    """workflow/controller/dag_test.go `TestDAGWhenSkipNoRequeue`: A is Skipped, B's `when`
    reads `{{tasks.A.status}} == Succeeded`, false; B is Skipped at once though its argument
    names an output A never made, and the Workflow Succeeds."""
    workflow, executor = run(
        [
            dag(
                task("a", "echo", when="false", **passing("message", "a")),
                task(
                    "b",
                    "echo",
                    dependencies=["a"],
                    when="{{tasks.a.status}} == Succeeded",
                    **passing("message", "{{tasks.a.outputs.parameters.result}}"),
                ),
            ),
            takes("echo", "message"),
        ]
    )
    assert node_named(workflow, "b")["message"] == "when 'Skipped == Succeeded' evaluated false"
    assert (executor.ran(), workflow["status"]["phase"]) == ([], "Succeeded")


# -- outputs of a Skipped or Omitted task ------------------------------------------------------

PRODUCE = emits("produce", "msg", default={"msg": "hello-from-producer"})


def skipped_producer(consume: dict[str, Any], produce: dict[str, Any] = PRODUCE) -> Any:
    """dag-skipped-*-default's shape: a producer skipped by `when: false`, a consumer taking
    its output."""
    return run(
        [
            dag(
                task("producer", "produce", when="false"),
                task(
                    "consumer",
                    "consume",
                    depends="producer.Succeeded || producer.Skipped",
                    **passing("in", "{{tasks.producer.outputs.parameters.msg}}"),
                ),
            ),
            produce,
            consume,
        ]
    )


def test_a_skipped_producers_output_is_its_declared_default() -> None:
    """test/e2e/functional/dag-skipped-producer-default.yaml, asserted by
    test/e2e/functional_test.go `TestDAGSkippedProducerOutputDefault`: the Workflow Succeeded,
    the producer Skipped, the consumer Succeeded with input `hello-from-producer`
    (scope.go `addSkippedNodeOutputsToScope`, v4.0.7 on)."""
    workflow, _ = skipped_producer(takes("consume", "in"))
    assert workflow["status"]["phase"] == "Succeeded"
    assert phase_of(workflow, "producer") == "Skipped"
    assert phase_of(workflow, "consumer") == "Succeeded"
    assert inputs_of(workflow, "consumer") == {"in": "hello-from-producer"}


def test_without_a_producer_default_the_consumers_input_default_applies() -> None:
    """test/e2e/functional/dag-skipped-consumer-default.yaml, asserted by
    test/e2e/functional_test.go `TestDAGSkippedConsumerInputDefault`: the output has no
    default, so the argument naming it only is dropped (scope.go `markAbsentOptionalArgs`,
    workflow/common/util.go `ProcessArgs`) and the consumer's own default is its input."""
    workflow, _ = skipped_producer(
        takes("consume", "in", default={"in": "fallback-from-input"}), emits("produce", "msg")
    )
    assert workflow["status"]["phase"] == "Succeeded"
    assert phase_of(workflow, "producer") == "Skipped"
    assert phase_of(workflow, "consumer") == "Succeeded"
    assert inputs_of(workflow, "consumer") == {"in": "fallback-from-input"}


def stage_c(dependency: str, extra: dict[str, Any]) -> Any:
    """dag-skipped-output-ref's and dag-omitted-output-ref's shape: stage-c reads the outputs
    of stage-a (ran) and stage-b (did not), neither with a default."""
    return run(
        [
            dag(
                task("stage-a", "stage"),
                task("stage-b", "stage", **extra),
                task(
                    "stage-c",
                    "report",
                    depends=f"stage-a && (stage-b || stage-b.{dependency})",
                    arguments={
                        "parameters": [
                            {"name": "from-a", "value": "{{tasks.stage-a.outputs.parameters.out}}"},
                            {"name": "from-b", "value": "{{tasks.stage-b.outputs.parameters.out}}"},
                        ]
                    },
                ),
            ),
            emits("stage", "out"),
            takes("report", "from-a", "from-b"),
        ],
        {"stage": Ending(outputs={"out": "hello from a stage"})},
    )


def test_a_skipped_output_without_any_default_errors_the_consumer() -> None:
    """test/e2e/functional/dag-skipped-output-ref.yaml, asserted by
    test/e2e/functional_test.go `TestDAGSkippedOutputRef` (and workflow/controller/dag_test.go
    `TestDAGSkippedOutputRef`): stage-b Skipped, stage-c in Error naming the absent optional
    rather than waiting forever, the Workflow in Error."""
    workflow, executor = stage_c("Skipped", {"when": "false"})
    assert phase_of(workflow, "stage-a") == "Succeeded"
    assert phase_of(workflow, "stage-b") == "Skipped"
    consumer = node_named(workflow, "stage-c")
    assert consumer["phase"] == "Error"
    assert "absent optional" in consumer["message"]
    assert executor.ran() == ["stage"]
    assert workflow["status"]["phase"] == "Error"


def test_an_omitted_output_without_any_default_errors_the_consumer() -> None:
    """test/e2e/functional/dag-omitted-output-ref.yaml, asserted by
    test/e2e/functional_test.go `TestDAGOmittedOutputRef`: the same with stage-b Omitted (it
    depends on stage-a failing): stage-c in Error naming the absent optional, the Workflow in
    Error."""
    workflow, _ = stage_c("Omitted", {"depends": "stage-a.Failed"})
    assert phase_of(workflow, "stage-a") == "Succeeded"
    assert phase_of(workflow, "stage-b") == "Omitted"
    consumer = node_named(workflow, "stage-c")
    assert consumer["phase"] == "Error"
    assert "absent optional" in consumer["message"]
    assert workflow["status"]["phase"] == "Error"


def test_the_consumers_error_names_the_task_and_the_input() -> None:
    """dag.go `executeDAGTask` wraps what `executeTemplate` returns (here `ProcessArgs`'s
    error) as `task '<node name>' errored: ...`."""
    workflow, _ = stage_c("Skipped", {"when": "false"})
    assert node_named(workflow, "stage-c")["message"] == (
        "task 'wf.stage-c' errored: inputs.parameters.from-b: argument references an absent "
        "optional (skipped/omitted node output with no default)"
    )


def test_a_when_reading_an_absent_optional_errors_the_task() -> None:
    """test/e2e/functional/steps-skipped-output-ref.yaml, asserted by
    test/e2e/functional_test.go `TestStepsSkippedOutputRef`, as a DAG: job2 is Skipped, the
    handler's `when` reads job2's output (no default), so the handler's node is in Error with
    util/template/simple_template.go's message (not requeued). Upstream's steps roll that up
    as Failed; a DAG's Error leaf makes the Workflow Error (dag.go `assessDAGPhase`). The fixture
    is v4.1.2's only; simple_template.go's rule is the same at v4.0.10."""
    workflow, _ = run(
        [
            dag(
                task("job1", "job"),
                task(
                    "job2",
                    "job",
                    depends="job1",
                    when="'{{tasks.job1.outputs.parameters.status}}' == 'FAILED'",
                ),
                task(
                    "handler",
                    "job",
                    depends="job1 && job2",
                    when="'{{tasks.job2.outputs.parameters.status}}' != 'SUCCESS'",
                ),
            ),
            emits("job", "status"),
        ],
        {"job": Ending(outputs={"status": "SUCCESS"})},
    )
    assert (phase_of(workflow, "job1"), phase_of(workflow, "job2")) == ("Succeeded", "Skipped")
    handler = node_named(workflow, "handler")
    assert (handler["type"], handler["phase"]) == ("Skipped", "Error")
    assert handler["message"] == (
        "unable to substitute {{tasks.job2.outputs.parameters.status}}: output is an absent "
        "optional (skipped/omitted node with no default)"
    )
    assert workflow["status"]["phase"] == "Error"


def test_a_with_param_from_a_skipped_producer_expands_its_default() -> None:
    """test/e2e/functional/dag-skipped-withparam-default.yaml, asserted by
    test/e2e/functional_test.go `TestDAGSkippedWithParamProducerDefault`: the Workflow
    Succeeded, the producer Skipped, `consumer(0:a)` and `consumer(1:b)` Succeeded with inputs
    a and b."""
    workflow, _ = run(
        [
            dag(
                task("producer", "produce", when="false"),
                task(
                    "consumer",
                    "consume",
                    depends="producer.Succeeded || producer.Skipped",
                    withParam="{{tasks.producer.outputs.parameters.items}}",
                    **passing("in", "{{item}}"),
                ),
            ),
            emits("produce", "items", default={"items": '["a","b"]'}),
            takes("consume", "in"),
        ]
    )
    assert workflow["status"]["phase"] == "Succeeded"
    assert phase_of(workflow, "producer") == "Skipped"
    for index, item in enumerate("ab"):
        assert phase_of(workflow, f"consumer({index}:{item})") == "Succeeded"
        assert inputs_of(workflow, f"consumer({index}:{item})") == {"in": item}


def test_a_volume_naming_a_skipped_output_is_refused_by_name() -> None:
    """test/e2e/functional/dag-skipped-volume-default.yaml (`TestDAGSkippedVolumeRefProducer
    Default`) mounts a ConfigMap named by a skipped task's output; the compiled objects mount
    only emptyDir and Secret volumes, the only kinds idp local makes."""
    spec = {"volumes": [{"name": "cfg", "configMap": {"name": "x", "optional": True}}]}
    with pytest.raises(UnsupportedField, match=r"spec\.volumes\[0\]\.configMap: not supported"):
        run([dag(task("a", "pass")), container("pass")], spec=spec)


def test_an_artifact_argument_is_refused_by_name() -> None:
    """test/e2e/functional/dag-skipped-artifact-subpath-ref.yaml
    (`TestDAGSkippedArtifactSubPathRef`) hands an artifact `from` one task to another; the
    compiled objects pass no artifact between tasks and idp local passes none."""
    consumer = task(
        "consumer",
        "pass",
        depends="producer",
        arguments={
            "artifacts": [{"name": "data", "from": "{{tasks.producer.outputs.artifacts.out}}"}]
        },
    )
    with pytest.raises(UnsupportedField, match=r"tasks\[1\]\.arguments\.artifacts: not supported"):
        run([dag(task("producer", "pass"), consumer), container("pass")])


def test_an_input_artifact_is_refused_by_name() -> None:
    """The consumer of the same fixture declares `inputs.artifacts`; so do
    examples/global-outputs.yaml and test/e2e/functional/global-outputs-dag.yaml."""
    consume = container("consume", inputs={"artifacts": [{"name": "data", "path": "/tmp/in"}]})
    with pytest.raises(UnsupportedField, match=r"templates\[1\]\.inputs\.artifacts: not supported"):
        run([dag(task("consume")), consume])


def test_an_output_read_by_an_expression_is_refused_by_name() -> None:
    """examples/skipped-output-defaults/expression-fallback.yaml (`TestExampleWorkflows`)
    aggregates a skipped output with `valueFrom.expression` and `??`; the compiled objects
    read outputs only through `{{...}}` tags."""
    main = dag(task("producer", "pass", when="false"))
    main["outputs"] = {
        "parameters": [{"name": "result", "valueFrom": {"expression": "tasks.producer ?? 'x'"}}]
    }
    with pytest.raises(UnsupportedField, match=r"valueFrom\.expression: not supported"):
        run([main, container("pass")])


# -- suspend ----------------------------------------------------------------------------------


def approval(default: str | None = None, duration: str = "") -> dict[str, Any]:
    """A suspend template with one supplied output, `message`."""
    source: dict[str, Any] = {"supplied": {}}
    if default is not None:
        source["default"] = default
    return {
        "name": "approve",
        "suspend": {"duration": duration} if duration else {},
        "outputs": {"parameters": [{"name": "message", "valueFrom": source}]},
    }


def approve_then_release(approve: dict[str, Any], answer: list[Answer]) -> Any:
    """The shape of the suspend tests: approve, then release reading approve's output."""
    return run(
        [
            dag(
                task("approve"),
                task(
                    "release",
                    "say",
                    depends="approve",
                    **passing("message", "{{tasks.approve.outputs.parameters.message}}"),
                ),
            ),
            approve,
            takes("say", "message"),
        ],
        approve=answer,
    )


def test_an_expired_suspend_gives_its_outputs_default_to_the_next_task() -> None:
    """test/e2e/suspend_test.go `TestSuspendNodeTimeoutWithDefaultValue`: a suspend of 5s whose
    supplied output has a default: the Workflow Succeeded, the approve node Succeeded with that
    default as its one output, release Succeeded with it as its one input (operator.go
    `executeSuspend`, workflow/util/util.go `OverrideOutputParametersWithDefault`)."""
    workflow, _ = approve_then_release(
        approval(default="default message", duration="5s"), [Answer("expire")]
    )
    assert workflow["status"]["phase"] == "Succeeded"
    approve = node_named(workflow, "approve")
    assert approve["phase"] == "Succeeded"
    assert approve["outputs"]["parameters"] == [{"name": "message", "value": "default message"}]
    assert phase_of(workflow, "release") == "Succeeded"
    assert inputs_of(workflow, "release") == {"message": "default message"}


def test_an_expired_suspend_without_a_default_errors() -> None:
    """test/e2e/suspend_test.go `TestSuspendNodeTimeoutWithoutDefaultValue`: no default, so
    the expired node errors with `OverrideOutputParametersWithDefault`'s message, wrapped by
    dag.go `executeDAGTask`; release never runs. (Upstream's steps end Failed; in a DAG the
    Error branch makes the Workflow Error.)"""
    workflow, executor = approve_then_release(approval(duration="5s"), [Answer("expire")])
    approve = node_named(workflow, "approve")
    assert approve["phase"] == "Error"
    assert approve["message"] == (
        "task 'wf.approve' errored: raw output parameter 'message' has not been set and does "
        "not have a default value"
    )
    assert executor.ran() == []
    assert workflow["status"]["phase"] == "Error"


def test_set_answers_a_supplied_output_once_and_only_where_one_is_expected() -> None:
    """test/e2e/cli_test.go `TestArgoSetOutputs`: `argo node set` of approve's output works
    once, then says `it was already set`; on a suspend without outputs it says `node is not
    expecting any raw parameters`; after the resume release gets the value and the Workflow
    Succeeds (workflow/util/util.go `updateSuspendedNode`). Its first step, a workflow-wide
    `argo resume` before any set, is not re-expressed: idp approve and idp local resume the
    node (`--node-field-selector`)."""
    refused: list[str] = []

    def answer(node: Node, view: object) -> Answer:
        if node["displayName"] == "approve-no-vars":
            try:
                set_outputs(node, {"message": "Hello, World!"})
            except ValueError as exc:
                refused.append(str(exc))
            return Answer("resume")
        set_outputs(node, {"message": "Hello, World!"})
        try:
            set_outputs(node, {"message": "Hello, World!"})
        except ValueError as exc:
            refused.append(str(exc))
        return Answer("resume")

    workflow_object, template = workflow_of(
        [
            dag(
                task("approve"),
                task("approve-no-vars", "bare"),
                task(
                    "release",
                    "say",
                    depends="approve && approve-no-vars",
                    **passing("message", "{{tasks.approve.outputs.parameters.message}}"),
                ),
            ),
            approval(),
            {"name": "bare", "suspend": {}},
            takes("say", "message"),
        ]
    )
    workflow = Controller(
        workflow_object, template, executor=Scripted(), approver=answer, clock=FakeClock()
    ).run()
    assert sorted(refused) == [
        "cannot set output parameter 'message' because it does not use valueFrom.raw or it was "
        "already set",
        "cannot set output parameters because node is not expecting any raw parameters",
    ]
    assert workflow["status"]["phase"] == "Succeeded"
    assert inputs_of(workflow, "release") == {"message": "Hello, World!"}


def test_a_suspended_task_holds_back_its_dependents_until_resumed() -> None:
    """test/e2e/functional/suspend-dag-template.yaml (no e2e test runs it), as
    workflow/controller/operator_test.go `TestSuspendTemplate` asserts for steps: no pod after
    the suspend until it is resumed, then the next one."""
    before: list[list[str]] = []

    def resume(node: Node, view: object) -> Answer:
        before.append(sorted(executor.ran()))
        return Answer("resume")

    workflow_object, template = workflow_of(
        [
            dag(
                task("build", "pass"),
                task("test", "pass", dependencies=["build"]),
                task("approve", "wait", dependencies=["build"]),
                task("release", "pass", dependencies=["approve", "test"]),
            ),
            container("pass"),
            {"name": "wait", "suspend": {}},
        ]
    )
    executor = Scripted()
    workflow = Controller(
        workflow_object, template, executor=executor, approver=resume, clock=FakeClock()
    ).run()
    assert before == [["pass", "pass"]]
    assert executor.ran() == ["pass", "pass", "pass"]
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_suspend_without_duration_waits_for_resume_and_one_with_seconds_for_them() -> None:
    """test/e2e/functional/suspend-template.yaml (examples/suspend-template.yaml, labelled
    no-test: it needs someone to resume it), as a DAG: build, an approval without duration
    (waits until resumed), a delay of "20" (bare seconds, pkg/apis/workflow/v1alpha1
    `ParseStringToDuration`; operator.go `executeSuspend` resumes it once they pass), release:
    each suspend Succeeds in turn and release runs after the 20 seconds."""
    clock = FakeClock()
    started = clock.now()
    workflow, executor = run(
        [
            dag(
                task("build", "hello-world"),
                task("approve", dependencies=["build"]),
                task("delay", dependencies=["approve"]),
                task("release", "hello-world", dependencies=["delay"]),
            ),
            {"name": "approve", "suspend": {}},
            {"name": "delay", "suspend": {"duration": "20"}},
            container("hello-world"),
        ],
        approve=[Answer("resume"), Answer("expire")],
        clock=clock,
    )
    assert [phase_of(workflow, name) for name in ("approve", "delay")] == ["Succeeded"] * 2
    assert executor.ran() == ["hello-world", "hello-world"]
    assert 20 < clock.now() - started < 30  # seconds, not minutes
    assert workflow["status"]["phase"] == "Succeeded"


# -- global outputs ---------------------------------------------------------------------------


def test_a_global_output_is_read_by_a_later_task_and_the_exit_handler() -> None:
    """test/e2e/functional/global-outputs-dag.yaml (no e2e test names it; the same as
    examples/global-outputs.yaml, which `TestExampleWorkflows` runs to Succeeded), its
    parameter half: `globalName` makes the output `workflow.outputs.parameters.<name>`,
    readable by the task after it and by the exit handler, and recorded in the Workflow's
    outputs (operator.go `addParamToGlobalScope`, as workflow/controller/operator_test.go
    `TestAddGlobalParamToScope` asserts)."""
    generate = container(
        "global-output",
        outputs={
            "parameters": [
                {
                    "name": "hello-param",
                    "globalName": "my-global-param",
                    "valueFrom": {"path": "/tmp/hello_world.txt"},
                }
            ]
        },
    )
    consume = container("consume-global-param")
    consume["container"]["args"] = ["{{workflow.outputs.parameters.my-global-param}}"]
    workflow, executor = run(
        [
            dag(
                task("generate", "global-output"),
                task("consume", "consume-global-param", dependencies=["generate"]),
            ),
            generate,
            consume,
        ],
        {"global-output": Ending(outputs={"hello-param": "hello world"})},
        on_exit="consume-global-param",
    )
    read = [s.template["container"]["args"] for s in executor.started[1:]]
    assert read == [["hello world"], ["hello world"]]
    assert workflow["status"]["outputs"]["parameters"] == [
        {"name": "my-global-param", "value": "hello world"}
    ]
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_global_name_can_come_from_an_input() -> None:
    """test/e2e/functional/global-outputs-variable.yaml (no e2e test names it): the template's
    `globalName` is `{{inputs.parameters.globalname}}`, substituted with the template
    (workflow/common/util.go `SubstituteParams`) before the output is published."""
    generate = container(
        "global-output",
        inputs={"parameters": [{"name": "globalname"}]},
        outputs={
            "parameters": [
                {
                    "name": "hello-param",
                    "globalName": "{{inputs.parameters.globalname}}",
                    "valueFrom": {"path": "/tmp/hello_world.txt"},
                }
            ]
        },
    )
    workflow, _ = run(
        [
            dag(task("generate", "global-output", **passing("globalname", "my-global-param"))),
            generate,
        ],
        {"global-output": Ending(outputs={"hello-param": "hello world"})},
    )
    assert workflow["status"]["outputs"]["parameters"] == [
        {"name": "my-global-param", "value": "hello world"}
    ]


# -- retryStrategy ----------------------------------------------------------------------------


def test_a_retry_limit_of_zero_runs_once_and_fails_with_no_more_retries() -> None:
    """test/e2e/retry_test.go `TestRetryLimit`: the entrypoint retried with limit 0 and a
    backoff: the Workflow Failed with `No more retries left`; the root node a Retry node,
    Failed, without node flags; its one attempt `(0)` Failed, flagged retried."""
    retry = {"limit": 0, "backoff": {"duration": "2s", "factor": 2, "maxDuration": "5m"}}
    workflow, executor = run(
        [container("main", retryStrategy=retry)], {"main": Ending("Failed", message="exit 1")}
    )
    assert workflow["status"]["phase"] == "Failed"
    assert workflow["status"]["message"] == "No more retries left"
    root = node_named(workflow, "wf")
    assert (root["phase"], root["type"], root.get("nodeFlag")) == ("Failed", "Retry", None)
    attempt = node_named(workflow, "wf(0)")
    assert (attempt["phase"], attempt["nodeFlag"]) == ("Failed", {"retried": True})
    assert executor.ran() == ["main"]


@pytest.mark.parametrize("limit", ["10", 10])
def test_a_backoff_stops_the_retries_at_its_max_duration(limit: object) -> None:
    """test/e2e/retry_test.go `TestRetryBackoff`: limit 10, a 10s backoff, maxDuration 1m, a
    step that always fails: the Workflow Failed with at most 10 nodes (operator.go
    `processNodeRetries`); the limit as a string or a number."""
    retry = {"limit": limit, "backoff": {"duration": "10s", "maxDuration": "1m"}}
    workflow, _ = run([container("main", retryStrategy=retry)], {"main": Ending("Failed")})
    assert workflow["status"]["phase"] == "Failed"
    assert len(workflow["status"]["nodes"]) <= 10


def test_a_retried_container_that_comes_through_succeeds() -> None:
    """examples/retry-container.yaml, run to Succeeded by `TestExampleWorkflows`: with limit
    10 a step failing twice then passing ends Succeeded after three attempts."""
    workflow, executor = run(
        [container("main", retryStrategy={"limit": "10"})],
        {"main": [Ending("Failed"), Ending("Failed"), Ending()]},
    )
    assert executor.ran() == ["main"] * 3
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_workflow_level_retry_strategy_is_refused_by_name() -> None:
    """test/e2e/testdata/retry-on-error-workflow.yaml (`TestWorkflowLevelErrorRetryPolicy`)
    sets `spec.retryStrategy`; the compiled objects retry templates only."""
    with pytest.raises(UnsupportedField, match=r"spec\.retryStrategy: not supported"):
        run([container("main")], spec={"retryStrategy": {"limit": 1, "retryPolicy": "OnError"}})


# -- the exit handler -------------------------------------------------------------------------


def exit_args(*args: str, name: str = "exit-handler") -> dict[str, Any]:
    """A container template with these args (to see what the controller substituted)."""
    handler = container(name)
    handler["container"]["args"] = list(args)
    return handler


def test_the_exit_handler_reads_the_failed_nodes_as_go_quoted_json() -> None:
    """workflow/controller/operator_test.go `TestStepsOnExitFailures`: the entrypoint fails
    with `Pod failed`; `workflow.failures` holds `[{"displayName":"<workflow>","message":
    "Pod failed","templateName":"intentional-fail","phase":"Failed","podName":"<workflow>"...`
    (operator.go `operate`, `failedNodeStatus` through strconv.Quote)."""
    _, executor = run(
        [container("intentional-fail"), exit_args("{{workflow.status}}", "{{workflow.failures}}")],
        {"intentional-fail": Ending("Failed", message="Pod failed")},
        entrypoint="intentional-fail",
        on_exit="exit-handler",
    )
    status, failures = executor.started[-1].template["container"]["args"]
    assert status == "Failed"
    assert failures.startswith(
        '"[{\\"displayName\\":\\"wf\\",\\"message\\":\\"Pod failed\\",\\"templateName\\":'
        '\\"intentional-fail\\",\\"phase\\":\\"Failed\\",\\"podName\\":\\"wf\\"'
    )


def test_with_nothing_failed_the_failures_are_null() -> None:
    """operator.go `operate`: json.Marshal of the failures' nil slice is `null`, quoted; with
    it `workflow.status` is Succeeded."""
    _, executor = run(
        [container("pass"), exit_args("{{workflow.status}}", "{{workflow.failures}}")],
        entrypoint="pass",
        on_exit="exit-handler",
    )
    status, failures = executor.started[-1].template["container"]["args"]
    assert (status, failures, go_unquote(failures)) == ("Succeeded", '"null"', "null")


def test_an_exit_handler_dag_picks_its_branch_by_workflow_status() -> None:
    """examples/exit-handlers.yaml (labelled no-test: it fails on purpose), as a DAG: after a
    failed entrypoint the exit handler's task for `{{workflow.status}} != Succeeded` runs, the
    one for `== Succeeded` is Skipped, the notice gets the failures; the Workflow Failed."""
    handler = dag(
        task("notify", "send-email"),
        task("celebrate", "pass", when="{{workflow.status}} == Succeeded"),
        task("cry", "pass", when="{{workflow.status}} != Succeeded"),
        name="exit-handler",
    )
    workflow, executor = run(
        [
            container("intentional-fail"),
            handler,
            exit_args(
                "{{workflow.name}} {{workflow.status}}", "{{workflow.failures}}", name="send-email"
            ),
            container("pass"),
        ],
        {"intentional-fail": Ending("Failed", message="Error (exit code 1)")},
        entrypoint="intentional-fail",
        on_exit="exit-handler",
    )
    assert (phase_of(workflow, "celebrate"), phase_of(workflow, "cry")) == ("Skipped", "Succeeded")
    sent = next(s for s in executor.started if s.template["name"] == "send-email")
    told, failures = sent.template["container"]["args"]
    assert told == "wf Failed"
    assert [n["templateName"] for n in json.loads(go_unquote(failures))] == ["intentional-fail"]
    assert workflow["status"]["phase"] == "Failed"


def test_an_exit_handler_of_a_workflow_template_runs_and_the_workflow_succeeds() -> None:
    """test/e2e/functional_test.go `TestWorkflowTemplateRefWithExitHandler`
    (test/e2e/testdata/workflow-template-ref-exithandler.yaml over
    test/e2e/smoke/workflow-template-whalesay-template.yaml): a Workflow made from a
    WorkflowTemplate with `onExit` and a `message` argument: Succeeded, no message."""
    say = takes("whalesay-template", "message")
    workflow, executor = run(
        [say, container("on-exit")],
        entrypoint="whalesay-template",
        on_exit="on-exit",
        arguments=[{"name": "message", "value": "hello world"}],
    )
    assert executor.started[0].template["container"]["args"] == ["hello world"]
    assert executor.ran() == ["whalesay-template", "on-exit"]
    assert workflow["status"]["phase"] == "Succeeded"
    assert "message" not in workflow["status"]


# -- withParam --------------------------------------------------------------------------------


def generate_then_sleep(listed: str) -> Any:
    return run(
        [
            dag(
                task("generate", "gen-number-list"),
                task(
                    "sleep",
                    "sleep-n-sec",
                    dependencies=["generate"],
                    withParam="{{tasks.generate.outputs.parameters.numbers}}",
                    **passing("seconds", "{{item}}"),
                ),
            ),
            emits("gen-number-list", "numbers"),
            takes("sleep-n-sec", "seconds"),
        ],
        {"gen-number-list": Ending(outputs={"numbers": listed})},
    )


def test_an_empty_list_from_an_output_skips_the_expanded_task() -> None:
    """test/e2e/functional/dag-empty-param.yaml, asserted by test/e2e/functional_test.go
    `TestDAGEmptyParam`: the list is `[]`, so the Workflow Succeeded with 3 nodes, the expanded
    task Skipped with `Skipped, empty params` (dag.go `executeDAGTask`); `TestLoopEmptyParam`
    asserts the same of test/e2e/functional/loops-empty-param.yaml's steps."""
    workflow, _ = generate_then_sleep("[]")
    assert workflow["status"]["phase"] == "Succeeded"
    assert len(workflow["status"]["nodes"]) == 3
    sleep = node_named(workflow, "sleep")
    assert (sleep["phase"], sleep["message"]) == ("Skipped", "Skipped, empty params")


def test_a_list_from_an_output_runs_one_node_per_item() -> None:
    """examples/loops-param-result.yaml (labelled no-test for its duration), as a DAG with the
    list in an output parameter: one node per number, `sleep(<index>:<number>)`, each given
    its item (dag.go `expandTask`)."""
    workflow, executor = generate_then_sleep(json.dumps(list(range(20, 23))))
    for index, seconds in enumerate(range(20, 23)):
        assert inputs_of(workflow, f"sleep({index}:{seconds})") == {"seconds": str(seconds)}
    assert executor.ran().count("sleep-n-sec") == 3
    assert workflow["status"]["phase"] == "Succeeded"


def test_with_items_is_refused_by_name() -> None:
    """test/e2e/functional/param-aggregation.yaml (`TestParameterAggregation`) and
    examples/parallelism-limit.yaml expand `withItems`; the compiled objects expand only
    `withParam`."""
    expanded = task("sleep", "pass", withItems=["a", "b"])
    with pytest.raises(UnsupportedField, match=r"tasks\[0\]\.withItems: not supported"):
        run([dag(expanded), container("pass")])


# -- parallelism ------------------------------------------------------------------------------


def test_a_dags_parallelism_holds_back_its_other_tasks() -> None:
    """workflow/controller/operator_test.go `TestDAGTemplateParallelismLimit` (no e2e test
    asserts a DAG's limit alone): five independent tasks under `parallelism: 2` never have
    more than two pods at once (operator.go `checkParallelism`)."""
    main = dag(*(task(name, "sleep") for name in "abcde"))
    main["parallelism"] = 2
    workflow, executor = run([main, container("sleep")])
    assert executor.peak == 2
    assert executor.ran() == ["sleep"] * 5
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_templates_fail_fast_with_parallelism_is_refused_by_name() -> None:
    """test/e2e/expectedfailures/parallelism-dag-fail-fast.yaml
    (`TestWorkflowParallelismDAGFailFast`) sets a template's `failFast: true`; the compiled
    objects leave it unset and idp local does not implement it."""
    main = dag(task("task1", "pass"), task("task2", "pass"))
    main.update(parallelism=2, failFast=True)
    with pytest.raises(UnsupportedField, match=r"templates\[0\]\.failFast: idp local runs only"):
        run([main, container("pass")])


def test_a_workflows_parallelism_is_refused_by_name() -> None:
    """examples/parallelism-limit.yaml limits the whole Workflow (`spec.parallelism`); the
    compiled objects limit a DAG only."""
    with pytest.raises(UnsupportedField, match=r"spec\.parallelism: not supported"):
        run([dag(task("a", "pass")), container("pass")], spec={"parallelism": 2})


# -- mutexes ----------------------------------------------------------------------------------


def test_items_on_a_template_mutex_wait_for_it_then_succeed() -> None:
    """test/e2e/synchronization/mutex-tmpl-level.yaml, asserted by test/e2e/semaphore_test.go
    `TestTemplateLevelMutex` (waiting on a mutex, then Succeeded), as a DAG: two items of each
    of two templates, each template on its own mutex; the second item of each waits, at most
    two pods run at once."""
    seen: list[tuple[str, str, str]] = []
    locked = {
        name: {**container(name), "synchronization": {"mutexes": [{"name": mutex}]}}
        for name, mutex in (("acquire-lock", "welcome"), ("acquire-lock-1", "test"))
    }
    workflow, executor = run(
        [
            dag(
                task("lock", "acquire-lock", withParam='["1","2"]'),
                task("lock-1", "acquire-lock-1", withParam='["1","2"]'),
            ),
            *locked.values(),
        ],
        seen=seen,
    )
    waiting = {name for name, phase, message in seen if message.startswith("Waiting for")}
    assert waiting == {"lock(1:2)", "lock-1(1:2)"}
    assert executor.peak == 2
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_workflow_waits_for_its_mutex_held_by_another_then_succeeds(tmp_path: Path) -> None:
    """test/e2e/synchronization/mutex-wf-level.yaml after mutex-wf-level-1.yaml, asserted by
    test/e2e/semaphore_test.go `TestSynchronizationWfLevelMutex`: the second Workflow on the
    mutex `test` waits for it, then Succeeded (examples/synchronization-mutex-wf-level.yaml,
    `TestExampleWorkflows`, alone Succeeds)."""
    first = FileLocks(tmp_path, waiting=lambda key: None).hold(lock_key("test", "test"))
    waited: list[str] = []

    def first_ends(key: str) -> None:
        waited.append(key)
        first.close()

    workflow, _ = run(
        [container("main")],
        spec={"synchronization": {"mutexes": [{"name": "test"}]}},
        locks=FileLocks(tmp_path, waiting=first_ends),
    )
    assert waited == ["test/Mutex/test"]
    assert workflow["status"]["phase"] == "Succeeded"


# -- failFast ---------------------------------------------------------------------------------


def test_without_fail_fast_the_other_branch_runs_to_its_end_then_the_dag_fails() -> None:
    """examples/dag-disable-failFast.yaml (labelled no-test: it fails on purpose) and
    workflow/controller/dag_test.go `TestDagDisableFailFast` (testdata/dag-disable-fail-fast
    .yaml: the Workflow Failed): C fails after its retries, yet B, D and E, after A, all run;
    then the DAG, and the Workflow, Failed (dag.go `assessDAGPhase`)."""
    main = dag(
        task("A", "a"),
        task("B", "b", depends="A"),
        task("C", "c", depends="A"),
        task("D", "d", depends="B"),
        task("E", "d", depends="D"),
    )
    main["dag"]["failFast"] = False
    workflow, _ = run(
        [
            main,
            container("a"),
            container("b", retryStrategy={"limit": "2"}),
            container("c", retryStrategy={"limit": "3"}),
            container("d"),
        ],
        {"c": Ending("Failed", message="Error (exit code 2)")},
    )
    assert node_named(workflow, "C")["message"] == "No more retries left"
    assert [phase_of(workflow, name) for name in "ABCDE"] == [
        "Succeeded",
        "Succeeded",
        "Failed",
        "Succeeded",
        "Succeeded",
    ]
    assert workflow["status"]["phase"] == "Failed"


# -- labelsFrom -------------------------------------------------------------------------------


def test_labels_from_an_expression_over_a_parameter() -> None:
    """The Workflow inlined in test/e2e/functional_test.go `TestWorkflowMetadataLabelsFrom`
    (and examples/label-value-from-workflow.yaml): `labelsFrom` `my-label` with the expression
    `workflow.parameters.foo` and foo=bar: the Workflow Succeeded, labelled my-label=bar
    (operator.go `updateWorkflowMetadata`)."""
    spec = {
        "workflowMetadata": {"labelsFrom": {"my-label": {"expression": "workflow.parameters.foo"}}}
    }
    workflow, _ = run([container("main")], spec=spec, arguments=[{"name": "foo", "value": "bar"}])
    assert workflow["metadata"]["labels"]["my-label"] == "bar"
    assert workflow["status"]["phase"] == "Succeeded"


def test_an_expression_tag_anywhere_is_refused_before_the_run() -> None:
    """workflow/controller/dag_test.go `TestDAGSkippedInlineExpressionFallback` passes
    `{{= ... ?? ...}}` as an argument; idp local evaluates no expression tag, wherever it is."""
    consumer = task(
        "consumer", "pass", **passing("in", "{{= tasks.producer.outputs.parameters.msg ?? 'x'}}")
    )
    with pytest.raises(
        UnsupportedField, match=r"tasks\[0\]\.arguments\.parameters\[0\]\.value: the expression tag"
    ):
        run([dag(consumer), takes("pass", "in")])
