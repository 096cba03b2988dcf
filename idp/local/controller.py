"""The controller's rules for one Workflow, run on this machine: `Controller.run`.

Like Argo's workflow controller (`workflow/controller/operator.go`, `operate`), each pass walks
the templates from the entrypoint and creates, starts or completes nodes; between passes it
waits for a step process to end, an approval to be answered, or a backoff or a suspend to run
out. The rules, each named after the upstream function it follows (Argo v4.1.2):

- `executeTemplate`: inputs from arguments then defaults (`common.ProcessArgs`; an argument
  that only named an absent optional is not supplied), substitution of global, local and input
  parameters (`common.SubstituteParams`), a Retry node around a template with a retryStrategy,
  then the template by type; what fails there is the node's error, which a DAG task records as
  `task '<node>' errored: ...` and the entrypoint as the Workflow's error;
- `executeDAG`, `executeDAGTask`, `assessDAGPhase`, `evaluateDependsLogic`,
  `resolveDependencyReferences` (`dag.go`): tasks run when their dependencies are fulfilled
  and their `depends` holds (else Omitted), `when` is substituted strictly then evaluated by
  govaluate (`shouldExecute`; false is Skipped) before the rest of the task is resolved, a
  Skipped or Omitted ancestor's outputs are its declared defaults or absent optionals
  (`addSkippedNodeOutputsToScope`, `markAbsentOptionalArgs`, `scope.go`), the DAG's phase
  comes from its leaves (with `dag.failFast: false`, only once every leaf has ended), a
  continueOn leaf does not fail it, outputs of its tasks go to the global scope;
- `expandTask` (`dag.go`, with `processItem` and `generateNodeName`, `idp.local.items`): a
  task with `withParam` becomes a TaskGroup node with one child per item, in Error when the
  items cannot be read, Skipped without items; the group ends when every child has, Failed or
  Error when one did; `depends` on it can read AnySucceeded and AllFailed;
- `checkParallelism` (`operator.go`, counting as `node_counters.go` does): a DAG with
  `parallelism` N starts no child while N of its children are Pending or Running, and is not
  walked while N of its pods run;
- a template's mutex (`TryAcquire`/`Release` in `workflow/sync/sync_manager.go`, called from
  `executeTemplate` and `executeDAGTask`): the node waits Pending, with Argo's message, until
  it holds the lock, and lets it go when it is fulfilled; the lock is the same as a
  Workflow's mutex of that name in the namespace (`idp.local.mutex`);
- `processNodeRetries`: the retry policy (Always, OnFailure, OnError), the limit, the backoff
  (duration, factor, cap) and `maxDuration`, which also becomes the retried pod's deadline
  (`workflowpod.go`, `getDeadline`);
- `executeSuspend`: a suspend node waits until answered or until its duration passes; then
  every supplied output takes its default (`OverrideOutputParametersWithDefault`, after
  `addRawOutputFields` filled a missing default from the same-named input);
- `updateSuspendedNode` (`workflow/util/util.go`): an answer sets only supplied outputs that
  are not yet set, on an active suspend node, then the node is resumed;
- the exit handler after the entrypoint, with `workflow.status` and `workflow.failures`; the
  Workflow's phase from the entrypoint's, Failed when a succeeded run's exit handler fails;
- Stop fails active suspend nodes and running steps, then runs the exit handler; Terminate runs
  nothing more (`failNodesWithoutCreatedPodsAfterDeadlineOrShutdown`, `ShouldExecute`);
- a Workflow-level mutex held for the whole run (`synchronization.mutexes`);
- `workflow.scheduledTime` from the Workflow's `scheduled-time` annotation, which the cron
  controller sets (`setGlobalParameters`; `idp.local.cron` makes such a Workflow).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from idp.actor import dns_friendly
from idp.durations import argo_duration
from idp.local import depends as deps
from idp.local import items
from idp.local.cron import SCHEDULED_TIME
from idp.local.expr import ExprError, expand, parse, sprig_functions
from idp.local.govaluate import WhenError, should_execute
from idp.local.mutex import lock_key
from idp.local.nodes import (
    ERROR,
    FAILED,
    OMITTED,
    PENDING,
    RUNNING,
    SKIPPED,
    SUCCEEDED,
    Node,
    Nodes,
    completed,
    display_name,
    failed_or_error,
    failures_json,
    fulfilled,
)
from idp.local.spec import check_workflow, check_workflow_with_spec
from idp.local.templating import (
    ExpressionTag,
    MissingVariable,
    TemplateError,
    go_json,
    substitute,
)
from idp.podnames import generate_pod_name
from idp.times import parse_time, rfc3339

# Kubernetes' message for a pod past activeDeadlineSeconds; the executor's for a retry's deadline
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
EXECUTION_DEADLINE_MESSAGE = "Step exceeded its deadline"
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LOCK_POLL_SECONDS = 2.0  # how often a node waiting for another run's lock tries again
_WORKFLOW_PHASE = {
    SUCCEEDED: "Succeeded",
    SKIPPED: "Succeeded",
    OMITTED: "Succeeded",
    FAILED: "Failed",
    ERROR: "Error",
}


class LocalRunError(RuntimeError):
    """The local run cannot go on (not a workflow outcome): the message says why."""


class _Errored(Exception):
    """`executeTemplate` returned an error: the node it left in Error, and the error."""

    def __init__(self, node: dict[str, Any], message: str) -> None:
        super().__init__(message)
        self.node, self.message = node, message


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep_until(self, when: float) -> None: ...

    def advance_to(self, when: float) -> None: ...


@dataclass
class PodSpec:
    """A container node to run: its processed template and its deadlines."""

    node_id: str
    node_name: str
    pod_name: str
    template: dict[str, Any]
    deadline_seconds: float | None  # from the start: activeDeadlineSeconds or a retry's maxDuration
    deadline_message: str = ""


@dataclass
class PodResult:
    """How a container node ended."""

    node_id: str
    phase: str
    message: str = ""
    outputs: dict[str, Any] | None = None
    finished: float = 0.0


class Held(Protocol):
    def close(self) -> None: ...


class Locks(Protocol):
    """Mutexes by lock key: `hold` waits for one, `try_hold` gives None when it is taken."""

    def hold(self, key: str) -> Held: ...

    def try_hold(self, key: str) -> Held | None: ...


class _Unheld:
    """The lock of a run without lock files: only this run's own nodes take turns."""

    def close(self) -> None:
        return None


class Executor(Protocol):
    def start(self, spec: PodSpec) -> None: ...

    def wait(self, timeout: float | None) -> list[PodResult]: ...

    def running(self) -> int: ...

    def stop(self, node_ids: list[str] | None = None) -> list[PodResult]: ...

    def interrupt(self) -> list[str]:
        """Stop every running step gracefully, waiting until each has ended; what was
        stopped, one line each."""
        ...


@dataclass
class Answer:
    """What happens to a waiting approval: `set` outputs and resume, let it `expire`, or
    `stop`/`terminate` the workflow. `actor` holds the claims of whoever answered (`sub`,
    `email`, `preferred_username`), as the Argo Server has them; None with SSO off."""

    action: str
    outputs: dict[str, str] = field(default_factory=dict)
    actor: Mapping[str, str] | None = None


ACTOR_LABELS = {
    "sub": "workflows.argoproj.io/actor",
    "email": "workflows.argoproj.io/actor-email",
    "preferred_username": "workflows.argoproj.io/actor-preferred-username",
}
ACTION_LABEL = "workflows.argoproj.io/action"


