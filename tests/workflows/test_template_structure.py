"""The provisioning WorkflowTemplates: approval, gating, artifact hand-over, guards."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from idp import labels
from idp.catalog import DEFAULT_CATALOG, argument_defaults
from idp.compile import build
from idp.contract import FORBIDDEN_MARKS, FieldRule, field_rules
from idp.manifests import Manifest
from idp.settings import Settings

KINDS = sorted(DEFAULT_CATALOG)


def template_of(manifests: list[Manifest], kind: str) -> Manifest:
    (found,) = [
        m
        for m in manifests
        if m["kind"] == "WorkflowTemplate" and m["metadata"]["name"] == f"{kind}-provision-workflow"
    ]
    return found


def templates_by_name(wt: Manifest) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in wt["spec"]["templates"]}


def tasks_by_name(wt: Manifest) -> dict[str, dict[str, Any]]:
    dag = templates_by_name(wt)[wt["spec"]["entrypoint"]]["dag"]
    return {t["name"]: t for t in dag["tasks"]}


@pytest.fixture(params=KINDS)
def wt(request: pytest.FixtureRequest, manifests: list[Manifest]) -> Manifest:
    return template_of(manifests, request.param)


def test_plan_approve_and_apply_templates_exist(wt: Manifest) -> None:
    assert {"plan", "approve", "apply"} <= set(templates_by_name(wt))


def test_arguments_are_the_request_fields_then_the_whole_request(wt: Manifest) -> None:
    kind = wt["metadata"]["name"].removesuffix("-provision-workflow")
    parameters = wt["spec"]["arguments"]["parameters"]
    defaults = argument_defaults(DEFAULT_CATALOG[kind])
    assert [p["name"] for p in parameters] == [*defaults, "request"]
    for parameter in parameters[:-1]:
        assert parameter.get("value") == defaults[parameter["name"]]


def test_the_dag_is_plan_then_approve_then_apply_with_the_notice_beside_the_approval(
    wt: Manifest,
) -> None:
    tasks = tasks_by_name(wt)
    assert list(tasks) == ["plan", "notify-approvers", "approve", "apply"]
    assert "depends" not in tasks["plan"]
    assert tasks["approve"]["depends"] == tasks["notify-approvers"]["depends"] == "plan.Succeeded"
    assert tasks["apply"]["depends"] == "plan.Succeeded && (approve.Succeeded || approve.Skipped)"


def test_a_yes_request_runs_three_pods_one_after_another(wt: Manifest) -> None:
    """plan, apply and the exit handler are containers; the approval is a suspend node (no pod);
    the approvers' notice depends on plan only, so nothing waits for it."""
    templates = templates_by_name(wt)
    tasks = tasks_by_name(wt)
    critical = ["plan", "approve", "apply"]
    pods = [name for name in critical if "container" in templates[tasks[name]["template"]]]
    assert pods == ["plan", "apply"]
    assert "container" in templates[wt["spec"]["onExit"]]
    assert not any("notify-approvers" in (t.get("depends") or "") for t in tasks.values())


def test_no_task_reads_an_output_of_a_task_that_can_be_skipped_or_omitted(wt: Manifest) -> None:
    """How a Skipped or Omitted task's outputs resolve changed between patch releases
    (workflow/controller/scope.go, `addSkippedNodeOutputsToScope`, from v4.0.7): only plan's
    outputs are read, and plan has neither `when` nor `depends`."""
    tasks = tasks_by_name(wt)
    can_be_skipped = {name for name, task in tasks.items() if "when" in task or "depends" in task}
    for task in tasks.values():
        read = set(re.findall(r"tasks\.([A-Za-z0-9-]+)\.", json.dumps(task)))
        assert not read & can_be_skipped, task["name"]
    assert can_be_skipped == {"notify-approvers", "approve", "apply"}


def test_every_when_compares_the_plans_decision_with_a_constant(wt: Manifest) -> None:
    """No expression and no request value reaches govaluate (workflow/controller/steps.go,
    `shouldExecute`): the only `when`s compare the word the plan program wrote."""
    whens = {name: task.get("when") for name, task in tasks_by_name(wt).items()}
    assert whens == {
        "plan": None,
        "notify-approvers": "{{tasks.plan.outputs.parameters.next}} == approve",
        "approve": "{{tasks.plan.outputs.parameters.next}} == approve",
        "apply": "{{tasks.plan.outputs.parameters.next}} != done",
    }
    assert "{{=" not in json.dumps(wt["spec"]["templates"])


