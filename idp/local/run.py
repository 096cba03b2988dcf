"""One local run: a rendered Workflow, its compiled WorkflowTemplate (or none, for a Workflow
made of a CronWorkflow, which carries its own spec) and ConfigMaps, in; the finished Workflow,
as the controller would store it, out.

`Inputs` are plain objects read from YAML (what `idp compile` writes and `idp render` prints);
nothing here imports Hera, the template definitions or the event code. While the run goes on,
each node's phase is shown as it changes, as `argo watch` does; at the end, the outcome the exit
handler recorded and the Workflow's phase.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from idp import labels
from idp.compat import ARGO_WORKFLOWS, tags
from idp.image import CHECKOV_ENV, LOCAL_STATE_ENV, LOCAL_STUB_ENV, MODULES_ROOT, POLICIES_ROOT
from idp.local import mutex
from idp.local.clock import RunClock
from idp.local.controller import Approver, Controller
from idp.local.nodes import Node
from idp.local.pods import (
    Artifacts,
    LocalPods,
    PathMap,
    Stub,
    output_default,
    output_parameters,
)
from idp.pipeline import STUBBABLE_PHASES

SHOWN_TYPES = ("Pod", "Suspend", "Skipped")
BACKOFF = "Backoff for "  # a Retry node's message while it waits (`processNodeRetries`)
TIMINGS = "timings.json"  # in the run folder: each step process's wall time, in seconds
STUB_PHASES = ("Succeeded", "Failed", "Error")


@dataclass
class Inputs:
    """What a run is made of, all as compiled objects."""

    workflow: dict[str, Any]
    template: dict[str, Any] | None  # None: the Workflow carries its own spec
    config_maps: dict[str, dict[str, str]]
    artifact_repository: dict[str, Any]


@dataclass
class Options:
    """How to run it on this machine."""

    modules: Path  # one Terraform module per kind, as MODULES_ROOT in the image
    policies: Path  # the platform's checkov policies, as POLICIES_ROOT in the image
    checkov: str  # the checkov program the policy step runs ("": the step is stubbed)
    state_dir: Path  # Terraform state and the mutex locks
    run_dir: Path  # pods' folders, logs, artifacts
    approver: Approver
    stubs: dict[str, str] = field(default_factory=dict)  # task: the phase it ends with
    stubbed_phases: tuple[str, ...] = ()  # phases of the step programs stood in for
    argo_version: str = tags(ARGO_WORKFLOWS)[-1]  # whose rules the run follows (idp.compat)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    show_logs: bool = False
    out: IO[str] = field(default_factory=lambda: sys.stderr)
    clock: RunClock = field(default_factory=RunClock)


@dataclass(frozen=True)
class Stubs:
    """What `--stub NAME=PHASE` stands in for: whole tasks, and phases of the step programs."""

    tasks: dict[str, str]
    phases: tuple[str, ...]


def task_templates(inputs: Inputs) -> dict[str, list[Mapping[str, Any]]]:
    """The names `--stub` can give a task, every DAG task of the run's templates and `onExit`,
    each with the templates it runs."""
    spec = (inputs.template or inputs.workflow).get("spec") or {}
    templates = {t.get("name"): t for t in spec.get("templates") or []}
    found: dict[str, list[Mapping[str, Any]]] = {"onExit": []}
    if spec.get("onExit") in templates:
        found["onExit"].append(templates[spec["onExit"]])
    for template in templates.values():
        for task in (template.get("dag") or {}).get("tasks") or []:
            runs = templates.get(task.get("template"))
            found.setdefault(str(task.get("name")), []).extend([runs] if runs else [])
    return found


def task_names(inputs: Inputs) -> set[str]:
    """The names `--stub` can give a task: every DAG task of the run's templates, and `onExit`."""
    return set(task_templates(inputs))


def check_stubs(stubs: Stubs, inputs: Inputs) -> None:
    """A task stubbed Succeeded runs nothing that writes its output parameters: refused (a
    ValueError naming them) when its template declares one without a default, which what
    depends on it could never resolve; the defaults are its outputs otherwise (`Stub`)."""
    templates = task_templates(inputs)
    for task, phase in stubs.tasks.items():
        if phase != "Succeeded":
            continue
        for template in templates.get(task, []):
            names = [p["name"] for p in output_parameters(template) if output_default(p) is None]
            if names:
                raise ValueError(
                    f"--stub {task}=Succeeded: template {template.get('name')} declares output "
                    f"parameters without a default ({', '.join(names)}), which a stub cannot "
                    "give and what depends on them needs; stub it Failed or Error, or stub the "
                    f"phases of its program that reach outside ({', '.join(STUBBABLE_PHASES)})"
                )


