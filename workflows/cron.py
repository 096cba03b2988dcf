"""The day-two CronWorkflows of each kind: `<kind>-drift` and `<kind>-expiry`.

`<kind>-drift` lists the kind's registered stacks (`stacks`), then checks each one (`check`, a
fan-out over the list, `settings.drift.parallelism` at a time): a plan from the recorded request,
never an apply, under the same mutex as the stack's provisioning runs, so a check never reads
a state a run is changing. Each check publishes its result (in sync, drifted, failed) as a
parameter and an artifact; a stack that could not be checked fails its node, and the DAG goes on
with the others (`failFast: false`) and ends Failed. An environment whose registry cannot be
listed fails the `stacks` node alone: the other environments' stacks are still listed and
checked, and the run ends Failed. Only stack identities (environment and name,
both of the contract's narrow patterns) pass through Argo's parameters; the recorded request is
read by the check itself.

`<kind>-expiry` is the reaper: one step that warns requesters and starts the destroy run of each
expired stack through the webhook, judging by `{{workflow.scheduledTime}}`.

Schedules, time zone, concurrency policy and starting deadline come from settings.
"""

from __future__ import annotations

from typing import Any

from hera.workflows import DAG, Artifact, CronWorkflow, Parameter, Task
from hera.workflows import models as m

from idp.contract import RequestBase
from idp.manifests import PART_OF
from idp.settings import Settings
from workflows.pipeline import out_parameter, run_spec, stack_mutex
from workflows.pods import OUT_DIR, WORK_DIR, stack_args, step, webhook_token

DRIFT_ENTRYPOINT = "drift"
# The checks fan out over what `stacks` listed, also when it failed: an environment whose
# registry cannot be listed fails the `stacks` node (and so the run) but leaves the others'
# stacks in its output. The executor saves a failed container's output parameters too, the
# default when the file is missing (`SaveParameters` after the main container's end, whatever its
# exit code: cmd/argoexec/commands/wait.go, `waitContainer`, on v4.0; workflow/executor/
# postmain.go, `PostMain`, on v4.1).
LISTED = "stacks.Succeeded || stacks.Failed"
EXPIRY_ENTRYPOINT = "expire"
HISTORY = 3  # finished runs of each CronWorkflow kept


def drift_name(kind: str) -> str:
    return f"{kind}-drift"


def expiry_name(kind: str) -> str:
    return f"{kind}-expiry"


def _cron(name: str, kind: str, schedule: str, settings: Settings) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": settings.namespace,
        "labels": {
            **PART_OF,
            "app.kubernetes.io/managed-by": "idp-compile",
            "idp.platform/kind": kind,
        },
        "schedules": [schedule],
        "timezone": settings.cron_timezone,
        "concurrency_policy": settings.cron_concurrency_policy,
        "starting_deadline_seconds": settings.cron_starting_deadline_seconds,
        "successful_jobs_history_limit": HISTORY,
        "failed_jobs_history_limit": HISTORY,
        "workflow_metadata": m.WorkflowMetadata(labels={"idp.platform/kind": kind}),
        **run_spec(settings),
    }


def drift_cron(model: type[RequestBase], settings: Settings) -> CronWorkflow:
    """The kind's drift check, as Hera builds it."""
    kind = model.kind
    listing = ["--kind", kind, "--work", WORK_DIR, "--out", OUT_DIR]
    stacks = step(
        "stacks",
        ["stacks", *listing],
        settings,
        deadline_seconds=300,
        retry=True,
        request_env=False,
        # the list of the environments that could be listed, also when another could not
        # (the node Failed); none at all when nothing was written (its default)
        outputs=[
            Parameter(name="stacks", value_from=m.ValueFrom(path=f"{OUT_DIR}/stacks", default="[]"))
        ],
    )
    check = step(
        "check",
        [
            "drift",
            *stack_args(kind),
            "--environment",
            "{{inputs.parameters.environment}}",
            "--name",
            "{{inputs.parameters.name}}",
        ],
        settings,
        deadline_seconds=1800,
        request_env=False,
        notify_secrets=True,
        extra_env=[webhook_token(settings)],
        cpu="500m",
        memory_mi=512,
        inputs=[m.Parameter(name="environment"), m.Parameter(name="name")],
        outputs=[
            out_parameter("result", "result"),
            out_parameter("summary", "summary"),
            Artifact(name="drift", path=f"{OUT_DIR}/drift.json"),
        ],
        mutex=stack_mutex(kind, "inputs.parameters"),
    )
    dag = DAG(
        name=DRIFT_ENTRYPOINT,
        parallelism=settings.drift.parallelism,
        fail_fast=False,
        tasks=[
            Task(name="stacks", template="stacks"),
            Task(
                name="check",
                template="check",
                depends=LISTED,
                with_param="{{tasks.stacks.outputs.parameters.stacks}}",
                arguments=m.Arguments(
                    parameters=[
                        m.Parameter(name="environment", value="{{item.environment}}"),
                        m.Parameter(name="name", value="{{item.name}}"),
                    ]
                ),
            ),
        ],
    )
    return CronWorkflow(
        **_cron(drift_name(kind), kind, settings.drift.schedule, settings),
        entrypoint=DRIFT_ENTRYPOINT,
        templates=[dag, stacks, check],
    )


def expiry_cron(model: type[RequestBase], settings: Settings) -> CronWorkflow:
    """The kind's reaper, as Hera builds it."""
    kind = model.kind
    reaper = step(
        EXPIRY_ENTRYPOINT,
        [
            "expire",
            "--kind",
            kind,
            "--now",
            "{{workflow.scheduledTime}}",
            "--work",
            WORK_DIR,
            "--out",
            OUT_DIR,
        ],
        settings,
        deadline_seconds=900,
        request_env=False,
        notify_secrets=True,
        extra_env=[webhook_token(settings)],
        outputs=[
            out_parameter("summary", "summary"),
            Artifact(name="expiry", path=f"{OUT_DIR}/expiry.json"),
        ],
    )
    return CronWorkflow(
        **_cron(expiry_name(kind), kind, settings.expiry.schedule, settings),
        entrypoint=EXPIRY_ENTRYPOINT,
        templates=[reaper],
    )
