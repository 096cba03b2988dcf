"""A small harness for the controller's rules: hand-written templates, scripted steps.

`Scripted` is an executor that runs nothing: each container node ends as the script says for
its template (a phase, output values, a message). `workflow_of` turns a list of templates into
the Workflow and WorkflowTemplate the runner takes, as `idp render` and `idp compile` would.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from idp.commands.local import inputs_for
from idp.local.controller import Answer, Controller, Locks, PodResult, PodSpec
from idp.local.nodes import Node
from idp.local.run import Inputs
from idp.manifests import Manifest, to_yaml
from tests.local.conftest import example


@dataclass
class Ending:
    phase: str = "Succeeded"
    outputs: dict[str, str] = field(default_factory=dict)
    message: str = ""


@dataclass
class Scripted:
    """Executor: each start ends at once with the template's scripted Ending (or success),
    reported at the controller's next wait; `peak` is the most pods that were running at once."""

    script: Mapping[str, Ending | list[Ending]] = field(default_factory=dict)
    started: list[PodSpec] = field(default_factory=list)
    pending: list[PodResult] = field(default_factory=list)
    peak: int = 0

    def start(self, spec: PodSpec) -> None:
        self.started.append(spec)
        self.peak = max(self.peak, len(self.pending) + 1)
        planned = self.script.get(spec.template["name"], Ending())
        if isinstance(planned, list):
            planned = planned.pop(0) if len(planned) > 1 else planned[0]
        declared = (spec.template.get("outputs") or {}).get("parameters") or []
        parameters = [
            {
                **{k: v for k, v in p.items() if k != "valueFrom"},
                "value": planned.outputs[p["name"]],
            }
            for p in declared
            if p["name"] in planned.outputs
        ]
        artifacts = [
            {"name": a["name"], "path": a["path"], "raw": {"data": "scripted"}}
            for a in (spec.template.get("outputs") or {}).get("artifacts") or []
        ]
        outputs: dict[str, Any] | None = None
        if parameters or artifacts:
            outputs = {"parameters": parameters} if parameters else {}
            if artifacts:
                outputs["artifacts"] = artifacts
        self.pending.append(PodResult(spec.node_id, planned.phase, planned.message, outputs))

    def wait(self, timeout: float | None) -> list[PodResult]:
        found, self.pending = self.pending, []
        return found

    def running(self) -> int:
        return len(self.pending)

    def stop(self, node_ids: list[str] | None = None) -> list[PodResult]:
        return []

    def interrupt(self) -> list[str]:
        return []

    def ran(self) -> list[str]:
        return [spec.template["name"] for spec in self.started]


class FakeClock:
    """Time that only moves when asked."""

    def __init__(self) -> None:
        self.time = 1_800_000_000.0

    def now(self) -> float:
        return self.time

    def sleep_until(self, when: float) -> None:
        self.time = max(self.time, when)

    def advance_to(self, when: float) -> None:
        self.time = max(self.time, when)


def container(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "container": {"image": "step", "command": ["true"]}, **extra}


def dag(*tasks: dict[str, Any], name: str = "main") -> dict[str, Any]:
    return {"name": name, "dag": {"tasks": list(tasks)}}


def workflow_of(
    templates: list[dict[str, Any]],
    *,
    entrypoint: str = "main",
    on_exit: str | None = None,
    arguments: list[dict[str, Any]] | None = None,
    spec: Mapping[str, Any] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    template_spec: dict[str, Any] = {
        "entrypoint": entrypoint,
        "templates": templates,
        **(spec or {}),
    }
    if on_exit:
        template_spec["onExit"] = on_exit
    template = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "rules", "namespace": "test"},
        "spec": template_spec,
    }
    workflow = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": "wf",
            "namespace": "test",
            **({"annotations": dict(annotations)} if annotations else {}),
        },
        "spec": {
            "workflowTemplateRef": {"name": "rules"},
            "arguments": {"parameters": arguments or []},
        },
    }
    return workflow, template


