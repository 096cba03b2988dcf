"""The names Argo's controller derives from a node's name: its node id and its pod's name.

Both end in the FNV-1a 32-bit hash of the node's name (Go's hash/fnv `New32a`), in decimal:

- `Workflow.NodeID` (pkg/apis/workflow/v1alpha1/workflow_types.go): the Workflow's name for
  the root node, else `<workflow>-<hash>`.
- `GeneratePodName` (workflow/util/pod_name.go): with the `v2` convention, the default, a pod
  is named `<workflow>-<template>-<hash>`, the part before the hash cut to 253 - 10 - 1
  characters, and the node named like the Workflow gets the Workflow's name; with `v1` a pod
  is named by its node id. The convention a Workflow uses is its annotation
  `workflows.argoproj.io/pod-name-format`, which the controller sets on every Workflow
  (workflow/controller/operator.go, `setWfPodNamesAnnotation`); without it, `v2`
  (`GetWorkflowPodNameVersion`). The template is the node's `templateRef` template when it
  has one, else its `templateName` (workflow/util/util.go, `GetTemplateFromNode`).

The client (`idp argo`'s logs and describe) names the pods of a stored Workflow with
`pod_name`; the local runner names the nodes and pods it makes with `node_id` and
`generate_pod_name`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"
MAX_PREFIX = 253 - 10 - 1  # maxK8sResourceNameLength - k8sNamingHashLength - 1
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv32a(text: str) -> int:
    """FNV-1a, 32 bits, of the UTF-8 bytes of `text` (Go's hash/fnv `New32a`)."""
    value = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def node_id(workflow: str, name: str) -> str:
    """`Workflow.NodeID`: the id of the node called `name` in the Workflow `workflow`."""
    return workflow if name == workflow else f"{workflow}-{fnv32a(name)}"


def generate_pod_name(workflow: str, node_name: str, template: str) -> str:
    """`GeneratePodName` with `v2` names: the pod of the node `node_name`, run from
    `template`."""
    if node_name == workflow:
        return workflow
    prefix = f"{workflow}-{template}" if template else workflow
    return f"{prefix[:MAX_PREFIX]}-{fnv32a(node_name)}"


def template_of(node: Mapping[str, Any]) -> str:
    """`GetTemplateFromNode`: the templateRef's template, else the templateName."""
    ref = node.get("templateRef")
    if isinstance(ref, dict) and ref.get("template"):
        return str(ref["template"])
    return str(node.get("templateName") or "")


def pod_name(workflow: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    """The name of the pod the controller made for `node`, a node of the stored Workflow
    `workflow` (its `status.nodes`)."""
    name = str(workflow["metadata"]["name"])
    annotations = workflow["metadata"].get("annotations") or {}
    if annotations.get(POD_NAME_FORMAT) == "v1":
        return str(node["id"])
    return generate_pod_name(name, str(node.get("name") or ""), template_of(node))