def test_approval_is_a_suspend_with_a_yes_no_choice_defaulting_to_no(wt: Manifest) -> None:
    approve = templates_by_name(wt)["approve"]
    assert approve["suspend"]["duration"] == "24h"
    (choice,) = [p for p in approve["inputs"]["parameters"] if p["name"] == "approve"]
    assert (choice["enum"], choice["default"]) == (["YES", "NO"], "NO")


def test_an_expired_approval_leaves_an_answer_no_person_gives(wt: Manifest) -> None:
    """On expiry every supplied output takes its own default (operator.go `executeSuspend`,
    workflow/util/util.go `OverrideOutputParametersWithDefault`); an explicit one, so the
    input-default fallback (`addRawOutputFields`, only from v4.0.1) is never needed."""
    outputs = {p["name"]: p for p in templates_by_name(wt)["approve"]["outputs"]["parameters"]}
    assert outputs["approve"]["valueFrom"] == {"supplied": {}, "default": "EXPIRED"}
    assert outputs["approve"]["globalName"] == "approval"


def test_every_input_the_argo_ui_sends_back_is_a_supplied_output_with_a_default(
    wt: Manifest,
) -> None:
    """The Argo UI sets every input of a suspend node as an output (ui/src/workflows/components/
    workflow-details/workflow-details.tsx, `getInputParametersForNode` and
    `updateOutputParametersForNodeIfRequired`); the server refuses an output the node does not
    expect (workflow/util/util.go, `updateSuspendedNode`); expiry needs a default for each."""
    approve = templates_by_name(wt)["approve"]
    inputs = [p["name"] for p in approve["inputs"]["parameters"]]
    outputs = {p["name"]: p["valueFrom"] for p in approve["outputs"]["parameters"]}
    assert set(inputs) == set(outputs)
    assert all("supplied" in v and "default" in v for v in outputs.values())


def test_approval_node_shows_the_plan_its_changes_the_findings_the_cost_and_sha256(
    wt: Manifest,
) -> None:
    arguments = {
        p["name"]: p["value"] for p in tasks_by_name(wt)["approve"]["arguments"]["parameters"]
    }
    assert arguments == {
        "summary": "{{tasks.plan.outputs.parameters.summary}}",
        "changes": "{{tasks.plan.outputs.parameters.changes}}",
        "policy": "{{tasks.plan.outputs.parameters.findings}}",
        "cost": "{{tasks.plan.outputs.parameters.cost}}",
        "sha256": "{{tasks.plan.outputs.parameters.sha256}}",
    }


def test_the_plan_program_runs_policy_with_the_platforms_policies(wt: Manifest) -> None:
    args = templates_by_name(wt)["plan"]["container"]["args"]
    assert args[0] == "plan"
    assert args[args.index("--policies") + 1] == "/opt/idp/policies"


def test_every_depends_names_the_result_it_needs(wt: Manifest) -> None:
    """A bare name also accepts Skipped (workflow/common/ancestry.go, `expandDependency`)."""
    for task in tasks_by_name(wt).values():
        words = re.findall(r"[A-Za-z0-9_.-]+", task.get("depends", ""))
        assert all("." in word for word in words), task["name"]


def test_apply_gets_the_approved_sha256_the_plans_decision_and_the_recorded_answer(
    wt: Manifest,
) -> None:
    task = tasks_by_name(wt)["apply"]["arguments"]
    assert "artifacts" not in task  # the plan waits beside the state (workflows.steps.planstore)
    assert task["parameters"] == [
        {"name": "sha256", "value": "{{tasks.plan.outputs.parameters.sha256}}"},
        {"name": "next", "value": "{{tasks.plan.outputs.parameters.next}}"},
    ]
    args = templates_by_name(wt)["apply"]["container"]["args"]
    assert args[args.index("--sha256") + 1] == "{{inputs.parameters.sha256}}"
    assert args[args.index("--next") + 1] == "{{inputs.parameters.next}}"
    assert args[args.index("--approval") + 1] == "{{workflow.outputs.parameters.approval}}"


def test_apply_and_finish_read_the_approver_from_the_workflows_labels(
    wt: Manifest,
) -> None:
    for name in ("apply", "finish"):
        args = templates_by_name(wt)[name]["container"]["args"]
        assert args[args.index("--labels") + 1] == "{{workflow.labels.json}}", name


def test_no_tag_names_a_label_the_workflow_lacks_when_created(wt: Manifest) -> None:
    # workflow/validate/validate.go, `resolveAllVariables`: a simple tag must resolve against
    # the labels known at validation (`ValidateWorkflow` puts each in scope, and
    # `workflow.labels.json`); the approver's labels come later, set by the Argo Server.
    known = set((wt["spec"].get("workflowMetadata") or {}).get("labels") or {})
    known |= set((wt["spec"].get("workflowMetadata") or {}).get("labelsFrom") or {})
    text = json.dumps(wt["spec"]["templates"])
    named = set(re.findall(r"\{\{\s*workflow\.labels\.([^}\s]+)\s*\}\}", text))
    assert named <= known | {"json"}


