"""Reading a Workflow's status: its phase, its nodes, and the approval it may wait for."""

from __future__ import annotations

from typing import Any

from idp.manifests import Manifest
from idp.pipeline import APPROVAL, GLOBAL_OUTCOME, GLOBAL_REASON

FINISHED = frozenset({"Succeeded", "Failed", "Error"})
Node = dict[str, Any]
_INTERNAL = frozenset({"StepGroup", "TaskGroup"})


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
