"""The `<kind>-provision-workflow` WorkflowTemplate: validate, preflight, plan, approve, apply.

Flow (an entrypoint DAG, then one exit handler):

    validate -> preflight -> plan -> policy -+-> approve -> apply -> verify -> report
                                             \\-> notify-approvers (may fail alone)
    onExit: finish (decides the outcome, sends the one final notice, records it)

Rules of the Argo controller (v4.1.2) this shape relies on, each held by a test:
- every `depends` names the result it needs (`plan.Succeeded`): a bare task name also accepts
  Skipped (`workflow/common/ancestry.go`, `expandDependency`), and a task whose `when` is false
  is Skipped (`workflow/controller/dag.go`, `executeDAGTask`), so after a NO a bare `apply`
  would let verify and report run;
- gates are expressions (`{{=...}}`), evaluated by expr before govaluate sees `true` or
  `false`: govaluate reads bare words as strings and skips the whitespace around them
  (`workflow/controller/steps.go`, `shouldExecute`), so `{{answer}} == YES` lets ` YES` through;
  the answer never reaches govaluate, and anything but exactly `YES` skips apply;
- the approval node's inputs are all mirrored as supplied outputs with defaults: the Argo UI
  sets every input of a suspend node as an output (`ui/.../workflow-details.tsx`), the server
  refuses an output the node does not expect (`workflow/util/util.go`, `updateSuspendedNode`),
  and on expiry every supplied output needs a default (`OverrideOutputParametersWithDefault`);
  the answer's default is `EXPIRED`, so an expiry is told from a NO by its value;
- the awaiting-approval notice continues on failure (`continueOn`), so a callback that is down
  does not fail the run; the exit handler is a container whose message becomes the Workflow's
  when the entrypoint succeeded (`operator.go`, `operate`), so a rejected or expired plan ends
  Failed with a message that says so.
"""

from __future__ import annotations

from typing import Any

from hera.workflows import (
    DAG,
    Artifact,
    Container,
    Env,
    Parameter,
    Suspend,
    Task,
    WorkflowTemplate,
)
from hera.workflows import models as m

from idp import labels
from idp.catalog import argument_defaults
from idp.contract import RequestBase
from idp.image import POLICIES_ROOT
from idp.manifests import PART_OF
from idp.settings import Settings
from workflows.pods import (
    INPUTS_DIR,
    MODULES_DIR,
    OUT_DIR,
    WORK_DIR,
    pod_security_context,
    step,
    volumes,
)
from workflows.steps.approver import LABELS_TAG
from workflows.steps.outcome import APPROVED, UNANSWERED
from workflows.steps.request import argument_env

ENTRYPOINT = "provision"
EXIT_HANDLER = "finish"
# The plan's JSON and text, sensitive values redacted; the binary plan is no artifact: it waits
# beside the state until applied (workflows.steps.planstore).
PLAN_ARTIFACTS = {"plan-json": "plan.json", "plan-text": "plan.txt"}
APPROVAL = "approve"
# What the approval node shows; each is also a supplied output (see the module docstring).
APPROVAL_SHOWS = ("summary", "changes", "policy", "sha256")
POLICY = "policy"
# Workflow outputs (globalName) the exit handler reads: plan facts, the answer, the outputs.
GLOBAL_HAS_CHANGES = "has_changes"
GLOBAL_SUMMARY = "summary"
GLOBAL_APPROVAL = "approval"
GLOBAL_OUTPUTS = "outputs"
GLOBAL_OUTCOME = "outcome"
GLOBAL_REASON = "reason"
GLOBAL_PLAN_SHA256 = "plan-sha256"
GLOBAL_WAIVED = (
    "waived"  # the plan step waived the approval (the reaper's destroy of an expired stack)
)
GLOBAL_VERIFIED = "verified"  # after a destroy: what verify proved and cleaned up
# The plan step's output parameters and the workflow output each one is also published as.
PLAN_PARAMETERS = {
    "has_changes": GLOBAL_HAS_CHANGES,
    "summary": GLOBAL_SUMMARY,
    "changes": None,
    "sha256": GLOBAL_PLAN_SHA256,
    "waived": GLOBAL_WAIVED,
}


def template_name(kind: str) -> str:
    """The WorkflowTemplate a kind's sensor and `idp run` submit from."""
    return f"{kind}-provision-workflow"


def stack_mutex(kind: str, scope: str = "workflow.parameters") -> str:
    """One mutex per stack (kind, environment, name): the same Terraform state. The
    provisioning Workflow takes it from its arguments, a drift check from its inputs
    (`inputs.parameters`): the same name, so the same lock."""
    return f"{kind}-{{{{{scope}.environment}}}}-{{{{{scope}.name}}}}"