def label_actor(labels: dict[str, str], claims: Mapping[str, str] | None, action: str) -> None:
    """creator.go, `Label` (through `LabelActor`): the caller's claims as labels, each removed
    when absent; all removed without claims."""
    if claims is None:
        for key in (*ACTOR_LABELS.values(), ACTION_LABEL):
            labels.pop(key, None)
        return
    for claim, key in ACTOR_LABELS.items():
        value = claims.get(claim, "")
        if claim == "email":
            value = value.replace("@", ".at.", 1)
        if value:
            labels[key] = dns_friendly(value)
        else:
            labels.pop(key, None)
    if action:
        labels[ACTION_LABEL] = dns_friendly(action)
    else:
        labels.pop(ACTION_LABEL, None)


Approver = Callable[[Node, Mapping[str, Any]], Answer]
Watcher = Callable[[Node], None]


@dataclass
class _DagContext:
    boundary_name: str
    boundary_id: str
    template: dict[str, Any]
    tasks: dict[str, dict[str, Any]]
    on_exit: bool
    visited: set[str] = field(default_factory=set)
    dependencies: dict[str, tuple[list[str], str]] = field(default_factory=dict)

    def task_node_name(self, task: str) -> str:
        return f"{self.boundary_name}.{task}"

    def deps_of(self, task: str) -> tuple[list[str], str]:
        if task not in self.dependencies:
            self.dependencies[task] = deps.dependencies(self.tasks[task], self.tasks)
        return self.dependencies[task]


