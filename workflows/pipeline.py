"""The `<kind>-provision-workflow` WorkflowTemplate: validate, preflight, plan, approve, apply.

Flow (an entrypoint DAG):

    validate -> preflight -> plan -+-> approve -> apply -> verify -> report -> notify (succeeded)
                                   |      \\-> notify (rejected or expired)
                                   +-> notify approvers (awaiting approval)
                                   \\-> notify (no-changes)       onExit: notify (failed)

`approve` is skipped when the plan has no changes; `apply` runs only after a YES, takes the
plan artifact and refuses it unless its sha256 is the approved one. Every notification is a
task of its own, gated on what happened, so no template reads another task's outputs unless
that task succeeded.
"""

from __future__ import annotations

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

from idp.catalog import argument_defaults
from idp.contract import RequestBase
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
from workflows.steps.request import argument_env

ENTRYPOINT = "provision"
PLAN_ARTIFACTS = {"plan": "plan.tfplan", "plan-json": "plan.json", "plan-text": "plan.txt"}
PLAN_PARAMETERS = ("has_changes", "summary", "sha256")
APPROVAL = "approve"
# The notify template's inputs and the step-program flag each one is passed as.
NOTIFY_INPUTS = {
    "phase": "--phase",
    "summary": "--summary",
    "outputs": "--outputs",
    "approval": "--approval",
    "started": "--waited-from",
    "finished": "--waited-until",
    "failures": "--failures",
}


def template_name(kind: str) -> str:
    """The WorkflowTemplate a kind's sensor and `idp run` submit from."""
    return f"{kind}-provision-workflow"


def stack_mutex(kind: str) -> str:
    """One mutex per stack (kind, environment, name): the same Terraform state."""
    return f"{kind}-{{{{workflow.parameters.environment}}}}-{{{{workflow.parameters.name}}}}"


def arguments(model: type[RequestBase]) -> m.Arguments:
    """Every request field (model order, model defaults) and then `request`, the whole JSON."""
    found = []
    for name, default in argument_defaults(model).items():
        description = model.model_fields[name].description
        found.append(m.Parameter(name=name, value=default, description=description))
    found.append(m.Parameter(name="request", description="The whole request as JSON"))
    return m.Arguments(parameters=found)


def _out(name: str, file: str, global_name: str | None = None) -> Parameter:
    return Parameter(
        name=name, value_from=m.ValueFrom(path=f"{OUT_DIR}/{file}"), global_name=global_name
    )


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
            *(_out(name, name) for name in PLAN_PARAMETERS),
            *(
                Artifact(name=name, path=f"{OUT_DIR}/{file}")
                for name, file in PLAN_ARTIFACTS.items()
            ),
        ],
    )
    approve = Suspend(
        name=APPROVAL,
        duration=settings.approval_timeout,
        inputs=[
            Parameter(name="summary", description="What the plan changes"),
            Parameter(name="sha256", description="The plan file that a YES applies"),
        ],
        intermediate_parameters=[
            Parameter(
                name=APPROVAL,
                enum=["YES", "NO"],
                default="NO",
                description="Apply exactly this plan? Silence until the timeout means NO.",
            )
        ],
    )
    apply = step(
        "apply",
        [
            "apply",
            *terraform_args,
            "--plan",
            f"{INPUTS_DIR}/plan.tfplan",
            "--sha256",
            "{{inputs.parameters.sha256}}",
        ],
        settings,
        deadline_seconds=7200,
        cpu="500m",
        memory_mi=512,
        inputs=[
            m.Parameter(name="sha256"),
            Artifact(name="plan", path=f"{INPUTS_DIR}/plan.tfplan"),
        ],
    )
    verify = step("verify", ["verify", *terraform_args], settings, deadline_seconds=600, retry=True)
    report = step(
        "report",
        ["report", *terraform_args],
        settings,
        deadline_seconds=600,
        retry=True,
        outputs=[
            _out("outputs", "outputs", global_name="outputs"),
            Artifact(name="terraform-outputs", path=f"{OUT_DIR}/outputs.json"),
        ],
    )
    passed = [
        arg
        for name, flag in NOTIFY_INPUTS.items()
        for arg in (flag, f"{{{{inputs.parameters.{name}}}}}")
    ]
    notify = step(
        "notify",
        [
            "notify",
            "--kind",
            kind,
            *passed,
            "--approval-timeout",
            settings.approval_timeout,
            "--workflow",
            "{{workflow.name}}",
            "--status",
            "{{workflow.status}}",
        ],
        settings,
        deadline_seconds=120,
        retry=True,
        notify_secrets=True,
        inputs=[
            m.Parameter(name=name) if name == "phase" else m.Parameter(name=name, default="")
            for name in NOTIFY_INPUTS
        ],
    )
    return [_dag(), validate, preflight, plan, approve, apply, verify, report, notify]