def answers(*given: Answer) -> Any:
    queue = list(given)

    def answer(node: Node, view: Mapping[str, Any]) -> Answer:
        return queue.pop(0)

    return answer


def run(
    templates: list[dict[str, Any]],
    script: Mapping[str, Ending | list[Ending]] | None = None,
    *,
    approve: list[Answer] | None = None,
    seen: list[tuple[str, str, str]] | None = None,
    locks: Locks | None = None,
    clock: FakeClock | None = None,
    **options: Any,
) -> tuple[dict[str, Any], Scripted]:
    """Run hand-written templates; the finished Workflow and the executor. `seen` collects
    each node's (display name, phase, message) as it changes."""
    workflow, template = workflow_of(templates, **options)
    executor = Scripted(script or {})
    controller = Controller(
        workflow,
        template,
        executor=executor,
        approver=answers(*(approve or [])),
        clock=clock or FakeClock(),
        watcher=None if seen is None else record(seen),
        locks=locks,
    )
    return controller.run(), executor


def record(seen: list[tuple[str, str, str]]) -> Any:
    """A watcher that keeps (display name, phase, message) of every change it is shown."""

    def watch(node: Node) -> None:
        seen.append((node["displayName"], node["phase"], node.get("message", "")))

    return watch


def phase_of(workflow: Mapping[str, Any], name: str) -> str | None:
    """The phase of the node called `name` (its display name), or None when it does not exist."""
    for node in workflow["status"]["nodes"].values():
        if node["displayName"] == name:
            return str(node["phase"])
    return None


def node_named(workflow: Mapping[str, Any], name: str) -> dict[str, Any]:
    (node,) = [n for n in workflow["status"]["nodes"].values() if n["displayName"] == name]
    return dict(node)


# Every output the plan program publishes (idp.pipeline.PLAN_PARAMETERS) for a plan with
# changes that asks for approval: the approval's inputs name them, and a missing one would not
# resolve.
PLAN = Ending(
    outputs={
        "phases": "\n".join(
            ("validate: valid", "preflight: ok", "plan: 2 to add", "policy: none", "cost: +$72")
        ),
        "has_changes": "true",
        "summary": "2 to add, 0 to change, 0 to destroy",
        "changes": "create terraform_data.first\ncreate terraform_data.second",
        "sha256": "ab" * 32,
        "findings": "no findings",
        "cost": "+$72.48/month (from $0.00 to $72.48)",
        "waived": "false",
        "next": "approve",
    }
)


def plan_ending(**changes: str) -> Ending:
    """The scripted plan, with some outputs changed (e.g. `next="done"`)."""
    return Ending(outputs={**PLAN.outputs, **changes})


def compiled(manifests: list[Manifest]) -> list[Manifest]:
    """The objects as YAML would give them back (what `idp local` reads)."""
    return [yaml.safe_load(to_yaml(m)) for m in manifests]


_INPUTS: dict[tuple[int, str], Inputs] = {}


def _inputs(manifests: list[Manifest], kind: str) -> Inputs:
    """The kind's example body rendered through the compiled objects, once per manifests (the
    controller copies what it changes)."""
    key = (id(manifests), kind)
    if key not in _INPUTS:
        body = json.dumps(example(kind, name="scripted")).encode()
        _INPUTS[key] = inputs_for(kind, body, compiled(manifests))
    return _INPUTS[key]


def run_compiled(
    manifests: list[Manifest],
    approver: Any,
    script: Mapping[str, Ending] | None = None,
    kind: str = "compute",
) -> tuple[dict[str, Any], Scripted]:
    found = _inputs(manifests, kind)
    inputs = copy.deepcopy(found)
    executor = Scripted({"plan": PLAN, **(script or {})})
    controller = Controller(
        inputs.workflow, inputs.template, executor=executor, approver=approver, clock=FakeClock()
    )
    return controller.run(), executor