def arguments(model: type[RequestBase]) -> m.Arguments:
    """Every request field (model order, model defaults) and then `request`, the whole JSON."""
    found = []
    for name, default in argument_defaults(model).items():
        description = model.model_fields[name].description
        found.append(m.Parameter(name=name, value=default, description=description))
    found.append(m.Parameter(name="request", description="The whole request as JSON"))
    return m.Arguments(parameters=found)


def out_parameter(name: str, file: str, global_name: str | None = None) -> Parameter:
    return Parameter(
        name=name, value_from=m.ValueFrom(path=f"{OUT_DIR}/{file}"), global_name=global_name
    )


def _workflow_output(name: str) -> str:
    return f"{{{{workflow.outputs.parameters.{name}}}}}"


def notice_identity(kind: str) -> list[str]:
    """Who a notice is about, from the Workflow itself, never from the request body."""
    return [
        "--kind",
        kind,
        "--workflow",
        "{{workflow.name}}",
        "--namespace",
        "{{workflow.namespace}}",
        "--request-id",
        "{{workflow.parameters.request_id}}",
        "--requester-email",
        "{{workflow.parameters.requester_email}}",
    ]


def _approval(settings: Settings) -> Suspend:
    shown = [Parameter(name=name, description=_SHOWN[name]) for name in APPROVAL_SHOWS]
    return Suspend(
        name=APPROVAL,
        duration=settings.approval_timeout,
        inputs=[
            Parameter(
                name=APPROVAL,
                enum=[APPROVED, "NO"],
                default="NO",
                description=(
                    f"Apply exactly this plan? Only {APPROVED} applies it; with no answer "
                    f"within {settings.approval_timeout} the approval expires."
                ),
            ),
            *shown,
        ],
        outputs=[
            Parameter(
                name=APPROVAL,
                value_from=m.ValueFrom(supplied=m.SuppliedValueFrom(), default=UNANSWERED),
                global_name=GLOBAL_APPROVAL,
            ),
            *(
                Parameter(
                    name=name, value_from=m.ValueFrom(supplied=m.SuppliedValueFrom(), default="")
                )
                for name in APPROVAL_SHOWS
            ),
        ],
    )


_SHOWN = {
    "summary": "What the plan changes (shown for reading; editing it changes nothing)",
    "changes": "Each resource and what happens to it (the full plan: the plan-text artifact "
    "of the plan step)",
    "policy": "What the policy checks found that does not stop the run (the full report: "
    "the policy-report artifact of the policy step)",
    "sha256": "The plan file that a YES applies (apply checks it against the plan's own)",
}
# The approver as the Argo Server recorded them on the Workflow (workflows.steps.approver).
APPROVER_ARGS = ["--labels", LABELS_TAG]