def test_plan_publishes_its_json_text_policy_and_cost_reports_and_no_plan_file(
    wt: Manifest,
) -> None:
    outputs = templates_by_name(wt)["plan"]["outputs"]
    assert [a["name"] for a in outputs["artifacts"]] == [
        "plan-json",
        "plan-text",
        "policy-report",
        "cost-report",
    ]
    assert [p["name"] for p in outputs["parameters"]] == [
        "phases",
        "has_changes",
        "summary",
        "changes",
        "sha256",
        "findings",
        "cost",
        "waived",
        "next",
    ]


def test_one_mutex_per_stack(wt: Manifest) -> None:
    kind = wt["metadata"]["name"].removesuffix("-provision-workflow")
    assert wt["spec"]["synchronization"]["mutexes"] == [
        {"name": f"{kind}-{{{{workflow.parameters.environment}}}}-{{{{workflow.parameters.name}}}}"}
    ]


def test_every_container_step_is_locked_down(wt: Manifest) -> None:
    assert wt["spec"]["securityContext"]["runAsNonRoot"] is True
    for template in wt["spec"]["templates"]:
        if "container" not in template:
            continue
        context = template["container"]["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert template["activeDeadlineSeconds"] > 0


# Arguments may carry only request fields whose contract pattern admits no `$(`, `{{` or
# space (Kubernetes expands `$(VAR)` in args): the notices' identity, the action's word, and
# the stack (environment, name) whose waiting plan the exit handler removes. The environment is
# no safer: Kubernetes expands `$(VAR)` in env values too, against the container's variables
# (the platform's Secret among them), so the request reaches it only because the contract
# refuses `$` in every string (test_an_env_value_from_a_request_field_admits_no_dollar).
IDENTITY_ARGUMENTS = {"request_id", "requester_email", "action", "environment", "name"}


def test_request_values_reach_steps_only_through_the_environment(wt: Manifest) -> None:
    for template in wt["spec"]["templates"]:
        container = template.get("container")
        if container is None:
            continue
        assert container["command"] == ["python", "-m", "workflows.steps"]
        named = {
            arg.removeprefix("{{workflow.parameters.").removesuffix("}}")
            for arg in container["args"]
            if arg.startswith("{{workflow.parameters.")
        }
        assert named <= IDENTITY_ARGUMENTS, template["name"]
        for variable in container["env"]:
            value = variable.get("value", "")
            if variable["name"] == "IDP_REQUEST":
                assert value == "{{workflow.parameters.request}}"
            elif "workflow.parameters" in value:  # only the validate phase's cross-check
                field = variable["name"].removeprefix("IDP_ARG_").lower()
                assert value == f"{{{{workflow.parameters.{field}}}}}"
                assert template["name"] == "plan"


def _admits_no_dollar(name: str, rule: FieldRule, settings: Settings) -> bool:
    """Whether the contract refuses every value of the field that holds a `$`."""
    if rule.type == "integer":
        return True
    allowed = tuple(settings.allowed_regions) if name == "region" else rule.choices
    if allowed:
        return not any("$" in value for value in allowed)
    return rule.no_templating and "$" in FORBIDDEN_MARKS


def test_an_env_value_from_a_request_field_admits_no_dollar(
    manifests: list[Manifest], settings: Settings
) -> None:
    """Kubernetes expands `$(VAR)` in an env value when VAR is defined in the container, its
    envFrom Secret included, and turns `$$` into `$` (kubelet `makeEnvironmentVariables`,
    third_party/forked/golang/expansion): a request value in the env must admit no `$`. The
    whole request (IDP_REQUEST) is JSON of the contract's plain field names and its values."""
    templates = [m for m in manifests if m["kind"] == "WorkflowTemplate"]
    assert {t["metadata"]["name"] for t in templates} >= {f"{k}-preview-workflow" for k in KINDS}
    for wt in templates:
        rules = field_rules(DEFAULT_CATALOG[wt["metadata"]["labels"][labels.KIND]])
        for template in wt["spec"]["templates"]:
            for variable in (template.get("container") or {}).get("env") or []:
                for field in re.findall(
                    r"\{\{\s*workflow\.parameters\.([^}\s]+)\s*\}\}", variable.get("value", "")
                ):
                    named = list(rules) if field == "request" else [field]
                    for each in named:
                        assert _admits_no_dollar(each, rules[each], settings), (
                            f"{wt['metadata']['name']} {template['name']} {variable['name']}: "
                            f"{each}"
                        )


def test_the_plan_program_gets_every_argument_to_compare_with_the_request(
    wt: Manifest,
) -> None:
    env = templates_by_name(wt)["plan"]["container"]["env"]
    compared = [v["name"] for v in env if v["name"].startswith("IDP_ARG_")]
    arguments = [p["name"] for p in wt["spec"]["arguments"]["parameters"]]
    assert compared == [f"IDP_ARG_{name.upper()}" for name in arguments if name != "request"]


def test_only_the_notify_step_sees_the_notify_credentials(wt: Manifest, settings: Settings) -> None:
    for template in wt["spec"]["templates"]:
        if "container" not in template:
            continue
        secrets = {
            v["valueFrom"]["secretKeyRef"]["name"]
            for v in template["container"]["env"]
            if "valueFrom" in v
        }
        notices = ("notify-approvers", "finish")
        assert secrets == ({settings.notify_secret} if template["name"] in notices else set())


def test_no_retry_backs_off(manifests: list[Manifest]) -> None:
    """operator.go, `processNodeRetries`: a backoff is waited out before the retry policy is
    read, so a failed plan or an exit handler reporting an unfulfilled outcome (final, never
    retried) would end that much later."""
    for manifest in manifests:
        spec = (manifest.get("spec") or {}).get("workflowSpec") or manifest.get("spec") or {}
        for template in spec.get("templates") or []:
            assert "backoff" not in (template.get("retryStrategy") or {}), template["name"]


def test_only_the_steps_that_change_nothing_retry_and_only_on_errors(wt: Manifest) -> None:
    templates = templates_by_name(wt)
    assert "retryStrategy" not in templates["apply"]
    for name in ("plan", "notify-approvers", "finish"):
        assert templates[name]["retryStrategy"]["retryPolicy"] == "OnError"


def test_finished_pods_and_workflows_are_cleaned_up(wt: Manifest) -> None:
    assert wt["spec"]["podGC"]["strategy"] == "OnPodSuccess"
    assert wt["spec"]["ttlStrategy"]["secondsAfterSuccess"] > 0


def test_workflow_runs_as_its_own_service_account(wt: Manifest, settings: Settings) -> None:
    assert wt["spec"]["serviceAccountName"] == settings.workflow_service_account != "default"


def test_the_one_final_notice_comes_from_the_exit_handler_alone(wt: Manifest) -> None:
    """The exit handler runs once, after the entrypoint, whatever happened (operator.go,
    `operate`); a container there, so that its message is the Workflow's when it fails."""
    finish = templates_by_name(wt)[wt["spec"]["onExit"]]
    assert finish["container"]["args"][0] == "finish"
    notices = [t for t in tasks_by_name(wt).values() if t["template"].startswith("notify")]
    assert [t["name"] for t in notices] == ["notify-approvers"]


def test_the_approvers_notice_cannot_fail_the_run(wt: Manifest) -> None:
    """A leaf that continues on failure does not fail the DAG (dag.go, `assessDAGPhase`)."""
    assert tasks_by_name(wt)["notify-approvers"]["continueOn"] == {"failed": True, "error": True}


def test_executor_role_grants_only_task_results(
    manifests: list[Manifest], settings: Settings
) -> None:
    (role,) = [
        m
        for m in manifests
        if m["kind"] == "Role" and m["metadata"]["name"] == settings.workflow_service_account
    ]
    assert role["rules"] == [
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtaskresults"],
            "verbs": ["create", "patch"],
        }
    ]


@pytest.mark.parametrize("mode", ["secret-env", "secret-volume"])
def test_platform_secret_is_referenced_never_inlined(mode: str) -> None:
    settings = Settings.model_validate({"azure_auth": mode})
    wt = template_of(build(settings), "compute")
    plan = templates_by_name(wt)["plan"]["container"]
    if mode == "secret-env":
        assert {"secretRef": {"name": "platformsecrets"}} in plan["envFrom"]
    else:
        volumes = {v["name"]: v for v in wt["spec"]["volumes"]}
        assert volumes["platform-secret"]["secret"]["secretName"] == "platformsecrets"


def test_artifact_repository_configmap_matches_the_template_reference(
    manifests: list[Manifest], wt: Manifest
) -> None:
    ref = wt["spec"]["artifactRepositoryRef"]
    (configmap,) = [
        m
        for m in manifests
        if m["kind"] == "ConfigMap" and m["metadata"]["name"] == ref["configMap"]
    ]
    assert "azure:" in configmap["data"][ref["key"]]
