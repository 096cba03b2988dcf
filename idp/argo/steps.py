"""A Workflow's steps as a person names them, in the order they ran, and the pod of each attempt.

A step is a node directly under the Workflow: a task of the entrypoint DAG (its node is named
`<workflow>.<task>`, its `boundaryID` is the DAG's node) or the exit handler
(`<workflow>.onExit`). A task with a `retryStrategy` is a Retry node whose children are its
attempts, Pod nodes named `<task>(0)`, `<task>(1)`, ...; a task without one is its Pod node;
the approval is a Suspend node and runs no pod.

Steps are ordered by start time, then along the DAG's edges from the root (a node's children
are the tasks that depend on it), so steps that started in the same second keep the order in
which they could run; the exit handler comes last.

Pod names are computed as the controller makes them (workflow/util/pod_name.go,
`GeneratePodName`): with the `v2` convention, the default, a pod is named
`<workflow>-<template>-<FNV-1a 32 of the node's name>`, the part before the hash cut to 242
characters, and a node named like the Workflow gets the Workflow's name; with `v1` a pod is
named by its node id. The convention used is the Workflow's annotation
`workflows.argoproj.io/pod-name-format`, which the controller sets on every Workflow
(workflow/controller/operator.go, `setWfPodNamesAnnotation`); without it, `v2`
(`GetWorkflowPodNameVersion`). The template is the node's `templateRef` template when it has
one, else its `templateName` (workflow/util/util.go, `GetTemplateFromNode`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from idp.manifests import Manifest

Node = dict[str, Any]
POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"
ON_EXIT = "onExit"  # the exit handler's node (idp.pipeline.EXIT_HANDLER is its template)
_MAX_PREFIX = 253 - 10 - 1  # maxK8sResourceNameLength - k8sNamingHashLength - 1
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


@dataclass(frozen=True)
class Step:
    """One step: its name, its node, and the Pod nodes it ran (its attempts, in order)."""

    name: str
    node: Node
    attempts: tuple[Node, ...]

    @property
    def phase(self) -> str:
        return str(self.node.get("phase") or "Pending")


def fnv32a(text: str) -> int:
    """FNV-1a, 32 bits, of the UTF-8 bytes of `text` (Go's hash/fnv `New32a`)."""
    value = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def template_of(node: Node) -> str:
    """`GetTemplateFromNode`: the templateRef's template, else the templateName."""
    ref = node.get("templateRef")
    if isinstance(ref, dict) and ref.get("template"):
        return str(ref["template"])
    return str(node.get("templateName") or "")


def pod_name(workflow: Manifest, node: Node) -> str:
    """The name of the pod the controller made for `node` (see the module docstring)."""
    name = str(workflow["metadata"]["name"])
    annotations = workflow["metadata"].get("annotations") or {}
    if annotations.get(POD_NAME_FORMAT) == "v1":
        return str(node["id"])
    node_name = str(node.get("name") or "")
    if node_name == name:
        return name
    template = template_of(node)
    prefix = f"{name}-{template}" if template else name
    return f"{prefix[:_MAX_PREFIX]}-{fnv32a(node_name)}"


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
