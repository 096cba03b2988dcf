r"""The `<kind>-provision-workflow` WorkflowTemplate: plan, approve, apply, then finish; and
`<kind>-preview-workflow`, the plan alone, then finish.

Flow (an entrypoint DAG, then one exit handler):

    plan --+--> approve --> apply          three pods on a request's critical path:
           \--> notify-approvers          plan, apply and finish (approve is no pod)
    onExit: finish (decides the outcome, sends the one final notice, records it)

A preview (`action: preview`) runs from its own template, built of the same pieces: the same
arguments, the same plan step (which plans without the state lock, saves nothing and writes
`next: done`) and the same exit handler (outcome `previewed`, one notice with the changes, the
findings and the cost) less the arguments that read the approval's and apply's outputs, which
Argo would refuse in a template that declares none of them. It has no approval, no apply and
no Workflow mutex: nothing it does needs the stack to itself, so it never waits behind a
request of its stack that holds the mutex while it waits for approval.

`plan` is one program (validate, preflight, plan, policy) and `apply` one more (decide, apply,
verify, report): `workflows.steps.commands`. The decisions are theirs, in Python: the plan
program writes `next` (`approve`, `apply` for a waiver, `done`), and the apply program decides
from the answer and the facts it reads itself whether to apply. The template leans on as few
rules of the controller as it can, each the same on every release of the support matrix
(`idp.compat`) and each held by a test naming its upstream function:

- `depends` names the results it needs: `plan.Succeeded`, and `approve.Succeeded ||
  approve.Skipped` for apply (`workflow/common/ancestry.go`, `GetTaskDependsLogic`;
  `workflow/controller/dag.go`, `evaluateDependsLogic`); a task whose `depends` fails is Omitted;
- `when` compares the plan's `next` with a constant; govaluate reads both bare words as strings
  (`workflow/controller/steps.go`, `shouldExecute`), and a false `when` is Skipped. Nothing reads
  an output of a task that can be Skipped or Omitted: how those resolve changed between patch
  releases (`scope.go`, `addSkippedNodeOutputsToScope`, from v4.0.7);
- outputs with a `globalName` become workflow outputs: a container's when its pod is reconciled
  (`operator.go`, `podReconciliation`), an answer the server sets at once (`workflow/util/
  util.go`, `updateSuspendedNode`), an expired approval's default when the DAG ends (`dag.go`,
  `executeDAG`); one never published stays the text `{{...}}` where it is used
  (`workflow/common/util.go`, `SubstituteParams`, unresolved allowed), which the programs read as
  absent;
- the approval is a suspend node with a duration; on expiry every supplied output takes its
  default (`operator.go`, `executeSuspend`), and each has its own explicit one, so the
  input-default fallback (`addRawOutputFields`, from v4.0.1) is never needed; the answer's
  default is `EXPIRED`, told from a NO by its value. Its inputs are mirrored as supplied
  outputs: the Argo UI sets every input of a suspend node as an output, and the server refuses
  one the node does not expect (`updateSuspendedNode`);
- the approvers' notice continues on failure (`continueOn`); the exit handler is a container
  with `workflow.status` and `workflow.failures`, whose failure message becomes the Workflow's
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
from idp.actor import LABELS_TAG
from idp.catalog import argument_defaults
from idp.contract import PREVIEW, RequestBase
from idp.image import POLICIES_ROOT
from idp.manifests import PART_OF
from idp.pipeline import (
    APPLY,
    APPLY_ARTIFACTS,
    APPLY_PARAMETERS,
    APPROVAL,
    APPROVAL_SHOWS,
    APPROVED,
    ENTRYPOINT,
    EXIT_HANDLER,
    GLOBAL_APPROVAL,
    GLOBAL_CHANGES,
    GLOBAL_COST,
    GLOBAL_FINDINGS,
    GLOBAL_HAS_CHANGES,
    GLOBAL_OUTCOME,
    GLOBAL_OUTPUTS,
    GLOBAL_PLAN_SHA256,
    GLOBAL_REASON,
    GLOBAL_SUMMARY,
    GLOBAL_VERIFIED,
    GLOBAL_WAIVED,
    NEXT_APPROVE,
    NEXT_DONE,
    NOTIFY_APPROVERS,
    PLAN,
    PLAN_ARTIFACTS,
    PLAN_PARAMETERS,
    REJECTED,
    UNANSWERED,
    preview_template_name,
    template_name,
)
from idp.settings import Settings
from workflows.pods import (
    OUT_DIR,
    WORK_DIR,
    pod_security_context,
    stack_args,
    step,
    volumes,
)
from workflows.steps.request import argument_env


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
                enum=[APPROVED, REJECTED],
                default=REJECTED,
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
    "the policy-report artifact of the plan step)",
    "cost": "What the change costs a month, before and after (Azure retail prices; the full "
    "estimate: the cost-report artifact of the plan step)",
    "sha256": "The plan file that a YES applies (apply checks it against the plan's own)",
}
# The approver as the Argo Server recorded them on the Workflow (idp.actor).
APPROVER_ARGS = ["--labels", LABELS_TAG]


def _outputs(
    parameters: dict[str, str | None], artifacts: dict[str, str]
) -> list[Parameter | Artifact]:
    return [
        *(out_parameter(name, name, global_name) for name, global_name in parameters.items()),
        *(Artifact(name=name, path=f"{OUT_DIR}/{file}") for name, file in artifacts.items()),
    ]


def _plan_step(model: type[RequestBase], settings: Settings) -> Container:
    """The plan program's pod: validate, preflight, plan, policy and cost (a preview's too)."""
    # validate also checks that the per-field arguments (mutex, labels) match the request
    arguments_env = [
        Env(name=argument_env(name), value=f"{{{{workflow.parameters.{name}}}}}")
        for name in argument_defaults(model)
    ]
    return step(
        PLAN,
        ["plan", *stack_args(model.kind), "--policies", str(POLICIES_ROOT)],
        settings,
        deadline_seconds=3600,
        retry=True,
        cpu="500m",
        memory_mi=512,
        extra_env=arguments_env,
        outputs=_outputs(PLAN_PARAMETERS, PLAN_ARTIFACTS),
    )


def _apply_step(kind: str, settings: Settings) -> Container:
    return step(
        APPLY,
        [
            "apply",
            *stack_args(kind),
            "--sha256",
            "{{inputs.parameters.sha256}}",
            "--next",
            "{{inputs.parameters.next}}",
            "--approval",
            _workflow_output(GLOBAL_APPROVAL),
            *APPROVER_ARGS,
        ],
        settings,
        deadline_seconds=8400,
        cpu="500m",
        memory_mi=512,
        inputs=[m.Parameter(name="sha256"), m.Parameter(name="next")],
        outputs=_outputs(APPLY_PARAMETERS, APPLY_ARTIFACTS),
    )


def _notify_approvers_step(kind: str, settings: Settings) -> Container:
    return step(
        NOTIFY_APPROVERS,
        [
            "notify",
            *notice_identity(kind),
            "--phase",
            "awaiting-approval",
            "--summary",
            "{{inputs.parameters.summary}}",
            "--cost",
            "{{inputs.parameters.cost}}",
        ],
        settings,
        deadline_seconds=120,
        retry=True,
        notify_secrets=True,
        request_env=False,
        inputs=[m.Parameter(name="summary"), m.Parameter(name="cost")],
    )


# The finish arguments that carry what only the approval and apply publish (approval, outputs,
# verified). A preview has neither, and Argo refuses a template whose tag names a workflow output
# nothing in it declares (workflow/validate/validate.go, `resolveAllVariables`:
# `workflow.outputs.parameters.X` resolves only once `addOutputsToScope` has met an output with
# `globalName: X`), so a preview's exit handler leaves them out and the finish program reads
# them as absent (their default is empty).
APPROVE_AND_APPLY_FLAGS = ("--approval", "--outputs", "--verified")


def _finish_step(kind: str, settings: Settings, *, preview: bool = False) -> Container:
    """The exit handler: decides the outcome from the workflow outputs, sends the one notice.
    A preview's passes only the outputs its plan step publishes."""
    args = [
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
        "--changes",
        _workflow_output(GLOBAL_CHANGES),
        "--findings",
        _workflow_output(GLOBAL_FINDINGS),
        "--cost",
        _workflow_output(GLOBAL_COST),
        "--environment",
        "{{workflow.parameters.environment}}",
        "--name",
        "{{workflow.parameters.name}}",
        "--work",
        WORK_DIR,
        "--out",
        OUT_DIR,
    ]
    if preview:
        for flag in APPROVE_AND_APPLY_FLAGS:
            at = args.index(flag)
            del args[at : at + 2]
    return step(
        EXIT_HANDLER,
        args,
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


def _templates(model: type[RequestBase], settings: Settings) -> list[Container | Suspend | DAG]:
    kind = model.kind
    return [
        _dag(),
        _plan_step(model, settings),
        _approval(settings),
        _apply_step(kind, settings),
        _notify_approvers_step(kind, settings),
        _finish_step(kind, settings),
    ]


def _preview_templates(
    model: type[RequestBase], settings: Settings
) -> list[Container | Suspend | DAG]:
    """A preview's: the plan alone (it writes `next: done`), then the same exit handler."""
    preview_dag = DAG(name=ENTRYPOINT, tasks=[Task(name=PLAN, template=PLAN)])
    return [
        preview_dag,
        _plan_step(model, settings),
        _finish_step(model.kind, settings, preview=True),
    ]


def _plan_output(name: str) -> str:
    return f"{{{{tasks.{PLAN}.outputs.parameters.{name}}}}}"


# Where each value the approval node shows comes from.
_SHOWN_FROM = {
    "summary": _plan_output("summary"),
    "changes": _plan_output("changes"),
    "policy": _plan_output("findings"),
    "cost": _plan_output("cost"),
    "sha256": _plan_output("sha256"),
}

# The only decisions the DAG reads: the plan program's `next`, a word it writes itself, compared
# with a constant (govaluate reads both bare words as strings: `steps.go`, `shouldExecute`).
ASKED = f"{_plan_output('next')} == {NEXT_APPROVE}"
PROCEEDS = f"{_plan_output('next')} != {NEXT_DONE}"
# apply follows the approval, or its absence (Skipped: the plan said nobody is asked).
APPLY_DEPENDS = f"{PLAN}.Succeeded && ({APPROVAL}.Succeeded || {APPROVAL}.Skipped)"


def _dag() -> DAG:
    return DAG(
        name=ENTRYPOINT,
        tasks=[
            Task(name=PLAN, template=PLAN),
            Task(
                name=NOTIFY_APPROVERS,
                template=NOTIFY_APPROVERS,
                depends=f"{PLAN}.Succeeded",
                when=ASKED,
                continue_on=m.ContinueOn(failed=True, error=True),
                arguments=m.Arguments(
                    parameters=[
                        m.Parameter(name="summary", value=_plan_output("summary")),
                        m.Parameter(name="cost", value=_plan_output("cost")),
                    ]
                ),
            ),
            Task(
                name=APPROVAL,
                template=APPROVAL,
                depends=f"{PLAN}.Succeeded",
                when=ASKED,
                arguments=m.Arguments(
                    parameters=[
                        m.Parameter(name=name, value=_SHOWN_FROM[name]) for name in APPROVAL_SHOWS
                    ]
                ),
            ),
            Task(
                name=APPLY,
                template=APPLY,
                depends=APPLY_DEPENDS,
                when=PROCEEDS,
                arguments=m.Arguments(
                    parameters=[
                        m.Parameter(name="sha256", value=_plan_output("sha256")),
                        m.Parameter(name="next", value=_plan_output("next")),
                    ],
                ),
            ),
        ],
    )


def workflow_template(model: type[RequestBase], settings: Settings) -> WorkflowTemplate:
    """The kind's WorkflowTemplate, as Hera builds it."""
    kind = model.kind
    return _workflow_template(
        model,
        settings,
        name=template_name(kind),
        templates=_templates(model, settings),
        synchronization=m.Synchronization(mutexes=[m.Mutex(name=stack_mutex(kind))]),
    )


def preview_template(model: type[RequestBase], settings: Settings) -> WorkflowTemplate:
    """The kind's preview WorkflowTemplate: the provision template's arguments, plan step and
    exit handler, with no approval, no apply and no mutex (a preview takes no lock, so it
    never waits behind a request of its stack that holds one while it waits for approval);
    its Workflows are labelled `labels.ACTION: preview`."""
    return _workflow_template(
        model,
        settings,
        name=preview_template_name(model.kind),
        templates=_preview_templates(model, settings),
        synchronization=None,
        action=PREVIEW,
    )


def _workflow_template(
    model: type[RequestBase],
    settings: Settings,
    *,
    name: str,
    templates: list[Container | Suspend | DAG],
    synchronization: m.Synchronization | None,
    action: str | None = None,
) -> WorkflowTemplate:
    kind = model.kind
    marked = {labels.ACTION: action} if action else {}
    template_labels = {
        **PART_OF,
        "app.kubernetes.io/managed-by": "idp-compile",
        labels.KIND: kind,
        **marked,
    }
    return WorkflowTemplate(
        name=name,
        namespace=settings.namespace,
        labels=template_labels,
        entrypoint=ENTRYPOINT,
        on_exit=EXIT_HANDLER,
        arguments=arguments(model),
        synchronization=synchronization,
        **run_spec(settings),
        workflow_metadata=m.WorkflowMetadata(
            labels={labels.KIND: kind, **marked},
            labels_from={
                labels.ENVIRONMENT: m.LabelValueFrom(expression="workflow.parameters.environment"),
                labels.REQUEST_ID: m.LabelValueFrom(expression="workflow.parameters.request_id"),
                labels.REQUESTER: m.LabelValueFrom(expression=REQUESTER_LABEL),
            },
        ),
        templates=[*templates],
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