def _notify_task(name: str, depends: str | None, when: str | None, **values: str) -> Task:
    return Task(
        name=name,
        template="notify",
        depends=depends,
        when=when,
        arguments=m.Arguments(
            parameters=[m.Parameter(name=key, value=value) for key, value in values.items()]
        ),
    )


def _dag() -> DAG:
    plan_out = "{{tasks.plan.outputs.parameters.%s}}"
    changes = f"{plan_out % 'has_changes'} == true"
    no_changes = f"{plan_out % 'has_changes'} == false"
    approved = "{{tasks.approve.outputs.parameters.approve}}"
    summary = plan_out % "summary"
    return DAG(
        name=ENTRYPOINT,
        tasks=[
            Task(name="validate", template="validate"),
            Task(name="preflight", template="preflight", depends="validate"),
            Task(name="plan", template="plan", depends="preflight"),
            Task(
                name=APPROVAL,
                template=APPROVAL,
                depends="plan",
                when=changes,
                arguments=m.Arguments(
                    parameters=[
                        m.Parameter(name="summary", value=summary),
                        m.Parameter(name="sha256", value=plan_out % "sha256"),
                    ]
                ),
            ),
            Task(
                name="apply",
                template="apply",
                depends=f"{APPROVAL}.Succeeded",
                when=f"{approved} == YES",
                arguments=m.Arguments(
                    parameters=[m.Parameter(name="sha256", value=plan_out % "sha256")],
                    artifacts=[
                        m.Artifact(name="plan", from_="{{tasks.plan.outputs.artifacts.plan}}")
                    ],
                ),
            ),
            Task(name="verify", template="verify", depends="apply"),
            Task(name="report", template="report", depends="verify"),
            _notify_task(
                "notify-approvers", "plan", changes, phase="awaiting-approval", summary=summary
            ),
            _notify_task(
                "notify-no-changes", "plan", no_changes, phase="no-changes", summary=summary
            ),
            _notify_task(
                "notify-rejected",
                f"{APPROVAL}.Succeeded",
                f"{approved} != YES",
                phase="rejected",
                summary=summary,
                approval=approved,
                started=f"{{{{tasks.{APPROVAL}.startedAt}}}}",
                finished=f"{{{{tasks.{APPROVAL}.finishedAt}}}}",
            ),
            _notify_task(
                "notify-succeeded",
                "report",
                None,
                phase="succeeded",
                summary=summary,
                outputs="{{tasks.report.outputs.parameters.outputs}}",
            ),
        ],
    )


def _exit_handler() -> DAG:
    """On any failure, notify once; success paths notify from the DAG itself."""
    return DAG(
        name="on-exit",
        tasks=[
            _notify_task(
                "notify-failed",
                None,
                "{{workflow.status}} != Succeeded",
                phase="failed",
                failures="{{workflow.failures}}",
            )
        ],
    )


def workflow_template(model: type[RequestBase], settings: Settings) -> WorkflowTemplate:
    """The kind's WorkflowTemplate, as Hera builds it."""
    kind = model.kind
    labels = {
        **PART_OF,
        "app.kubernetes.io/managed-by": "idp-compile",
        "idp.platform/kind": kind,
    }
    email = "workflow.parameters.requester_email"
    return WorkflowTemplate(
        name=template_name(kind),
        namespace=settings.namespace,
        labels=labels,
        entrypoint=ENTRYPOINT,
        on_exit="on-exit",
        arguments=arguments(model),
        service_account_name=settings.workflow_service_account,
        artifact_repository_ref=m.ArtifactRepositoryRef(
            config_map=settings.artifact_repository.configmap,
            key=settings.artifact_repository.key,
        ),
        security_context=pod_security_context(),
        volumes=volumes(settings),
        synchronization=m.Synchronization(mutexes=[m.Mutex(name=stack_mutex(kind))]),
        pod_gc=m.PodGC(strategy="OnPodSuccess", delete_delay_duration="10m"),
        ttl_strategy=m.TTLStrategy(
            seconds_after_success=settings.ttl_after_success,
            seconds_after_failure=settings.ttl_after_failure,
        ),
        pod_metadata=m.Metadata(labels=_pod_labels(settings)),
        workflow_metadata=m.WorkflowMetadata(
            labels={"idp.platform/kind": kind},
            labels_from={
                "idp.platform/environment": m.LabelValueFrom(
                    expression="workflow.parameters.environment"
                ),
                "idp.platform/request-id": m.LabelValueFrom(
                    expression="workflow.parameters.request_id"
                ),
                "idp.platform/requester": m.LabelValueFrom(
                    expression=(
                        "sprig.trunc(63, sprig.trimAll('-_.', sprig.regexReplaceAll("
                        f"'[^A-Za-z0-9_.-]', {email}, '_')))"
                    )
                ),
            },
        ),
        templates=[*_templates(model, settings), _exit_handler()],
    )


def _pod_labels(settings: Settings) -> dict[str, str]:
    labels = dict(PART_OF)
    if settings.azure_auth == "workload-identity":
        labels["azure.workload.identity/use"] = "true"
    return labels
