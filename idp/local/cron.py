"""The Workflow a CronWorkflow's schedule makes, as Argo's cron controller makes it.

At a scheduled time T, `cronWfOperationCtx.run` (workflow/cron/operator.go) checks the run
policy (`enforceRuntimePolicy`: a suspended CronWorkflow makes nothing) and creates
`ConvertCronWorkflowToWorkflowWithProperties` (workflow/common/convert.go, through `toWorkflow`)
of the CronWorkflow, named by `getChildWorkflowName`:

- name `<cron>-<T in Unix seconds>`, in the CronWorkflow's namespace;
- labels: the creator labels the CronWorkflow carries (`labelsToPropagate`), its controller
  instance id, `workflows.argoproj.io/cron-workflow: <cron>`, then `spec.workflowMetadata`'s;
- annotations: `workflows.argoproj.io/scheduled-time: <T in RFC 3339>`, then the metadata's;
- owned by the CronWorkflow (a controller reference), its spec the `workflowSpec`.

The controller's clock is its pod's (UTC on a cluster), so T is written in UTC. Without a time
given, T is now, to the minute, as `inferScheduledTime` takes it.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping
from typing import Any

from idp.local.spec import CRON_NO_LOCAL_EFFECT, check_cron_workflow
from idp.times import rfc3339

CRON_WORKFLOW_LABEL = "workflows.argoproj.io/cron-workflow"  # common.LabelKeyCronWorkflow
SCHEDULED_TIME = "workflows.argoproj.io/scheduled-time"  # common.AnnotationKeyCronWfScheduledTime
INSTANCE_ID_LABEL = "workflows.argoproj.io/controller-instanceid"
PROPAGATED_LABELS = (
    "workflows.argoproj.io/creator",
    "workflows.argoproj.io/creator-email",
    "workflows.argoproj.io/creator-preferred-username",
)


class NotScheduled(ValueError):
    """The cron controller would create no Workflow (the message says why)."""


def infer_scheduled_time(now: float) -> datetime.datetime:
    """`inferScheduledTime`: the current time with its seconds zeroed, in UTC."""
    moment = datetime.datetime.fromtimestamp(now, tz=datetime.UTC)
    return moment.replace(second=0, microsecond=0)


def child_name(cron_name: str, scheduled: datetime.datetime) -> str:
    """`getChildWorkflowName`: `<cron>-<Unix seconds>`."""
    return f"{cron_name}-{int(scheduled.timestamp())}"


def check_runnable(cron: Mapping[str, Any]) -> None:
    """The CronWorkflow's fields (UnsupportedField), then `enforceRuntimePolicy`'s first rule:
    a suspended CronWorkflow makes no Workflow (NotScheduled)."""
    check_cron_workflow(cron)
    if cron["spec"].get("suspend"):
        raise NotScheduled(
            f"CronWorkflow {cron['metadata']['name']} is suspended (spec.suspend): the cron "
            "controller creates no Workflow for it"
        )


def no_local_effect(cron: Mapping[str, Any]) -> list[str]:
    """The CronWorkflow's fields that only the cron controller reads, as it sets them."""
    return [name for name in CRON_NO_LOCAL_EFFECT if name in cron["spec"]]


def workflow_from_cron(cron: Mapping[str, Any], scheduled: datetime.datetime) -> dict[str, Any]:
    """`ConvertCronWorkflowToWorkflowWithProperties` with `getChildWorkflowName`."""
    meta = cron["metadata"]
    cron_labels = meta.get("labels") or {}
    extra = cron["spec"].get("workflowMetadata") or {}
    labels = {k: cron_labels[k] for k in PROPAGATED_LABELS if k in cron_labels}
    if INSTANCE_ID_LABEL in cron_labels:
        labels[INSTANCE_ID_LABEL] = cron_labels[INSTANCE_ID_LABEL]
    labels[CRON_WORKFLOW_LABEL] = meta["name"]
    labels.update(extra.get("labels") or {})
    annotations = {SCHEDULED_TIME: rfc3339(scheduled), **(extra.get("annotations") or {})}
    owner = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "name": meta["name"],
        "uid": f"local-{meta['name']}",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    return {
        "apiVersion": cron.get("apiVersion", "argoproj.io/v1alpha1"),
        "kind": "Workflow",
        "metadata": {
            "name": child_name(meta["name"], scheduled),
            "namespace": meta.get("namespace", ""),
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [owner],
        },
        "spec": copy.deepcopy(dict(cron["spec"]["workflowSpec"])),
    }
