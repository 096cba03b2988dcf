"""A Workflow's steps as a person names them, in the order they ran, and the pod of each attempt.

A step is a node directly under the Workflow: a task of the entrypoint DAG (its node is named
`<workflow>.<task>`, its `boundaryID` is the DAG's node) or the exit handler
(`<workflow>.onExit`). A task with a `retryStrategy` is a Retry node whose children are its
attempts, Pod nodes named `<task>(0)`, `<task>(1)`, ...; a task without one is its Pod node;
the approval is a Suspend node and runs no pod.

Steps are ordered by start time, then along the DAG's edges from the root (a node's children
are the tasks that depend on it), so steps that started in the same second keep the order in
which they could run; the exit handler comes last.

Each attempt's pod is named as the controller names it (`idp.podnames.pod_name`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from idp.manifests import Manifest
from idp.podnames import fnv32a, pod_name

__all__ = ["ON_EXIT", "Node", "Step", "fnv32a", "node_name", "pod_name", "steps"]

Node = dict[str, Any]
ON_EXIT = "onExit"  # the exit handler's node (idp.pipeline.EXIT_HANDLER is its template)


@dataclass(frozen=True)
class Step:
    """One step: its name, its node, and the Pod nodes it ran (its attempts, in order)."""

    name: str
    node: Node
    attempts: tuple[Node, ...]

    @property
    def phase(self) -> str:
        return str(self.node.get("phase") or "Pending")


def _nodes(workflow: Manifest) -> dict[str, Node]:
    found = (workflow.get("status") or {}).get("nodes") or {}
    return {str(key): node for key, node in found.items() if isinstance(node, dict)}


def _rank(nodes: dict[str, Node], root: str) -> dict[str, int]:
    """Each node's place in a breadth-first walk along `children` from the root."""
    rank: dict[str, int] = {}
    queue = deque([root])
    while queue:
        node_id = queue.popleft()
        if node_id in rank or node_id not in nodes:
            continue
        rank[node_id] = len(rank)
        queue.extend(str(child) for child in nodes[node_id].get("children") or [])
    return rank


def steps(workflow: Manifest) -> list[Step]:
    """The Workflow's steps in the order they ran (see the module docstring)."""
    name = str(workflow["metadata"]["name"])
    nodes = _nodes(workflow)
    root = next((i for i, n in nodes.items() if n.get("name") == name), name)
    attempts_of = {
        node_id: tuple(nodes[str(c)] for c in node.get("children") or [] if str(c) in nodes)
        for node_id, node in nodes.items()
        if node.get("type") == "Retry"
    }
    attempt_ids = {str(a.get("id")) for attempts in attempts_of.values() for a in attempts}
    rank = _rank(nodes, root)
    found = []
    for node_id, node in nodes.items():
        node_name = str(node.get("name") or "")
        if node_id == root or node_id in attempt_ids or not node_name.startswith(name + "."):
            continue
        if node.get("boundaryID") not in (None, "", root):
            continue
        if node.get("type") == "Retry":
            attempts = attempts_of[node_id]
        elif node.get("type") == "Pod":
            attempts = (node,)
        else:
            attempts = ()
        found.append(Step(node_name[len(name) + 1 :], node, attempts))
    found.sort(
        key=lambda s: (
            s.name.startswith(ON_EXIT),
            str(s.node.get("startedAt") or "~"),
            rank.get(str(s.node.get("id")), len(nodes)),
            s.name,
        )
    )
    return found


def node_name(workflow: Manifest, node: Node) -> str:
    """A node as a person names it: its display name, without the Workflow's name in front
    (the exit handler's attempts are displayed as `<workflow>.onExit(0)`)."""
    shown = str(node.get("displayName") or node.get("name") or "")
    return shown.removeprefix(f"{workflow['metadata']['name']}.")