class Controller:
    """Runs one Workflow (as a compiled dict): made from a WorkflowTemplate, or, with no
    template, carrying its own spec (as one the cron controller makes)."""

    def __init__(
        self,
        workflow: Mapping[str, Any],
        template: Mapping[str, Any] | None,
        *,
        executor: Executor,
        approver: Approver,
        clock: Clock,
        watcher: Watcher | None = None,
        locks: Locks | None = None,
        on_interrupt: Callable[[Controller], None] | None = None,
    ) -> None:
        if template is None:
            check_workflow_with_spec(workflow)
            spec = workflow["spec"]
        else:
            check_workflow(workflow, template)
            spec = template["spec"]
        self.workflow: dict[str, Any] = copy.deepcopy(dict(workflow))
        self.template = template
        self.spec: dict[str, Any] = copy.deepcopy(dict(spec))
        self.name: str = self.workflow["metadata"]["name"]
        self.templates = {t["name"]: t for t in self.spec.get("templates", [])}
        self.nodes = Nodes(self.name)
        self.executor, self.approver, self.clock = executor, approver, clock
        self.watcher = watcher or (lambda node: None)
        self.locks = locks
        self.on_interrupt = on_interrupt  # after the steps stopped, before a lock is released
        self.namespace: str = self.workflow["metadata"].get("namespace", "")
        self._workflow_lock = ""  # the key of the Workflow's own mutex, once held
        self._node_locks: dict[str, tuple[str, Held]] = {}  # node id: (lock key, held)
        self._started: set[str] = set()  # nodes whose pod (process) was started
        self.scope: dict[str, str] = {}
        self.global_outputs: list[dict[str, Any]] = []
        self.status: dict[str, Any] = {"phase": "Pending"}
        self.shutdown = ""
        self.requeue_at: float | None = None
        self.stuck_reason = ""
        self.interrupted: list[str] = []  # what an interrupt stopped (see `run`)
        self.changed = False
        self._shown: dict[str, str] = {}
        self._results: list[PodResult] = []
        self.arguments: list[dict[str, Any]] = []

    # -- the loop -----------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Run to the end; the Workflow as the controller would store it."""
        self._start()
        held = None
        try:
            if self.status["phase"] == "Running":
                held = self._acquire_mutex()
                while self.status["phase"] not in ("Succeeded", "Failed", "Error"):
                    self.changed = False
                    self.requeue_at = None
                    self.stuck_reason = ""
                    try:
                        self._operate()
                    except ExpressionTag as exc:
                        raise LocalRunError(str(exc)) from None
                    self._announce()
                    if self.status["phase"] in ("Succeeded", "Failed", "Error"):
                        break
                    self._wait()
        except KeyboardInterrupt:
            # Ctrl-C or SIGTERM: the steps stop as a pod's processes would (Terraform gets the
            # signal it handles), and every lock stays held until they are gone.
            self.interrupted = self.executor.interrupt()
            if self.on_interrupt is not None:
                self.on_interrupt(self)
            raise
        finally:
            for node_id in list(self._node_locks):
                self._release_node(node_id)
            if held is not None:
                held.close()
        return self.result()

    @property
    def workflow_lock(self) -> str:
        """The key of the Workflow's own mutex once this run took it ("" before, or when it has
        none): while it is held, no other run of the stack runs."""
        return self._workflow_lock

    def result(self) -> dict[str, Any]:
        status = dict(self.status)
        status["nodes"] = {node["id"]: node for node in self.nodes}
        if self.global_outputs:
            status["outputs"] = {"parameters": self.global_outputs}
        return {**self.workflow, "status": status}

    def stop(self, strategy: str = "Stop") -> None:
        """`argo stop` (exit handler runs) or `argo terminate` (nothing more runs)."""
        self.shutdown = strategy
        if strategy == "Terminate":
            self._results += self.executor.stop()

    def _announce(self) -> None:
        for node in self.nodes:
            seen = f"{node.get('phase')}|{node.get('message', '')}"
            if self._shown.get(node["id"]) != seen:
                self._shown[node["id"]] = seen
                self.watcher(node)

    def _wait(self) -> None:
        ready = self.executor.wait(0)
        if ready:
            self._results += ready
            return
        if self.executor.running():
            timeout = None if self.requeue_at is None else self.requeue_at - self.clock.now()
            self._results += self.executor.wait(timeout)
            return
        waiting = [n for n in self.nodes if n.get("type") == "Suspend" and n["phase"] == RUNNING]
        if waiting and not self.shutdown:
            node = min(waiting, key=lambda n: n.get("startedAt") or "")
            self._answer(node, self.approver(node, self._suspend_view(node)))
            return
        if self.requeue_at is not None:
            self.clock.sleep_until(self.requeue_at)
            return
        if not self.changed:
            reason = self.stuck_reason or "nothing left to run and the workflow is not finished"
            raise LocalRunError(f"the workflow makes no progress: {reason}")

    # -- starting and finishing ------------------------------------------------------------

    def _start(self) -> None:
        now = self.clock.now()
        self.status.update(phase="Running", startedAt=rfc3339(now))
        meta = self.workflow["metadata"]
        self.workflow["spec"] = dict(self.workflow.get("spec") or {})
        arguments = _merge_parameters(
            (self.spec.get("arguments") or {}).get("parameters") or [],
            (self.workflow["spec"].get("arguments") or {}).get("parameters") or [],
        )
        self.arguments = arguments
        self.scope.update(
            {
                "workflow.name": self.name,
                "workflow.namespace": meta.get("namespace", ""),
                "workflow.mainEntrypoint": self.spec.get("entrypoint", ""),
                "workflow.serviceAccountName": self.spec.get("serviceAccountName", ""),
                "workflow.uid": f"local-{self.name}",
                "workflow.creationTimestamp": rfc3339(now),
                "workflow.parameters": json.dumps(arguments, separators=(",", ":")),
                "workflow.parameters.json": json.dumps(arguments, separators=(",", ":")),
            }
        )
        scheduled = (meta.get("annotations") or {}).get(SCHEDULED_TIME)
        if scheduled is not None:
            self.scope["workflow.scheduledTime"] = str(scheduled)
        for parameter in arguments:
            if parameter.get("value") is None:
                return self._error(
                    "failed to set global parameters: either value or valueFrom must be "
                    f"specified in order to set global parameter {parameter['name']}"
                )
            self.scope[f"workflow.parameters.{parameter['name']}"] = str(parameter["value"])
        try:
            self._labels()
        except (ExprError, ValueError) as exc:
            return self._error(str(exc))
        return None

    def _labels(self) -> None:
        """`updateWorkflowMetadata`: labels, then labelsFrom expressions (valid label values)."""
        metadata = self.spec.get("workflowMetadata") or {}
        labels = self.workflow["metadata"].setdefault("labels", {})
        for name, value in (metadata.get("labels") or {}).items():
            _check_label(name, value)
            labels[name] = value
        self._publish_labels()
        env = {**expand(self.scope), "sprig": sprig_functions()}
        for name, source in (metadata.get("labelsFrom") or {}).items():
            expression = source["expression"]
            try:
                value = parse(expression).evaluate(env)
            except ExprError as exc:
                raise ValueError(f"failed to evaluate label {name!r} expression: {exc}") from None
            if not isinstance(value, str):
                raise ValueError(f"label {name!r} expression {expression!r} is not a string")
            _check_label(name, value, expression)
            labels[name] = value
        self._publish_labels()

    def _publish_labels(self) -> None:
        """The Workflow's labels as templates see them, each by name and all as JSON
        (operator.go, `setGlobalParameters`, on every pass)."""
        labels = self.workflow["metadata"].get("labels") or {}
        for key in [k for k in self.scope if k.startswith("workflow.labels.")]:
            del self.scope[key]
        every = json.dumps(labels, separators=(",", ":"), sort_keys=True)
        self.scope["workflow.labels"] = every
        self.scope["workflow.labels.json"] = every
        for key, value in labels.items():
            self.scope[f"workflow.labels.{key}"] = value

    def _acquire_mutex(self) -> Held | None:
        """The Workflow's mutex (operator.go, `operate`, `TryAcquire` with no node), held for
        the whole run under its lock key, recorded as `LockAcquired` records it."""
        mutexes = (self.spec.get("synchronization") or {}).get("mutexes") or []
        if not mutexes or self.locks is None:
            return None
        if len(mutexes) > 1:
            raise LocalRunError("idp local holds one workflow-level mutex; the template has more")
        name = substitute(mutexes[0]["name"], self.scope)
        if "{{" in name:
            raise LocalRunError(f"mutex name {name!r} did not resolve")
        key = lock_key(self.namespace, name)
        held = self.locks.hold(key)
        self._workflow_lock = key
        self._holding().append({"mutex": key, "holder": f"{self.namespace}/{self.name}"})
        return held

    def _holding(self) -> list[dict[str, str]]:
        """`status.synchronization.mutex.holding` (`MutexStatus`)."""
        mutex = self.status.setdefault("synchronization", {}).setdefault("mutex", {})
        holding: list[dict[str, str]] = mutex.setdefault("holding", [])
        return holding

    # -- a template's mutex -------------------------------------------------------------

    def _try_node_lock(self, node_id: str, template: Mapping[str, Any]) -> tuple[str, str]:
        """`TryAcquire` for a node (sync_manager.go; `checkAcquire`, semaphore.go): ("", "")
        when the node holds the template's mutex (now or already), else the lock key and the
        message it waits with. A lock held by another run is tried again every few seconds."""
        name = str(template["synchronization"]["mutexes"][0]["name"])
        key = lock_key(self.namespace, name)
        if node_id in self._node_locks:
            return "", ""
        if key == self._workflow_lock:
            raise LocalRunError(
                f"template {template.get('name')} takes mutex {key}, which this Workflow holds "
                "for its whole run: Argo would wait for it forever"
            )
        waiting = f"Waiting for {key} lock. Lock status: 0/1"
        if any(taken == key for taken, _ in self._node_locks.values()):
            return key, waiting
        held = _Unheld() if self.locks is None else self.locks.try_hold(key)
        if held is None:
            self._requeue(self.clock.now() + LOCK_POLL_SECONDS, f"{key} is held by another run")
            return key, waiting
        self._node_locks[node_id] = (key, held)
        holder = f"{self.namespace}/{self.name}/{node_id}"
        self._holding().append({"mutex": key, "holder": holder})
        self.changed = True
        return "", ""

    def _release_node(self, node_id: str) -> None:
        """`Release` (sync_manager.go) of what a node holds, and `LockReleased` on the status."""
        taken = self._node_locks.pop(node_id, None)
        if taken is None:
            return
        key, held = taken
        held.close()
        holder = f"{self.namespace}/{self.name}/{node_id}"
        holding = self._holding()
        holding[:] = [h for h in holding if (h["mutex"], h.get("holder")) != (key, holder)]
        self.changed = True

    def _wait_for_lock(self, node: Node, key: str, message: str) -> Node:
        """`markNodeWaitingForLock`: the node stays Pending, waiting for `key`."""
        if node.get("synchronizationStatus") != {"waiting": key}:
            node["synchronizationStatus"] = {"waiting": key}
            self.changed = True
        return self._mark(node, node["phase"], message)

    def _lock_taken(self, node: Node) -> None:
        """`markNodeWaitingForLock` with no lock: nothing awaited, no message."""
        if node.pop("synchronizationStatus", None) is not None:
            self.changed = True
        self._mark(node, node["phase"], "")

    def _error(self, message: str) -> None:
        self.status.update(phase="Error", message=message, finishedAt=rfc3339(self.clock.now()))

    def _finish(self, phase: str, message: str = "") -> None:
        """The Workflow's end; its locks are all released (`ReleaseAll`, operator.go, once the
        Workflow is fulfilled), so its status holds none."""
        self.status.pop("synchronization", None)
        for node in self.nodes:
            node.pop("synchronizationStatus", None)
        self.status["phase"] = phase
        if message:
            self.status["message"] = message
        self.status["finishedAt"] = rfc3339(self.clock.now())

    # -- one pass ---------------------------------------------------------------------------

    def _operate(self) -> None:
        self._reconcile()
        if self.shutdown:
            self._fail_for_shutdown()
        entry = self.spec["entrypoint"]
        try:
            node = self._execute_template(
                self.name, {"template": entry}, self._workflow_arguments(), ""
            )
        except _Errored as exc:
            return self._finish("Error", f"error in entry template execution: {exc.message}")
        if node is None or not fulfilled(node):
            return
        status = _WORKFLOW_PHASE[node["phase"]]
        self.scope["workflow.status"] = status
        self.scope["workflow.failures"] = failures_json(self.nodes)
        exit_node = None
        on_exit = self.spec.get("onExit")
        if on_exit:
            exit_name = f"{self.name}.onExit"
            exit_node = self.nodes.get(exit_name)
            if exit_node is not None or self.shutdown != "Terminate":
                try:
                    exit_node = self._execute_template(
                        exit_name, {"template": on_exit}, {}, "", on_exit=True, hooked=True
                    )
                except _Errored as exc:
                    return self._finish(
                        "Error", f"error in exit template execution : {exc.message}"
                    )
                if exit_node is None or not fulfilled(exit_node):
                    return
        if failed_or_error(node) and self.shutdown:
            message = f"Stopped with strategy '{self.shutdown}'"
        else:
            message = node.get("message", "")
        if status == "Succeeded":
            if exit_node is not None and failed_or_error(exit_node):
                self._finish(_WORKFLOW_PHASE[exit_node["phase"]], exit_node.get("message", ""))
            else:
                self._finish("Succeeded")
        else:
            self._finish(status, message)

    def _workflow_arguments(self) -> dict[str, Any]:
        return {"parameters": self.arguments}

    def _global_params(self) -> dict[str, str]:
        return dict(self.scope)

    def _add_global_output(self, parameter: Mapping[str, Any]) -> None:
        """`addParamToGlobalScope`."""
        name = parameter.get("globalName")
        if not name:
            return
        value = parameter.get("value")
        if value is not None:
            self.scope[f"workflow.outputs.parameters.{name}"] = str(value)
        for item in self.global_outputs:
            if item["name"] == name:
                if value is not None and item.get("value") != value:
                    item["value"] = value
                    self.changed = True
                return
        self.global_outputs.append({"name": name, "value": value})
        self.changed = True

    def _add_outputs_to_global(self, outputs: Mapping[str, Any] | None) -> None:
        for parameter in (outputs or {}).get("parameters") or []:
            self._add_global_output(parameter)

    # -- nodes ------------------------------------------------------------------------------

    def _init_node(
        self,
        name: str,
        kind: str,
        template_name: str,
        boundary_id: str,
        phase: str,
        *,
        message: str = "",
        hooked: bool = False,
        retried: bool = False,
        executed: Mapping[str, Any] | None = None,
    ) -> Node:
        """`initializeNode`; with the template it executes, `initializeExecutableNode`, which
        records that template's inputs (as substituted) on the node."""
        now = rfc3339(self.clock.now())
        boundary = self.nodes.by_id.get(boundary_id)
        node: Node = {
            "id": self.nodes.id_of(name),
            "name": name,
            "displayName": display_name(name, boundary["name"] if boundary else None),
            "type": kind,
            "templateName": template_name,
            "templateScope": "local/" + self.name,
            "phase": phase,
            "startedAt": now,
        }
        if boundary_id:
            node["boundaryID"] = boundary_id
        if hooked or retried:
            node["nodeFlag"] = {k: True for k, v in (("hooked", hooked), ("retried", retried)) if v}
        if phase in (SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED):
            node["finishedAt"] = now
        if message:
            node["message"] = message
        inputs = (executed or {}).get("inputs") or {}
        if inputs.get("parameters"):
            node["inputs"] = copy.deepcopy(inputs)
        self.changed = True
        return self.nodes.add(node)

    def _mark(self, node: Node, phase: str, message: str | None = None) -> Node:
        """`markNodePhase`."""
        if node.get("phase") != phase:
            node["phase"] = phase
            self.changed = True
        if message is not None and message != node.get("message", ""):
            if message:
                node["message"] = message
            else:
                node.pop("message", None)
            self.changed = True
        if phase in (SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED) and not node.get("finishedAt"):
            node["finishedAt"] = rfc3339(self.clock.now())
        return node

    def _error_node(
        self, name: str, node: Node | None, template: str, boundary: str, error: str, **flags: bool
    ) -> _Errored:
        """`initializeNodeOrMarkError`, and the error `executeTemplate` returns with it."""
        if node is None:
            node = self._init_node(
                name,
                "Skipped",
                template,
                boundary,
                ERROR,
                message=error,
                hooked=flags.get("hooked", False),
                retried=flags.get("retried", False),
            )
        return _Errored(self._mark(node, ERROR, error), error)

    # -- templates --------------------------------------------------------------------------

    def _execute_template(
        self,
        name: str,
        ref: Mapping[str, Any],
        arguments: Mapping[str, Any],
        boundary_id: str,
        *,
        on_exit: bool = False,
        hooked: bool = False,
        task_name: str = "",
    ) -> Node | None:
        node = self.nodes.get(name)
        template_name = str(ref["template"])
        template = self.templates.get(template_name)
        if template is None:
            message = f"template {template_name} not found"
            raise self._error_node(name, node, template_name, boundary_id, message, hooked=hooked)
        local = {"node.name": name}
        if task_name:
            local["tasks.name"] = task_name
        if "container" in template and not template.get("retryStrategy"):
            local["pod.name"] = generate_pod_name(self.name, name, template_name)
        try:
            processed = self._process_args(template, arguments, local)
        except TemplateError as exc:
            raise self._error_node(
                name, node, template_name, boundary_id, str(exc), hooked=hooked
            ) from None
        if node is not None and fulfilled(node):
            self._release_node(node["id"])
            return node
        if self._parallelism_reached(processed, node, boundary_id):
            return node
        if processed.get("synchronization"):
            key, waiting = self._try_node_lock(self.nodes.id_of(name), processed)
            if waiting:
                if node is None:
                    kind = "Retry" if processed.get("retryStrategy") else "Pod"
                    node = self._init_node(
                        name,
                        kind,
                        template_name,
                        boundary_id,
                        PENDING,
                        hooked=hooked,
                        executed=processed,
                    )
                return self._wait_for_lock(node, key, waiting)
            if node is not None:
                self._lock_taken(node)
        retry = processed.get("retryStrategy")
        retry_name = ""
        execution_deadline = None
        if retry:
            retry_name = name
            parent = node
            if parent is None:
                parent = self._init_node(
                    name,
                    "Retry",
                    template_name,
                    boundary_id,
                    RUNNING,
                    hooked=hooked,
                    executed=processed,
                )
            go_on, execution_deadline = self._process_retries(parent, retry)
            if not go_on:
                return parent
            if fulfilled(parent):
                last = self._last_attempt(parent)
                if last is not None and last.get("outputs") is not None:
                    parent["outputs"] = copy.deepcopy(last["outputs"])
                return parent
            attempts = self._attempts(parent)
            last = self._last_attempt(parent)
            if last is not None and not fulfilled(last):
                name, node = last["name"], last
                number = len(attempts) - 1
            else:
                number = len(attempts)
                name = f"{retry_name}({number})"
                self.nodes.add_child(retry_name, name)
                node = None
            local = {"node.name": name, "retries": str(number)}
            if "container" in template:
                local["pod.name"] = generate_pod_name(self.name, name, template_name)
            try:
                processed = self._process_args(template, arguments, local)
            except TemplateError as exc:
                raise self._error_node(
                    name, node, template_name, boundary_id, str(exc), retried=True
                ) from None
        flags = {"hooked": hooked, "retried": bool(retry_name)}
        if "dag" in processed:
            result = self._execute_dag(name, processed, boundary_id, on_exit, **flags)
        elif "suspend" in processed:
            result, error = self._execute_suspend(name, processed, boundary_id, **flags)
            if error and (retry or {}).get("retryPolicy") not in ("Always", "OnError"):
                raise _Errored(result, error)
        else:
            result = self._execute_container(
                name, processed, boundary_id, execution_deadline, on_exit=on_exit, **flags
            )
        if retry_name and retry:
            parent = self.nodes.get(retry_name)
            if parent is None:
                raise LocalRunError(f"retry node {retry_name} vanished")
            self._process_retries(parent, retry)
            if fulfilled(parent):
                last = self._last_attempt(parent)
                if last is not None and last.get("outputs") is not None:
                    parent["outputs"] = copy.deepcopy(last["outputs"])
                self._release_node(parent["id"])
            return parent
        if fulfilled(result):
            self._release_node(result["id"])
        return result

    def _parallelism_reached(
        self, template: Mapping[str, Any], node: Node | None, boundary_id: str
    ) -> bool:
        """`checkParallelism` (operator.go): an existing DAG node with `parallelism` N waits
        while N of its pods run (`getActivePods`: Pending or Running, not waiting for a lock,
        started); a node about to start (none yet, or one not Pending or Running) waits while
        its DAG's N children are Pending or Running (`getActiveChildren`: Pods, Steps, DAGs,
        those waiting for a lock included)."""
        limit = int(template.get("parallelism") or 0)
        if node is not None and "dag" in template and 0 < limit <= self._active_pods(node["id"]):
            return True
        if boundary_id and (node is None or node["phase"] not in (PENDING, RUNNING)):
            boundary = self.nodes.by_id.get(boundary_id) or {}
            boundary_template = self.templates.get(boundary.get("templateName", "")) or {}
            limit = int(boundary_template.get("parallelism") or 0)
            if limit > 0 and self._active_children(boundary_id) >= limit:
                return True
        return False

    def _active_pods(self, boundary_id: str) -> int:
        """`getActivePods` (node_counters.go)."""
        return sum(
            1
            for n in self.nodes
            if n.get("type") == "Pod"
            and n.get("boundaryID") == boundary_id
            and n["phase"] in (PENDING, RUNNING)
            and not (n.get("synchronizationStatus") or {}).get("waiting")
            and n["id"] in self._started
        )

    def _active_children(self, boundary_id: str) -> int:
        """`getActiveChildren` (node_counters.go)."""
        return sum(
            1
            for n in self.nodes
            if n.get("boundaryID") == boundary_id
            and n.get("type") in ("Pod", "Steps", "DAG")
            and n["phase"] in (PENDING, RUNNING)
        )

    def _process_args(
        self, template: Mapping[str, Any], arguments: Mapping[str, Any], local: Mapping[str, str]
    ) -> dict[str, Any]:
        """`common.ProcessArgs` and `SubstituteParams`."""
        new = copy.deepcopy(dict(template))
        given = {p["name"]: p for p in (arguments.get("parameters") or [])}
        inputs = new.get("inputs") or {}
        for parameter in inputs.get("parameters") or []:
            if parameter.get("value") is None and parameter.get("default") is not None:
                parameter["value"] = parameter["default"]
            argument = given.get(parameter["name"])
            if argument is not None and argument.get("value") == ABSENT_ARGUMENT:
                if parameter.get("value") is None and parameter.get("valueFrom") is None:
                    raise TemplateError(
                        f"inputs.parameters.{parameter['name']}: argument references an absent "
                        "optional (skipped/omitted node output with no default)"
                    )
            elif argument is not None and argument.get("value") is not None:
                parameter["value"] = argument["value"]
        values: dict[str, Any] = {**self._global_params(), **local}
        first = substitute(new, values)
        for parameter in (first.get("inputs") or {}).get("parameters") or []:
            if parameter.get("value") is None:
                raise TemplateError(f"inputs.parameters.{parameter['name']} had no value")
            values[f"inputs.parameters.{parameter['name']}"] = str(parameter["value"])
        values["inputs.parameters"] = go_json((first.get("inputs") or {}).get("parameters") or [])
        for artifact in (first.get("outputs") or {}).get("artifacts") or []:
            if artifact.get("path"):
                values[f"outputs.artifacts.{artifact['name']}.path"] = artifact["path"]
        for parameter in (first.get("outputs") or {}).get("parameters") or []:
            path = (parameter.get("valueFrom") or {}).get("path")
            if path:
                values[f"outputs.parameters.{parameter['name']}.path"] = path
        result: dict[str, Any] = substitute(first, values)
        return result

    # -- retries ----------------------------------------------------------------------------

    def _attempts(self, parent: Node) -> list[Node]:
        found = []
        for child in parent.get("children") or []:
            node = self.nodes.by_id.get(child)
            if node is not None and (node.get("nodeFlag") or {}).get("retried"):
                found.append(node)
        return found

    def _last_attempt(self, parent: Node) -> Node | None:
        attempts = self._attempts(parent)
        return attempts[-1] if attempts else None

    def _process_retries(self, parent: Node, retry: Mapping[str, Any]) -> tuple[bool, float | None]:
        """`processNodeRetries`: (whether to go on and run an attempt, the execution deadline)."""
        if fulfilled(parent):
            return True, None
        attempts = self._attempts(parent)
        last = attempts[-1] if attempts else None
        if last is None or not fulfilled(last):
            return True, None
        if not failed_or_error(last):
            if last.get("outputs") is not None:
                parent["outputs"] = copy.deepcopy(last["outputs"])
            self._mark(parent, SUCCEEDED)
            return True, None
        if self.shutdown:
            self._mark(parent, last["phase"], f"Stopped with strategy '{self.shutdown}'")
            return True, None
        now = self.clock.now()
        execution_deadline = None
        backoff = retry.get("backoff")
        if backoff:
            max_deadline = None
            if backoff.get("maxDuration"):
                first = _epoch(attempts[0]["startedAt"])
                max_deadline = first + argo_duration(str(backoff["maxDuration"]))
                if now > max_deadline:
                    self._mark(parent, last["phase"], "Max duration limit exceeded")
                    return True, None
            wait = argo_duration(str(backoff["duration"]))
            factor = int(backoff.get("factor") or 0)
            if factor > 0:
                wait *= factor ** (len(attempts) - 1)
            if backoff.get("cap"):
                wait = min(wait, argo_duration(str(backoff["cap"])))
            waiting_deadline = _epoch(last["finishedAt"]) + wait
            if max_deadline is not None and waiting_deadline > max_deadline:
                self._mark(parent, last["phase"], "Backoff would exceed max duration limit")
                return True, None
            limit = retry.get("limit")
            if now < waiting_deadline and limit is not None and len(attempts) <= int(limit):
                self._requeue(waiting_deadline, f"backoff of {parent['name']}")
                self._mark(parent, parent["phase"], f"Backoff for {_human(wait)}")
                return False, None
            execution_deadline = max_deadline
            self._mark(parent, parent["phase"], "")
        policy = retry.get("retryPolicy") or "OnFailure"
        on_failed = policy in ("Always", "OnFailure")
        on_error = policy in ("Always", "OnError")
        if (last["phase"] == FAILED and not on_failed) or (last["phase"] == ERROR and not on_error):
            self._mark(parent, last["phase"], last.get("message", ""))
            return True, None
        limit = retry.get("limit")
        if limit is not None and len(attempts) > int(limit):
            self._mark(parent, last["phase"], "No more retries left")
            return True, None
        return True, execution_deadline

    def _requeue(self, when: float, why: str) -> None:
        if self.requeue_at is None or when < self.requeue_at:
            self.requeue_at = when
        self.stuck_reason = why

    # -- containers -------------------------------------------------------------------------

    def _execute_container(
        self,
        name: str,
        template: dict[str, Any],
        boundary_id: str,
        execution_deadline: float | None,
        *,
        on_exit: bool = False,
        hooked: bool = False,
        retried: bool = False,
    ) -> Node:
        node = self.nodes.get(name)
        if node is not None and (node["id"] in self._started or fulfilled(node)):
            return node
        if node is None:  # else a node that waited for its lock: its pod starts now
            node = self._init_node(
                name,
                "Pod",
                template["name"],
                boundary_id,
                PENDING,
                hooked=hooked,
                retried=retried,
                executed=template,
            )
        if self.shutdown == "Terminate" or (self.shutdown == "Stop" and not on_exit):
            return self._mark(node, FAILED, f"Stopped with strategy '{self.shutdown}'")
        deadlines = []
        if template.get("activeDeadlineSeconds") is not None:
            deadlines.append((float(template["activeDeadlineSeconds"]), DEADLINE_MESSAGE))
        if execution_deadline is not None:
            left = execution_deadline - self.clock.now()
            deadlines.append((max(left, 0.0), EXECUTION_DEADLINE_MESSAGE))
        seconds, why = min(deadlines) if deadlines else (None, "")
        spec = PodSpec(
            node_id=node["id"],
            node_name=name,
            pod_name=generate_pod_name(self.name, name, template["name"]),
            template=template,
            deadline_seconds=seconds,
            deadline_message=why,
        )
        self._mark(node, RUNNING)
        self._started.add(node["id"])
        self.executor.start(spec)
        return node

    def _reconcile(self) -> None:
        """`podReconciliation`: apply the ends of step processes to their nodes."""
        results, self._results = self._results, []
        for result in results:
            node = self.nodes.by_id.get(result.node_id)
            if node is None or fulfilled(node):
                continue
            if result.outputs:
                node["outputs"] = result.outputs
            self._add_outputs_to_global(result.outputs)
            message = result.message
            if self.shutdown and result.phase != SUCCEEDED and not message:
                message = f"Stopped with strategy '{self.shutdown}'"
            self._mark(node, result.phase, message)

    # -- suspend ----------------------------------------------------------------------------

    def _execute_suspend(
        self,
        name: str,
        template: dict[str, Any],
        boundary_id: str,
        *,
        hooked: bool = False,
        retried: bool = False,
    ) -> tuple[Node, str]:
        """`executeSuspend`: the node, and the error it returns ("" for none)."""
        node = self.nodes.get(name)
        if node is None:
            node = self._init_node(
                name,
                "Suspend",
                template["name"],
                boundary_id,
                PENDING,
                hooked=hooked,
                retried=retried,
                executed=template,
            )
            node["outputs"] = _raw_outputs(template)
        duration = (template.get("suspend") or {}).get("duration")
        if duration:
            try:
                seconds = argo_duration(str(duration))
            except ValueError as exc:
                return self._mark(node, ERROR, str(exc)), str(exc)
            deadline = _epoch(node["startedAt"]) + seconds
            if self.clock.now() > deadline:
                try:
                    _override_with_defaults(node.get("outputs"))
                except ValueError as exc:
                    return self._mark(node, ERROR, str(exc)), str(exc)
                return self._mark(node, SUCCEEDED), ""
            self._requeue(deadline, f"{node['displayName']} waits until its duration passes")
        return self._mark(node, RUNNING), ""

    def _relabel(self, claims: Mapping[str, str] | None, action: str) -> None:
        """Label the Workflow with the caller, and hand the labels to templates as the
        controller does each pass (operator.go, `setGlobalParameters`)."""
        label_actor(self.workflow["metadata"].setdefault("labels", {}), claims, action)
        self._publish_labels()

    def _suspend_view(self, node: Node) -> dict[str, Any]:
        duration = (self.templates.get(node.get("templateName", ""), {}).get("suspend") or {}).get(
            "duration"
        )
        deadline = None
        if duration:
            deadline = _epoch(node["startedAt"]) + argo_duration(str(duration))
        return {"deadline": deadline}

    def _answer(self, node: Node, answer: Answer) -> None:
        """As the Argo Server answers: `set` the outputs (labelling the Workflow with the caller,
        `updateSuspendedNode`), then `resume` (labelling it again, action Resume)."""
        if answer.action in ("set", "resume"):
            if answer.action == "set":
                set_outputs(node, answer.outputs)
                self._relabel(answer.actor, "")
                for parameter in (node.get("outputs") or {}).get("parameters") or []:
                    if parameter["name"] in answer.outputs:
                        self._add_global_output(parameter)
            self._relabel(answer.actor, "Resume")
            self._mark(node, SUCCEEDED)
        elif answer.action == "expire":
            deadline = self._suspend_view(node)["deadline"]
            if deadline is None:
                raise LocalRunError(f"{node['displayName']} has no duration: it cannot expire")
            self.clock.advance_to(deadline + 1)
        elif answer.action in ("stop", "terminate"):
            self.stop("Terminate" if answer.action == "terminate" else "Stop")
        else:
            raise LocalRunError(f"unknown answer {answer.action!r}")
        self.changed = True

    def _fail_for_shutdown(self) -> None:
        """`failNodesWithoutCreatedPodsAfterDeadlineOrShutdown` and the pod kill of a shutdown."""
        message = f"Stopped with strategy '{self.shutdown}'"
        running_steps = []
        for node in self.nodes:
            if fulfilled(node) or (self._in_exit_handler(node) and self.shutdown == "Stop"):
                continue
            if node.get("type") == "Suspend":
                self._mark(node, FAILED, message)
            elif node["phase"] == PENDING and (node.get("synchronizationStatus") or {}).get(
                "waiting"
            ):
                self._mark(node, FAILED, message)  # its pod is made only once it holds the lock
            elif node.get("type") == "Pod" and node["phase"] in (PENDING, RUNNING):
                running_steps.append(node["id"])
        if running_steps:
            for result in self.executor.stop(running_steps):
                node = self.nodes.by_id[result.node_id]
                if not fulfilled(node):
                    self._mark(node, FAILED, message)

    def _in_exit_handler(self, node: Node) -> bool:
        return str(node["name"]).startswith(f"{self.name}.onExit")

    # -- DAG --------------------------------------------------------------------------------

    def _execute_dag(
        self,
        name: str,
        template: dict[str, Any],
        boundary_id: str,
        on_exit: bool,
        *,
        hooked: bool = False,
        retried: bool = False,
    ) -> Node:
        node = self.nodes.get(name)
        if node is None:
            node = self._init_node(
                name,
                "DAG",
                template["name"],
                boundary_id,
                RUNNING,
                hooked=hooked,
                retried=retried,
                executed=template,
            )
        tasks = {t["name"]: t for t in template["dag"]["tasks"]}
        context = _DagContext(name, node["id"], template, tasks, on_exit)
        try:
            targets = self._leaves(context)
            for task in targets:
                self._execute_dag_task(context, task)
        except (KeyError, ExprError, ValueError) as exc:
            return self._mark(node, ERROR, str(exc))
        phase = self._assess_dag(context, targets, bool(self.shutdown) and not on_exit)
        if phase == RUNNING:
            return node
        node["outboundNodes"] = [
            o
            for task in targets
            if (t := self.nodes.get(context.task_node_name(task)))
            for o in self.nodes.outbound(t["id"])
        ]
        if phase in (FAILED, ERROR):
            return self._mark(node, phase)
        for task in tasks:
            task_node = self.nodes.get(context.task_node_name(task))
            if task_node is not None:
                self._add_outputs_to_global(task_node.get("outputs"))
        return self._mark(node, SUCCEEDED)

    def _leaves(self, context: _DagContext) -> list[str]:
        """`findLeafTaskNames`: the tasks nothing depends on, sorted."""
        leaf = dict.fromkeys(context.tasks, True)
        for task in context.tasks:
            for dependency in context.deps_of(task)[0]:
                leaf[dependency] = False
        return sorted(name for name, is_leaf in leaf.items() if is_leaf)

    def _assess_dag(self, context: _DagContext, targets: list[str], shutdown: bool) -> str:
        """`assessDAGPhase`: from the branches leading to the target tasks; with the DAG's
        `failFast` (true unless set false) the first failed target decides, without it every
        target must have ended."""
        if shutdown:
            return FAILED
        target_ids = {self.nodes.id_of(context.task_node_name(t)): t for t in targets}
        target_phase: dict[str, str] = dict.fromkeys(target_ids, "")
        boundary = self.nodes.by_id[context.boundary_id]
        queue = [(child, SUCCEEDED) for child in boundary.get("children") or []]
        seen: set[tuple[str, str]] = set()
        while queue:
            identity, branch = queue.pop(0)
            if (identity, branch) in seen:
                continue
            seen.add((identity, branch))
            node = self.nodes.by_id.get(identity)
            if node is None or not fulfilled(node):
                return RUNNING
            if completed(node):
                branch = node["phase"]
            if identity in target_phase and target_phase[identity] not in (FAILED, ERROR):
                target_phase[identity] = branch
            if node.get("type") == "Retry":
                following = self._retry_children(node)
            else:
                following = node.get("children") or []
            queue += [(child, branch) for child in following]
        fail_fast = context.template["dag"].get("failFast") is not False
        result = SUCCEEDED
        for identity, task in target_ids.items():
            phase = target_phase[identity]
            if phase == "":
                result = RUNNING
                if not fail_fast:  # every target must end before the DAG's phase is known
                    break
            elif phase in (FAILED, ERROR):
                continue_on = context.tasks[task].get("continueOn") or {}
                if (phase == FAILED and continue_on.get("failed")) or (
                    phase == ERROR and continue_on.get("error")
                ):
                    continue
                result = phase
                if fail_fast:
                    break
        return result

    def _retry_children(self, node: Node) -> list[str]:
        """`getRetryNodeChildrenIds`: past a retry node, the children of its attempts."""
        found: list[str] = []
        for child in reversed(node.get("children") or []):
            attempt = self.nodes.by_id.get(child)
            if attempt is None:
                continue
            if (attempt.get("nodeFlag") or {}).get("hooked"):
                found.append(child)
            else:
                found += attempt.get("children") or []
        return found

    def _execute_dag_task(self, context: _DagContext, task_name: str) -> None:
        """`executeDAGTask`."""
        if task_name in context.visited:
            return
        context.visited.add(task_name)
        node_name = context.task_node_name(task_name)
        node = self.nodes.get(node_name)
        task = context.tasks[task_name]
        if node is not None and fulfilled(node):
            self._release_node(node["id"])  # "Release acquired lock completed task"
            return
        dependencies, logic = context.deps_of(task_name)

        if logic and node is None:
            for dependency in dependencies:
                self._execute_dag_task(context, dependency)
            scope: dict[str, dict[str, bool]] = {}
            for dependency in dependencies:
                dependency_node = self.nodes.get(context.task_node_name(dependency))
                if dependency_node is None or not fulfilled(dependency_node):
                    return
                children = [self.nodes.by_id.get(c) for c in dependency_node.get("children") or []]
                scope[dependency] = deps.results(dependency_node, children)
            try:
                execute = deps.evaluate(logic, scope)
            except (ExprError, ValueError) as exc:
                self._skipped(
                    context, node_name, ERROR, f"unable to evaluate expression '{logic}': {exc}"
                )
                return
            if not execute:
                self._skipped(context, node_name, OMITTED, "omitted: depends condition not met")
                return
        if items.expands(task):
            self._execute_expanded(context, task_name, node)
            return
        if node is None:
            try:
                resolved, skip = self._resolve_task(context, task)
            except MissingVariable as exc:
                self._requeue_forever(f"{task_name}: {exc}")
                return
            except (TemplateError, WhenError) as exc:
                self._skipped(context, node_name, ERROR, str(exc))
                return
            if skip:
                when = resolved.get("when", "")
                self._skipped(context, node_name, SKIPPED, f"when '{when}' evaluated false")
                return
            self._connect(context, node_name)
        else:
            try:
                resolved, _ = self._resolve_task(context, task, check_when=False)
            except MissingVariable as exc:
                self._requeue_forever(f"{task_name}: {exc}")
                return
            except TemplateError as exc:
                self._mark(node, ERROR, str(exc))
                return
        try:
            self._execute_template(
                node_name,
                resolved,
                resolved.get("arguments") or {},
                context.boundary_id,
                on_exit=context.on_exit,
                task_name=task_name,
            )
        except _Errored as exc:
            self._task_errored(node_name, exc)

    def _execute_expanded(self, context: _DagContext, task_name: str, group: Node | None) -> None:
        """`executeDAGTask` for a task with `withParam`: resolved, expanded
        (`expandTask`), under a TaskGroup node whose children are the expanded tasks; the group
        takes its phase once every child is fulfilled (Succeeded, or the phase of the last one
        that Failed or Errored). A child that parallelism keeps from starting ends the pass."""
        node_name = context.task_node_name(task_name)
        try:
            resolved, _ = self._resolve_task(context, context.tasks[task_name], check_when=False)
            expanded = items.expand_task(resolved, self._task_scope(context, task_name))
        except MissingVariable as exc:
            self._requeue_forever(f"{task_name}: {exc}")
            return
        except (TemplateError, items.ItemsError) as exc:
            if group is None:
                self._skipped(context, node_name, ERROR, str(exc))
            else:
                self._mark(group, ERROR, str(exc))
            return
        if not expanded:
            if group is None:
                self._skipped(context, node_name, SKIPPED, items.EMPTY_MESSAGE)
            return
        if group is None:
            self._connect(context, node_name)
            template = str(context.tasks[task_name].get("template", ""))
            group = self._init_node(node_name, "TaskGroup", template, context.boundary_id, RUNNING)
        for task in expanded:
            child_name = context.task_node_name(task["name"])
            self.nodes.add_child(node_name, child_name)
            try:
                child = self._execute_template(
                    child_name,
                    task,
                    task.get("arguments") or {},
                    context.boundary_id,
                    on_exit=context.on_exit,
                    task_name=task["name"],
                )
            except _Errored as exc:
                self._task_errored(child_name, exc)
                return
            if child is None:
                return
        phase = SUCCEEDED
        for task in expanded:
            child = self.nodes.get(context.task_node_name(task["name"]))
            if child is None or not fulfilled(child):
                return
            if failed_or_error(child):
                phase = child["phase"]
        self._mark(group, phase)

    def _task_errored(self, name: str, error: _Errored) -> None:
        """`executeDAGTask`: the task's node (a Retry node's, not its attempt's) records the
        error `executeTemplate` returned as `task '<node name>' errored: <error>`."""
        node = self.nodes.get(name) or error.node
        self._mark(node, ERROR, f"task '{name}' errored: {error.message}")

    def _skipped(self, context: _DagContext, name: str, phase: str, message: str) -> None:
        """A task that runs nothing: a Skipped-type node (Skipped, Omitted or Error), hung under
        its dependencies as `executeDAGTask` does with `connectDependencies`."""
        task = context.tasks[name.rsplit(".", 1)[-1]]
        self._init_node(
            name, "Skipped", task.get("template", ""), context.boundary_id, phase, message=message
        )
        self._connect(context, name)

    def _connect(self, context: _DagContext, child: str) -> None:
        """`connectDependencies`: a root task under the DAG, others under their dependencies'
        outbound nodes."""
        dependencies = context.deps_of(child.rsplit(".", 1)[-1])[0]
        if not dependencies:
            self.nodes.add_child(context.boundary_name, child)
            return
        for dependency in dependencies:
            dependency_node = self.nodes.get(context.task_node_name(dependency))
            if dependency_node is None:
                raise LocalRunError(f"dependency {dependency} of {child} has no node")
            for outbound in self.nodes.outbound(dependency_node["id"]):
                self.nodes.add_child(self.nodes.by_node_id(outbound)["name"], child)

    def _requeue_forever(self, why: str) -> None:
        self.stuck_reason = f"{why} (the controller would requeue this workflow forever)"

    def _task_scope(self, context: _DagContext, task_name: str) -> dict[str, str | None]:
        """`buildLocalScopeFromTask`: the global scope plus what the task's ancestors left (an
        ancestor that was retried as its last attempt, `possiblyGetRetryChildNode`); None is
        an absent optional."""
        values: dict[str, str | None] = dict(self._global_params())
        for output in self.global_outputs:
            if output.get("value") is not None:
                values[f"workflow.outputs.parameters.{output['name']}"] = str(output["value"])
        for ancestor in self._ancestors(context, task_name):
            node = self.nodes.get(context.task_node_name(ancestor))
            if node is None:
                raise TemplateError(f"Ancestor task node {ancestor} not found")
            shown = node
            if node.get("type") == "Retry":
                shown = self._last_attempt(node) or node
            prefix = f"tasks.{ancestor}"
            values[f"{prefix}.id"] = shown["id"]
            values[f"{prefix}.status"] = shown["phase"]
            if shown.get("startedAt"):
                values[f"{prefix}.startedAt"] = shown["startedAt"]
            if shown.get("finishedAt"):
                values[f"{prefix}.finishedAt"] = shown["finishedAt"]
            outputs = shown.get("outputs") or {}
            if "exitCode" in outputs:
                values[f"{prefix}.exitCode"] = outputs["exitCode"]
            for parameter in outputs.get("parameters") or []:
                if parameter.get("value") is not None:
                    values[f"{prefix}.outputs.parameters.{parameter['name']}"] = str(
                        parameter["value"]
                    )
            if node["phase"] in (SKIPPED, OMITTED) and not node.get("outputs"):
                values.update(self._skipped_outputs(context, ancestor))
        return values

    def _skipped_outputs(self, context: _DagContext, task_name: str) -> dict[str, str | None]:
        """`addSkippedNodeOutputsToScope` (`scope.go`, called from `buildLocalScopeFromTask`):
        a Skipped or Omitted task that produced nothing offers each output parameter its
        template declares, as its `valueFrom.default`, or as an absent optional (None) that a
        simple tag cannot be resolved to."""
        template = self.templates.get(str(context.tasks[task_name].get("template", "")), {})
        found: dict[str, str | None] = {}
        for parameter in (template.get("outputs") or {}).get("parameters") or []:
            default = (parameter.get("valueFrom") or {}).get("default")
            key = f"tasks.{task_name}.outputs.parameters.{parameter['name']}"
            found[key] = None if default is None else str(default)
        return found

    def _ancestors(self, context: _DagContext, task_name: str) -> list[str]:
        found: list[str] = []

        def walk(name: str) -> None:
            for dependency in context.deps_of(name)[0]:
                if dependency not in found:
                    walk(dependency)
                    found.append(dependency)

        walk(task_name)
        return found

    def _resolve_task(
        self, context: _DagContext, task: Mapping[str, Any], *, check_when: bool = True
    ) -> tuple[dict[str, Any], bool]:
        """`resolveDependencyReferences`: the task with references resolved; True to skip it
        (its `when` is false). An existing node's `when` is not evaluated again."""
        strings = self._task_scope(context, task["name"])
        when = task.get("when", "")
        if when and check_when:
            resolved_when = substitute(when, strings, strict=["tasks", "steps"])
            if not should_execute(resolved_when):
                return {**task, "when": resolved_when}, True
        bare = _mark_absent_optional_args({k: v for k, v in task.items() if k != "hooks"}, strings)
        resolved: dict[str, Any] = substitute(bare, strings, strict=["tasks", "steps"])
        return resolved, False


