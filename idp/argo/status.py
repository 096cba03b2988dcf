"""A platform Workflow's status read into what idp shows: its phase, its nodes, the approval it
may wait for, the outputs its steps published, and the request it runs with the state it is in.

Plain Python over the Workflow as the server returns it (no Hera, no client): `idp list`,
`idp status`, `idp watch`, `idp run --wait`, `idp approve` and the Backstage links read it.

A request (`Request`) is who asked for what and where it stands. Everything comes from the
Workflow itself: the labels the Sensor and the template put on it (`idp.labels`), the request's
arguments, the outputs the steps publish (`idp.pipeline`: `outcome`, `reason`, `approval`, ...)
and the approver the Argo Server records in its labels (`idp.actor`).

Its state (`STATES`, which `--outcome` offers) is the outcome the exit handler recorded once the
Workflow finished (`idp.pipeline.OUTCOMES`); before, `awaiting-approval` while the approval
waits (a Running Suspend node of the `approve` template), else the Workflow's phase in lower
case (`failed` or `error` for a run that ended without recording an outcome: terminated, or
failed before its exit handler ran).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from idp import labels
from idp.actor import Approver
from idp.manifests import Manifest
from idp.pipeline import (
    APPROVAL,
    GLOBAL_APPROVAL,
    GLOBAL_OUTCOME,
    GLOBAL_REASON,
    OUTCOMES,
    UNANSWERED,
)

FINISHED = frozenset({"Succeeded", "Failed", "Error"})
AWAITING_APPROVAL = "awaiting-approval"
PHASES = ("pending", "running", "succeeded", "failed", "error")
STATES = tuple(dict.fromkeys((*OUTCOMES, AWAITING_APPROVAL, *PHASES)))
Node = dict[str, Any]
_INTERNAL = frozenset({"StepGroup", "TaskGroup"})


# -- the Workflow's status


def phase(workflow: Manifest) -> str:
    """The workflow's phase; `Pending` before the controller has looked at it."""
    return str((workflow.get("status") or {}).get("phase") or "Pending")


def nodes(workflow: Manifest) -> list[Node]:
    """The nodes a person cares about, in start order (internal step groups left out)."""
    found = (workflow.get("status") or {}).get("nodes") or {}
    shown = [n for n in found.values() if n.get("type") not in _INTERNAL]
    return sorted(shown, key=lambda n: (n.get("startedAt") or "~", n.get("name") or ""))


def approvals(workflow: Manifest) -> list[Node]:
    """Every node of the `approve` suspend template."""
    return [
        n
        for n in nodes(workflow)
        if n.get("type") == "Suspend" and n.get("templateName") == APPROVAL
    ]


def pending(workflow: Manifest) -> list[Node]:
    """The approval nodes that wait for an answer (Running)."""
    return [n for n in approvals(workflow) if n.get("phase") == "Running"]


def parameter(node: Node, section: str, name: str) -> str | None:
    """A node's input or output parameter value (`section`: inputs or outputs)."""
    for item in (node.get(section) or {}).get("parameters") or []:
        if item.get("name") == name and item.get("value") is not None:
            return str(item["value"])
    return None


def answer(node: Node) -> str | None:
    """The approval answer a node holds, if any."""
    return parameter(node, "outputs", APPROVAL)


def ui_link(argo_ui_url: str, namespace: str, name: str) -> str:
    """The Workflow's page in the Argo UI."""
    return f"{argo_ui_url.rstrip('/')}/workflows/{namespace}/{name}"


def workflow_output(workflow: Manifest, name: str) -> str | None:
    """A Workflow output (a step's globalName output), if recorded."""
    for item in ((workflow.get("status") or {}).get("outputs") or {}).get("parameters") or []:
        if item.get("name") == name and item.get("value") is not None:
            return str(item["value"])
    return None


def outcome(workflow: Manifest) -> str | None:
    """`outcome: reason` as the exit handler recorded it, if it did."""
    found = workflow_output(workflow, GLOBAL_OUTCOME)
    if found is None:
        return None
    reason = workflow_output(workflow, GLOBAL_REASON)
    return f"{found}: {reason}" if reason else found


# -- the request it runs


@dataclass(frozen=True)
class Request:
    """One request, as `idp list` shows it (`-o json` prints these fields)."""

    workflow: str
    kind: str
    environment: str
    name: str
    request_id: str
    requester: str
    state: str
    phase: str
    reason: str
    approval: str
    approver: str
    created: str
    finished: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def argument(workflow: Manifest, name: str) -> str:
    """A Workflow argument's value ('' when absent)."""
    arguments = ((workflow.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    for item in arguments:
        if isinstance(item, dict) and item.get("name") == name and item.get("value") is not None:
            return str(item["value"])
    return ""


def state(workflow: Manifest) -> str:
    """The request's state (see the module docstring)."""
    found = phase(workflow)
    recorded = workflow_output(workflow, GLOBAL_OUTCOME)
    if found in FINISHED and recorded:
        return recorded
    if found not in FINISHED and pending(workflow):
        return AWAITING_APPROVAL
    return found.lower()


def approver(workflow: Manifest) -> str:
    """Who answered the approval, as the Argo Server recorded it; '' when nobody answered or
    the server recorded nobody (SSO off)."""
    given = workflow_output(workflow, GLOBAL_APPROVAL)
    if not given or given == UNANSWERED:
        return ""
    recorded = Approver.from_label_map(workflow["metadata"].get("labels") or {})
    return recorded.shown() if recorded.known else ""


def request(workflow: Manifest) -> Request:
    """The request a platform Workflow runs."""
    meta = workflow["metadata"]
    found = meta.get("labels") or {}
    return Request(
        workflow=str(meta.get("name") or ""),
        kind=str(found.get(labels.KIND) or ""),
        environment=str(found.get(labels.ENVIRONMENT) or ""),
        name=argument(workflow, "name"),
        request_id=str(found.get(labels.REQUEST_ID) or ""),
        requester=argument(workflow, "requester_email") or str(found.get(labels.REQUESTER) or ""),
        state=state(workflow),
        phase=phase(workflow),
        reason=workflow_output(workflow, GLOBAL_REASON) or "",
        approval=workflow_output(workflow, GLOBAL_APPROVAL) or "",
        approver=approver(workflow),
        created=str(meta.get("creationTimestamp") or ""),
        finished=str((workflow.get("status") or {}).get("finishedAt") or ""),
    )