def parse_stubs(items: list[str], tasks: set[str]) -> Stubs:
    """`NAME=PHASE` items: NAME a task of the run (PHASE one of STUB_PHASES), or a phase of a
    step program that reaches outside (STUBBABLE_PHASES, only `=Succeeded`); ValueError naming a
    bad one."""
    found: dict[str, str] = {}
    phases: list[str] = []
    for item in items:
        name, _, phase = item.partition("=")
        if not name or phase not in STUB_PHASES:
            raise ValueError(
                f"--stub {item!r}: must be NAME=PHASE, PHASE one of {', '.join(STUB_PHASES)}"
            )
        if name in tasks:
            found[name] = phase
        elif name in STUBBABLE_PHASES:
            if phase != "Succeeded":
                raise ValueError(
                    f"--stub {item!r}: a step program's phase can only be stood in for as "
                    "Succeeded (stub its task to make it fail)"
                )
            phases.append(name)
        else:
            raise ValueError(
                f"--stub {item!r}: no task {name!r} in this run (tasks: "
                f"{', '.join(sorted(tasks))}; phases: {', '.join(STUBBABLE_PHASES)})"
            )
    return Stubs(found, tuple(dict.fromkeys(phases)))


def read_secrets(folder: Path | None) -> dict[str, dict[str, str]]:
    """Secrets laid out as Kubernetes mounts them: one folder per Secret, one file per key."""
    if folder is None:
        return {}
    if not folder.is_dir():
        raise ValueError(f"--secrets {folder}: not a folder")
    found: dict[str, dict[str, str]] = {}
    for secret in sorted(p for p in folder.iterdir() if p.is_dir()):
        found[secret.name] = {
            key.name: key.read_text(encoding="utf-8")
            for key in sorted(secret.iterdir())
            if key.is_file()
        }
    return found


def watcher(out: IO[str], clock: RunClock) -> Callable[[Node], None]:
    """Print a node's phase when it changes, one line, as `argo watch` shows it."""

    def show(node: Node) -> None:
        message = str(node.get("message") or "")
        if node.get("type") == "Retry" and message.startswith(BACKOFF):
            # Argo waits out a retry's backoff before it reads the retry policy
            # (operator.go, `processNodeRetries`): say why nothing seems to happen
            print(
                f"waiting   {node.get('displayName')}: {message.lower()} before Argo decides "
                "whether its retry policy retries it (it waits out the backoff first)",
                file=out,
            )
            out.flush()
            return
        if node.get("type") not in SHOWN_TYPES and not node.get("synchronizationStatus"):
            return  # a retried step's node is shown while it waits for its lock
        shown = str(node.get("displayName") or node["name"])
        if not node.get("boundaryID"):  # the exit handler's, named after the workflow
            shown = shown.rsplit(".", 1)[-1]
        message = f"  {node['message']}" if node.get("message") else ""
        print(f"  {shown:<24} {node['phase']:<10}{message}", file=out)
        out.flush()

    return show