def _templates(model: type[RequestBase], settings: Settings) -> list[Container | Suspend | DAG]:
    kind = model.kind
    module = f"{MODULES_DIR}/{kind}"
    terraform_args = ["--kind", kind, "--module", module, "--work", WORK_DIR, "--out", OUT_DIR]
    # validate also checks that the per-field arguments (mutex, labels) match the request
    arguments_env = [
        Env(name=argument_env(name), value=f"{{{{workflow.parameters.{name}}}}}")
        for name in argument_defaults(model)
    ]
    validate = step(
        "validate",
        ["validate", "--kind", kind],
        settings,
        deadline_seconds=120,
        retry=True,
        extra_env=arguments_env,
    )
    preflight = step(
        "preflight", ["preflight", "--kind", kind], settings, deadline_seconds=300, retry=True
    )
    plan = step(
        "plan",
        ["plan", *terraform_args],
        settings,
        deadline_seconds=1800,
        retry=True,
        cpu="500m",
        memory_mi=512,
        outputs=[
            *(
                out_parameter(name, name, global_name)
                for name, global_name in PLAN_PARAMETERS.items()
            ),
            *(
                Artifact(name=name, path=f"{OUT_DIR}/{file}")
                for name, file in PLAN_ARTIFACTS.items()
            ),
        ],
    )
    apply = step(
        "apply",
        [
            "apply",
            *terraform_args,
            "--sha256",
            "{{inputs.parameters.sha256}}",
            "--approval",
            "{{inputs.parameters.approval}}",
            "--waived",
            "{{inputs.parameters.waived}}",
            *APPROVER_ARGS,
        ],
        settings,
        deadline_seconds=7200,
        cpu="500m",
        memory_mi=512,
        inputs=[
            m.Parameter(name="sha256"),
            m.Parameter(name="approval"),
            m.Parameter(name="waived"),
        ],
    )
    policy = step(
        POLICY,
        [
            "policy",
            "--kind",
            kind,
            "--module",
            module,
            "--plan-json",
            f"{INPUTS_DIR}/plan.json",
            "--policies",
            str(POLICIES_ROOT),
            "--out",
            OUT_DIR,
        ],
        settings,
        deadline_seconds=900,
        retry=True,
        inputs=[Artifact(name="plan-json", path=f"{INPUTS_DIR}/plan.json")],
        outputs=[
            out_parameter("findings", "findings"),
            Artifact(name="policy-report", path=f"{OUT_DIR}/policy.json"),
        ],
    )
    verify = step(
        "verify",
        ["verify", *terraform_args],
        settings,
        deadline_seconds=600,
        retry=True,
        outputs=[out_parameter("verified", "verified", global_name=GLOBAL_VERIFIED)],
    )
    report = step(
        "report",
        [
            "report",
            *terraform_args,
            *APPROVER_ARGS,
        ],
        settings,
        deadline_seconds=600,
        retry=True,
        outputs=[
            out_parameter("outputs", "outputs", global_name=GLOBAL_OUTPUTS),
            Artifact(name="terraform-outputs", path=f"{OUT_DIR}/outputs.json"),
            Artifact(name="report", path=f"{OUT_DIR}/report.json"),
        ],
    )
    notify_approvers = step(
        "notify-approvers",
        [
            "notify",
            *notice_identity(kind),
            "--phase",
            "awaiting-approval",
            "--summary",
            "{{inputs.parameters.summary}}",
        ],
        settings,
        deadline_seconds=120,
        retry=True,
        notify_secrets=True,
        request_env=False,
        inputs=[m.Parameter(name="summary")],
    )
    finish = step(
        EXIT_HANDLER,
        [
            "finish",
            *notice_identity(kind),
            "--status",
            "{{workflow.status}}",
            "--failures",
            "{{workflow.failures}}",
            "--action",
            "{{workflow.parameters.action}}",
            "--has-changes",
            _workflow_output(GLOBAL_HAS_CHANGES),
            "--summary",
            _workflow_output(GLOBAL_SUMMARY),
            "--approval",
            _workflow_output(GLOBAL_APPROVAL),
            "--outputs",
            _workflow_output(GLOBAL_OUTPUTS),
            "--approval-timeout",
            settings.approval_timeout,
            *APPROVER_ARGS,
            "--plan-sha256",
            _workflow_output(GLOBAL_PLAN_SHA256),
            "--verified",
            _workflow_output(GLOBAL_VERIFIED),
            "--waived",
            _workflow_output(GLOBAL_WAIVED),
            "--environment",
            "{{workflow.parameters.environment}}",
            "--name",
            "{{workflow.parameters.name}}",
            "--work",
            WORK_DIR,
            "--out",
            OUT_DIR,
        ],
        settings,
        deadline_seconds=120,
        retry=True,
        notify_secrets=True,
        request_env=False,
        outputs=[
            out_parameter(GLOBAL_OUTCOME, GLOBAL_OUTCOME, global_name=GLOBAL_OUTCOME),
            out_parameter(GLOBAL_REASON, GLOBAL_REASON, global_name=GLOBAL_REASON),
            out_parameter("delivery", "delivery"),
        ],
    )
    return [
        _dag(),
        validate,
        preflight,
        plan,
        policy,
        _approval(settings),
        apply,
        verify,
        report,
        notify_approvers,
        finish,
    ]


def _plan_output(name: str) -> str:
    return f"{{{{tasks.plan.outputs.parameters.{name}}}}}"


# Where each value the approval node shows comes from.
_SHOWN_FROM = {
    "summary": _plan_output("summary"),
    "changes": _plan_output("changes"),
    "policy": f"{{{{tasks.{POLICY}.outputs.parameters.findings}}}}",
    "sha256": _plan_output("sha256"),
}


# The gates: expressions, so that no value is ever read by govaluate (see the module docstring).
HAS_CHANGES = "{{=tasks.plan.outputs.parameters.has_changes == 'true'}}"
_ANSWER = f"(tasks.{APPROVAL}.outputs?.parameters?.{APPROVAL} ?? '')"
_WAIVED = "tasks.plan.outputs.parameters.waived == 'true'"
# Someone is asked unless the plan step waived the approval (workflows.steps.expiry).
NEEDS_APPROVAL = (
    "{{=tasks.plan.outputs.parameters.has_changes == 'true' && "
    "tasks.plan.outputs.parameters.waived != 'true'}}"
)
ANSWERED_YES = f"{{{{={_ANSWER} == '{APPROVED}' || {_WAIVED}}}}}"
# apply follows an approval, or an approval that was not asked for (Skipped: waived); the
# policy step must have passed either way.
APPLY_DEPENDS = f"{POLICY}.Succeeded && ({APPROVAL}.Succeeded || {APPROVAL}.Skipped)"


