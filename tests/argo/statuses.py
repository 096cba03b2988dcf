"""Workflow statuses as the Argo controller writes them, for the fake to serve."""

from __future__ import annotations

from typing import Any

Status = dict[str, Any]
SUMMARY = "Plan: 3 to add, 0 to change, 0 to destroy."
SHA256 = "9f2c" * 16


def _node(workflow: str, number: int, display: str, phase: str, **extra: Any) -> dict[str, Any]:
    node_id = f"{workflow}-{number}"
    return {
        "id": node_id,
        "name": f"{workflow}.{display}",
        "displayName": display,
        "type": "Pod",
        "templateName": display,
        "phase": phase,
        "startedAt": f"2024-05-01T10:00:{number:02d}Z",
        **extra,
    }


def approval_node(workflow: str, phase: str = "Running", answer: str | None = None) -> Status:
    supplied: dict[str, Any] = {"name": "approve", "valueFrom": {"supplied": {}}}
    if answer is not None:
        supplied["value"] = answer
    return _node(
        workflow,
        4,
        "approve",
        phase,
        type="Suspend",
        inputs={
            "parameters": [
                {"name": "summary", "value": SUMMARY},
                {"name": "sha256", "value": SHA256},
            ]
        },
        outputs={"parameters": [supplied]},
    )


def status(
    workflow: str, phase: str, *steps: tuple[str, str], approval: Status | None = None
) -> Status:
    """A status with the root DAG node, `steps` as (name, phase) pods, and an optional approval."""
    nodes = {
        workflow: {
            **_node(workflow, 0, workflow, phase, type="DAG", templateName="provision"),
            "id": workflow,
            "name": workflow,
        }
    }
    for number, (name, step_phase) in enumerate(steps, start=1):
        node = _node(workflow, number, name, step_phase)
        nodes[node["id"]] = node
    if approval is not None:
        nodes[approval["id"]] = approval
    found: Status = {"phase": phase, "startedAt": "2024-05-01T10:00:00Z", "nodes": nodes}
    if phase in ("Succeeded", "Failed", "Error"):
        found["finishedAt"] = "2024-05-01T12:00:00Z"
    return found


def waiting(workflow: str) -> Status:
    """Planned, the approvers told, and waiting at the approval."""
    return status(
        workflow,
        "Running",
        ("plan", "Succeeded"),
        ("notify-approvers", "Succeeded"),
        approval=approval_node(workflow),
    )