def run(inputs: Inputs, options: Options) -> dict[str, Any]:
    """Run the Workflow to its end; the Workflow with its status."""
    name = inputs.workflow["metadata"]["name"]
    options.run_dir.mkdir(parents=True, exist_ok=True)
    options.state_dir.mkdir(parents=True, exist_ok=True)
    pods = LocalPods(
        run_dir=options.run_dir,
        workflow=name,
        paths=PathMap(
            {
                str(MODULES_ROOT): options.modules.resolve(),
                str(POLICIES_ROOT): options.policies.resolve(),
            }
        ),
        config_maps=inputs.config_maps,
        secrets=options.secrets,
        artifacts=Artifacts(options.run_dir / "artifacts", inputs.artifact_repository),
        extra_env={
            LOCAL_STATE_ENV: str(options.state_dir.resolve()),
            **({CHECKOV_ENV: options.checkov} if options.checkov else {}),
            **(
                {LOCAL_STUB_ENV: ",".join(options.stubbed_phases)} if options.stubbed_phases else {}
            ),
        },
        stubs={task: Stub(phase) for task, phase in options.stubs.items()},
        log=options.out if options.show_logs else None,
    )

    def waiting(key: str) -> None:
        print(
            f"waiting   for mutex {key}: another local run of this stack holds it",
            file=options.out,
        )

    started = time.time()
    removed: list[int] = []

    def clean_up(stopped: Controller) -> None:
        # while the stack's lock is still held: no other run of it can be saving a plan
        if stopped.workflow_lock:
            folder = plans_folder(options.state_dir, stopped.scope)
            removed.append(remove_saved_plans(folder, since=started) if folder else 0)

    controller = Controller(
        inputs.workflow,
        inputs.template,
        executor=pods,
        approver=options.approver,
        clock=options.clock,
        watcher=watcher(options.out, options.clock),
        locks=mutex.FileLocks(options.state_dir, waiting),
        on_interrupt=clean_up,
    )
    print(
        f"local     {name}: running on this machine with Argo Workflows {options.argo_version}'s "
        f"rules (files in {options.run_dir})",
        file=options.out,
    )
    try:
        result = controller.run()
    except KeyboardInterrupt:
        raise Interrupted(interrupted(controller.interrupted, sum(removed))) from None
    (options.run_dir / TIMINGS).write_text(json.dumps(pods.seconds, indent=2, sort_keys=True))
    summarize(result, options.out, options.run_dir)
    return result


class Interrupted(RuntimeError):
    """The run was interrupted (Ctrl-C, SIGTERM) and stopped cleanly; the message says what it
    left, in one line."""


def plans_folder(state_dir: Path, scope: Mapping[str, str]) -> Path | None:
    """The folder of the run's stack's waiting plans, `<kind>/<environment>/<name>.plans`
    beside its state (`workflows.steps.planstore.plans_prefix`; a test holds the two equal),
    from the Workflow's kind label and parameters; None for a Workflow without them."""
    kind = scope.get(f"workflow.labels.{labels.KIND}")
    environment = scope.get("workflow.parameters.environment")
    stack = scope.get("workflow.parameters.name")
    if not (kind and environment and stack):
        return None
    return state_dir / kind / environment / f"{stack}.plans"


def remove_saved_plans(folder: Path, *, since: float) -> int:
    """Delete the plans saved in one stack's plans folder since this run started (a plan holds
    every value in clear, and an interrupted run applies none); how many. Called only while
    the run holds the stack's lock, so no other run's plan is among them."""
    removed = 0
    for plan in folder.glob("*.tfplan"):
        with contextlib.suppress(OSError):
            if plan.stat().st_mtime >= since:
                plan.unlink()
                removed += 1
    return removed


def interrupted(stopped: list[str], removed: int) -> str:
    """What an interrupted run left, in one line."""
    steps = "; ".join(stopped) if stopped else "no step was running"
    plans = f"deleted {removed} saved plan{'s' if removed != 1 else ''}"
    return (
        f"interrupted: {steps}; {plans}; Terraform's state is as it left it and the stack's lock "
        "is free again: a re-run plans from that state"
    )


def global_output(workflow: Mapping[str, Any], name: str) -> str | None:
    for parameter in ((workflow.get("status") or {}).get("outputs") or {}).get("parameters") or []:
        if parameter.get("name") == name and parameter.get("value") is not None:
            return str(parameter["value"])
    return None


def summarize(workflow: Mapping[str, Any], out: IO[str], run_dir: Path) -> None:
    """The outcome, the notice's delivery and the Workflow's phase, a line each."""
    status = workflow.get("status") or {}
    name = workflow["metadata"]["name"]
    outcome = global_output(workflow, "outcome")
    if outcome is not None:
        reason = global_output(workflow, "reason") or ""
        print(f"outcome   {outcome}: {reason}", file=out)
    for node in (status.get("nodes") or {}).values():
        for parameter in (node.get("outputs") or {}).get("parameters") or []:
            if parameter.get("name") == "delivery" and node.get("type") == "Pod":
                print(f"notice    {parameter.get('value')}", file=out)
    message = f": {status['message']}" if status.get("message") else ""
    print(f"workflow  {name} {status.get('phase')}{message}", file=out)
    print(f"logs      {run_dir / 'logs'}", file=out)