def _dag() -> DAG:
    return DAG(
        name=ENTRYPOINT,
        tasks=[
            Task(name="validate", template="validate"),
            Task(name="preflight", template="preflight", depends="validate.Succeeded"),
            Task(name="plan", template="plan", depends="preflight.Succeeded"),
            Task(
                name=POLICY,
                template=POLICY,
                depends="plan.Succeeded",
                when=HAS_CHANGES,
                arguments=m.Arguments(
                    artifacts=[
                        m.Artifact(
                            name="plan-json", from_="{{tasks.plan.outputs.artifacts.plan-json}}"
                        )
                    ]
                ),
            ),
            Task(
                name="notify-approvers",
                template="notify-approvers",
                depends=f"{POLICY}.Succeeded",
                when=NEEDS_APPROVAL,
                continue_on=m.ContinueOn(failed=True, error=True),
                arguments=m.Arguments(
                    parameters=[m.Parameter(name="summary", value=_plan_output("summary"))]
                ),
            ),
            Task(
                name=APPROVAL,
                template=APPROVAL,
                depends=f"{POLICY}.Succeeded",
                when=NEEDS_APPROVAL,
                arguments=m.Arguments(
                    parameters=[
                        m.Parameter(name=name, value=_SHOWN_FROM[name]) for name in APPROVAL_SHOWS
                    ]
                ),
            ),
            Task(
                name="apply",
                template="apply",
                depends=APPLY_DEPENDS,
                when=ANSWERED_YES,
                arguments=m.Arguments(
                    parameters=[
                        m.Parameter(name="sha256", value=_plan_output("sha256")),
                        m.Parameter(name="approval", value=f"{{{{={_ANSWER}}}}}"),
                        m.Parameter(name="waived", value=_plan_output("waived")),
                    ],
                ),
            ),
            Task(name="verify", template="verify", depends="apply.Succeeded"),
            Task(name="report", template="report", depends="verify.Succeeded"),
        ],
    )


def workflow_template(model: type[RequestBase], settings: Settings) -> WorkflowTemplate:
    """The kind's WorkflowTemplate, as Hera builds it."""
    kind = model.kind
    template_labels = {
        **PART_OF,
        "app.kubernetes.io/managed-by": "idp-compile",
        labels.KIND: kind,
    }
    return WorkflowTemplate(
        name=template_name(kind),
        namespace=settings.namespace,
        labels=template_labels,
        entrypoint=ENTRYPOINT,
        on_exit=EXIT_HANDLER,
        arguments=arguments(model),
        synchronization=m.Synchronization(mutexes=[m.Mutex(name=stack_mutex(kind))]),
        **run_spec(settings),
        workflow_metadata=m.WorkflowMetadata(
            labels={labels.KIND: kind},
            labels_from={
                labels.ENVIRONMENT: m.LabelValueFrom(expression="workflow.parameters.environment"),
                labels.REQUEST_ID: m.LabelValueFrom(expression="workflow.parameters.request_id"),
                labels.REQUESTER: m.LabelValueFrom(expression=REQUESTER_LABEL),
            },
        ),
        templates=[*_templates(model, settings)],
    )


# A label value (at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric):
# trimmed after the cut, so that a cut never leaves a trailing `_`, `-` or `.`. The same rule
# in Python is `idp.labels.requester_value` (`idp list --requester` selects by it).
REQUESTER_LABEL = (
    "sprig.trimAll('-_.', sprig.trunc(63, sprig.regexReplaceAll("
    "'[^A-Za-z0-9_.-]', workflow.parameters.requester_email, '_')))"
)


def run_spec(settings: Settings) -> dict[str, Any]:
    """What every Workflow of the platform runs with: its service account, artifact
    repository, pod security, volumes, garbage collection and pod labels."""
    return {
        "service_account_name": settings.workflow_service_account,
        "artifact_repository_ref": m.ArtifactRepositoryRef(
            config_map=settings.artifact_repository.configmap,
            key=settings.artifact_repository.key,
        ),
        "security_context": pod_security_context(),
        "volumes": volumes(settings),
        "pod_gc": m.PodGC(strategy="OnPodSuccess", delete_delay_duration="10m"),
        "ttl_strategy": m.TTLStrategy(
            seconds_after_success=settings.ttl_after_success,
            seconds_after_failure=settings.ttl_after_failure,
        ),
        "pod_metadata": m.Metadata(labels=_pod_labels(settings)),
    }


def _pod_labels(settings: Settings) -> dict[str, str]:
    labels = dict(PART_OF)
    if settings.azure_auth == "workload-identity":
        labels["azure.workload.identity/use"] = "true"
    return labels
