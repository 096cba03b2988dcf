"""The Workflow's node tree as the controller stores it in `status.nodes`, and its names.

Node ids and pod names are the controller's (`idp.podnames`: `Workflow.NodeID`,
`GeneratePodName` with v2 names), display names the ones `initializeNode` derives from the
boundary (workflow/controller/operator.go), as of Argo v4.1.2. Phases are the controller's
`NodePhase` values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from idp.local.templating import go_json, go_quote
from idp.podnames import generate_pod_name, node_id

Node = dict[str, Any]

PENDING, RUNNING, SUCCEEDED = "Pending", "Running", "Succeeded"
SKIPPED, OMITTED, FAILED, ERROR = "Skipped", "Omitted", "Failed", "Error"
COMPLETED = frozenset({SUCCEEDED, FAILED, ERROR})
FULFILLED = COMPLETED | {SKIPPED, OMITTED}


def display_name(name: str, boundary_name: str | None) -> str:
    """`initializeNode`: the name without its boundary's, and without a leading `.`/`[n].`."""
    if boundary_name is None:
        return name
    shown = name[len(boundary_name) :] if name.startswith(boundary_name) else name
    if shown.startswith("."):
        return shown[1:]
    if shown.startswith("[") and "]." in shown:
        head, _, rest = shown.partition("].")
        if head[1:].isdigit():
            return rest
    return shown


def fulfilled(node: Node) -> bool:
    return node.get("phase") in FULFILLED


def completed(node: Node) -> bool:
    return node.get("phase") in COMPLETED


def failed_or_error(node: Node) -> bool:
    return node.get("phase") in (FAILED, ERROR)


class Nodes:
    """`status.nodes`: id to node, with lookups by name."""

    def __init__(self, workflow: str) -> None:
        self.workflow = workflow
        self.by_id: dict[str, Node] = {}

    def id_of(self, name: str) -> str:
        return node_id(self.workflow, name)

    def get(self, name: str) -> Node | None:
        return self.by_id.get(self.id_of(name))

    def by_node_id(self, identity: str) -> Node:
        return self.by_id[identity]

    def __iter__(self) -> Iterator[Node]:
        return iter(self.by_id.values())

    def add(self, node: Node) -> Node:
        if node["id"] in self.by_id:
            raise RuntimeError(f"node {node['name']} already initialized")
        self.by_id[node["id"]] = node
        return node

    def add_child(self, parent: str, child: str) -> None:
        """`addChildNode` (both are node names)."""
        node = self.get(parent)
        if node is None:
            raise RuntimeError(f"no node {parent}")
        children = node.setdefault("children", [])
        identity = self.id_of(child)
        if identity not in children:
            children.append(identity)

    def outbound(self, identity: str) -> list[str]:
        """`getOutboundNodes`: where a task's dependents hang in the tree (a TaskGroup's are
        its expanded tasks')."""
        node = self.by_id[identity]
        kind = node.get("type")
        if kind in ("Skipped", "Suspend", "Pod"):
            return [identity]
        if kind == "TaskGroup":
            children = node.get("children") or []
            if not children:
                return [identity]
            found_in_group: list[str] = []
            for child in children:  # an item parallelism kept from starting has no node yet
                if child in self.by_id:
                    found_in_group += self.outbound(child)
            return found_in_group
        if kind == "Retry":
            children = node.get("children") or []
            if children:
                return [children[-1]]
        found: list[str] = []
        for child in node.get("outboundNodes") or []:
            found += self.outbound(child)
        return found


def failures_json(nodes: Nodes) -> str:
    """`{{workflow.failures}}`: the failed and errored nodes as JSON, passed through Go's
    `strconv.Quote` (operator.go, `operate`, the `failedNodeStatus` list). With none it is
    `"null"`: the list is a nil slice until a failure is appended, and json.Marshal writes a
    nil slice as null."""
    found = []
    for node in nodes:
        if node.get("phase") in (FAILED, ERROR):
            template = node.get("templateName", "")
            found.append(
                {
                    "displayName": node.get("displayName", ""),
                    "message": node.get("message", ""),
                    "templateName": template,
                    "phase": node["phase"],
                    "podName": generate_pod_name(nodes.workflow, node["name"], template),
                    "finishedAt": node.get("finishedAt"),
                }
            )
    return go_quote(go_json(found) if found else "null")
