"""Platform Workflows as the Argo controller leaves them, for the fake to serve to the reading
commands (`idp list`, `idp status`, `idp logs`, `idp watch`).

`labelled` is the Workflow the kind's Sensor creates for a request, after the controller's first
pass: the labels the template's `workflowMetadata` adds (evaluated by the local controller,
`idp.local`), plus what the API server and the controller set on every Workflow (a creation
time, the pod-name annotation). `ran` is the compiled pipeline run to its end with scripted
steps (`tests.local.engine`): every node, output and label as the controller's rules make them.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from idp.commands.local import inputs_for
from idp.local.approval import Fixed
from idp.local.controller import Controller
from idp.manifests import Manifest
from tests.local.conftest import example
from tests.local.engine import PLAN, Ending, FakeClock, Scripted, compiled, run_compiled

POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"
CHANGES = "create azurerm_resource_group.this\ncreate azurerm_kubernetes_cluster.this"
OUTPUTS = {"resource_group": "rg-web-compute-dev", "node_count": 1}
APPROVER = "lee.reviewer@example.com"
RECORDED_APPROVER = "lee.reviewer.at.example.com"


def ago(**delta: float) -> str:
    """A creation time that long before now, as the API server writes it."""
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


@cache
def _objects(manifests_key: str) -> list[Manifest]:
    return compiled(json.loads(manifests_key))


def _stamped(workflow: Manifest, created: str) -> Manifest:
    meta = workflow["metadata"]
    meta["creationTimestamp"] = created
    meta.setdefault("annotations", {})[POD_NAME_FORMAT] = "v2"
    return workflow


def labelled(
    manifests: list[Manifest], kind: str = "compute", *, created: str, **changes: Any
) -> Manifest:
    """The Workflow for the kind's example request with `changes`, labelled by the controller."""
    body = json.dumps(example(kind, **changes)).encode()
    inputs = inputs_for(kind, body, _objects(json.dumps(manifests)))
    controller = Controller(
        inputs.workflow,
        inputs.template,
        executor=Scripted(),
        approver=Fixed("NO"),
        clock=FakeClock(),
    )
    controller._start()
    workflow = copy.deepcopy(dict(inputs.workflow))
    workflow["metadata"]["labels"] = dict(controller.workflow["metadata"]["labels"])
    return _stamped(workflow, created)


# The plan with changes that `ran` scripts: a retried plan's last attempt ends so too.
PLANNED = Ending(outputs={**PLAN.outputs, "changes": CHANGES})


def ran(
    manifests: list[Manifest],
    answer: str = "YES",
    script: dict[str, Ending | list[Ending]] | None = None,
    *,
    actor: str | None = APPROVER,
    created: str = "2027-01-15T08:00:00Z",
) -> Manifest:
    """The compute example run to its end: the plan has changes, the approval gets `answer`
    from `actor`, apply publishes OUTPUTS and the exit handler the outcome in `script`."""
    steps: dict[str, Any] = {
        "plan": PLANNED,
        "apply": Ending(outputs={"outputs": json.dumps(OUTPUTS)}),
        **(script or {}),
    }
    workflow, _ = run_compiled(manifests, Fixed(answer, actor), steps)
    return _stamped(workflow, created)


def finished(outcome: str, reason: str) -> Ending:
    """The exit handler's ending when it records `outcome`."""
    return Ending(outputs={"outcome": outcome, "reason": reason})


def with_status(workflow: Manifest, status: dict[str, Any]) -> Manifest:
    found = copy.deepcopy(workflow)
    found["status"] = status
    return found