# `common.AbsentOptionalArgumentValue`: an argument that only named an absent optional.
ABSENT_ARGUMENT = "__argo-internal.absent-optional-output__"


def _mark_absent_optional_args(task: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """`markAbsentOptionalArgs` (`scope.go`): before substitution, an argument whose value is
    one pure reference (`{{key}}`, nothing around it) to an absent optional becomes
    ABSENT_ARGUMENT, which `ProcessArgs` reads as not supplied (the input's own default
    applies, or the node fails naming it)."""
    parameters = (task.get("arguments") or {}).get("parameters") or []
    marked = []
    for parameter in parameters:
        value = parameter.get("value")
        absent = False
        if isinstance(value, str) and value.startswith("{{") and value.endswith("}}"):
            key = value[2:-2].strip()
            absent = "{{" not in key and "}}" not in key and key in values and values[key] is None
        marked.append({**parameter, "value": ABSENT_ARGUMENT} if absent else parameter)
    if not parameters:
        return task
    return {**task, "arguments": {**task["arguments"], "parameters": marked}}


def set_outputs(node: Node, values: Mapping[str, str]) -> None:
    """`updateSuspendedNode`: set supplied outputs of an active suspend node, each once."""
    if node.get("type") != "Suspend" or node.get("phase") != RUNNING:
        raise ValueError(f"{node.get('displayName')} is not a suspended node waiting for an answer")
    outputs = node.get("outputs")
    if outputs is None:
        raise ValueError(
            "cannot set output parameters because node is not expecting any raw parameters"
        )
    staged = copy.deepcopy(outputs)
    for name, value in values.items():
        for parameter in staged.get("parameters") or []:
            if parameter["name"] == name:
                source = parameter.get("valueFrom") or {}
                if "supplied" not in source:
                    raise ValueError(
                        f"cannot set output parameter '{name}' because it does not use "
                        "valueFrom.raw or it was already set"
                    )
                parameter["value"] = value
                parameter.pop("valueFrom", None)
                break
        else:
            raise ValueError(f"node is not expecting output parameter '{name}'")
    node["outputs"] = staged


def _raw_outputs(template: Mapping[str, Any]) -> dict[str, Any] | None:
    """`addRawOutputFields`: the supplied outputs, a missing default taken from the input of the
    same name."""
    found = []
    inputs = {p["name"]: p for p in (template.get("inputs") or {}).get("parameters") or []}
    for parameter in (template.get("outputs") or {}).get("parameters") or []:
        source = parameter.get("valueFrom") or {}
        if "supplied" not in source:
            continue
        item = copy.deepcopy(dict(parameter))
        if (
            source.get("default") is None
            and inputs.get(parameter["name"], {}).get("default") is not None
        ):
            item["valueFrom"]["default"] = inputs[parameter["name"]]["default"]
        found.append(item)
    return {"parameters": found} if found else None


def _override_with_defaults(outputs: dict[str, Any] | None) -> None:
    """`OverrideOutputParametersWithDefault`."""
    for parameter in (outputs or {}).get("parameters") or []:
        source = parameter.get("valueFrom")
        if source is not None and "supplied" in source:
            if source.get("default") is None:
                raise ValueError(
                    f"raw output parameter '{parameter['name']}' has not been set and does not "
                    "have a default value"
                )
            parameter["value"] = source["default"]
            parameter.pop("valueFrom")


def _merge_parameters(
    base: list[dict[str, Any]], over: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The template's arguments with the Workflow's own of the same name instead."""
    merged = {p["name"]: dict(p) for p in base}
    for parameter in over:
        merged[parameter["name"]] = {**merged.get(parameter["name"], {}), **parameter}
    return list(merged.values())


def _check_label(name: str, value: str, expression: str = "") -> None:
    if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        source = f" and expression {expression!r}" if expression else ""
        raise ValueError(
            f"invalid label value {value!r} for label {name!r}{source}: a valid label must be "
            "63 characters or less, empty or beginning and ending with an alphanumeric "
            "character, with '-', '_', '.' and alphanumerics between"
        )


def _epoch(stamp: str) -> float:
    """The Unix seconds of a time the controller wrote (`rfc3339`)."""
    return parse_time(stamp).timestamp()


def _human(seconds: float) -> str:
    return f"{int(seconds)} seconds" if seconds < 120 else f"{int(seconds // 60)} minutes"
