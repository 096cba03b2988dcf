"""What `idp local` can run: the fields of a Workflow and its WorkflowTemplate it implements.

Anything else stops the run before it starts, naming the field (UnsupportedField): a local run
that silently ignored, say, `withItems` or a `timeout` would prove nothing. Some fields are
accepted with no effect on one machine (pod placement, garbage collection, security context,
resources, the image: the step runs from this checkout), listed in NO_LOCAL_EFFECT.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ANY = True  # a leaf: accepted with whatever it holds

_PARAMETER = {"name": ANY, "value": ANY, "default": ANY, "enum": ANY, "description": ANY}
_OUTPUT_PARAMETER = {
    "name": ANY,
    "description": ANY,
    "globalName": ANY,
    "valueFrom": {"path": ANY, "supplied": ANY, "default": ANY},
}
_CONTAINER = {
    "image": ANY,
    "imagePullPolicy": ANY,
    "command": ANY,
    "args": ANY,
    "env": [
        {
            "name": ANY,
            "value": ANY,
            "valueFrom": {"secretKeyRef": {"name": ANY, "key": ANY, "optional": ANY}},
        }
    ],
    "envFrom": [
        {
            "configMapRef": {"name": ANY, "optional": ANY},
            "secretRef": {"name": ANY, "optional": ANY},
        }
    ],
    "resources": ANY,
    "securityContext": ANY,
    "volumeMounts": [{"name": ANY, "mountPath": ANY, "readOnly": ANY}],
    "terminationMessagePath": ANY,
    "terminationMessagePolicy": ANY,
}
_TASK = {
    "name": ANY,
    "template": ANY,
    "depends": ANY,
    "dependencies": ANY,
    "when": ANY,
    "continueOn": {"failed": ANY, "error": ANY},
    "arguments": {"parameters": [_PARAMETER], "artifacts": [{"name": ANY, "from": ANY}]},
}
_TEMPLATE = {
    "name": ANY,
    "activeDeadlineSeconds": ANY,
    "retryStrategy": {
        "limit": ANY,
        "retryPolicy": ANY,
        "backoff": {"duration": ANY, "factor": ANY, "maxDuration": ANY, "cap": ANY},
    },
    "inputs": {"parameters": [_PARAMETER], "artifacts": [{"name": ANY, "path": ANY}]},
    "outputs": {
        "parameters": [_OUTPUT_PARAMETER],
        "artifacts": [{"name": ANY, "path": ANY, "globalName": ANY}],
    },
    "dag": {"tasks": [_TASK]},
    "container": _CONTAINER,
    "suspend": {"duration": ANY},
}
NO_LOCAL_EFFECT = (
    "artifactRepositoryRef",
    "podGC",
    "ttlStrategy",
    "podMetadata",
    "securityContext",
    "serviceAccountName",
)
TEMPLATE_SPEC = {
    "arguments": {"parameters": [_PARAMETER]},
    "entrypoint": ANY,
    "onExit": ANY,
    "synchronization": {"mutexes": [{"name": ANY}]},
    "templates": [_TEMPLATE],
    "volumes": [{"name": ANY, "emptyDir": ANY, "secret": ANY}],
    "workflowMetadata": {"labels": ANY, "labelsFrom": ANY},
    **dict.fromkeys(NO_LOCAL_EFFECT, ANY),
}
WORKFLOW = {
    "apiVersion": ANY,
    "kind": ANY,
    "metadata": {"name": ANY, "namespace": ANY, "labels": ANY, "annotations": ANY},
    "spec": {"workflowTemplateRef": {"name": ANY}, "arguments": {"parameters": [_PARAMETER]}},
}
TEMPLATE_OBJECT = {
    "apiVersion": ANY,
    "kind": ANY,
    "metadata": {"name": ANY, "namespace": ANY, "labels": ANY, "annotations": ANY},
    "spec": TEMPLATE_SPEC,
}
RETRY_POLICIES = ("Always", "OnFailure", "OnError")


class UnsupportedField(ValueError):
    """A field `idp local` does not implement; the message names it."""


def check(value: Any, shape: Any, where: str) -> None:
    """Raise UnsupportedField for the first field of `value` that `shape` does not list."""
    if shape is ANY:
        return
    if isinstance(shape, list):
        if not isinstance(value, list):
            raise UnsupportedField(f"{where}: expected a list")
        for index, item in enumerate(value):
            check(item, shape[0], f"{where}[{index}]")
        return
    if not isinstance(value, Mapping):
        raise UnsupportedField(f"{where}: expected an object")
    for key, item in value.items():
        if key not in shape:
            raise UnsupportedField(f"{where}.{key}: not supported by idp local")
        check(item, shape[key], f"{where}.{key}")


def check_workflow(workflow: Mapping[str, Any], template: Mapping[str, Any]) -> None:
    """Check both objects, and the values idp local reads with rules of its own."""
    check(workflow, WORKFLOW, "Workflow")
    name = template.get("metadata", {}).get("name")
    check(template, TEMPLATE_OBJECT, f"WorkflowTemplate/{name}")
    ref = workflow.get("spec", {}).get("workflowTemplateRef", {}).get("name")
    if ref != name:
        raise UnsupportedField(f"Workflow spec.workflowTemplateRef.name: {ref!r} is not {name!r}")
    for index, item in enumerate(template["spec"].get("templates", [])):
        where = f"WorkflowTemplate/{name} spec.templates[{index}]"
        kinds = [k for k in ("dag", "container", "suspend") if k in item]
        if len(kinds) != 1:
            raise UnsupportedField(f"{where}: needs exactly one of dag, container, suspend")
        policy = (item.get("retryStrategy") or {}).get("retryPolicy", "OnFailure")
        if policy not in RETRY_POLICIES:
            raise UnsupportedField(f"{where}.retryStrategy.retryPolicy: {policy!r} not supported")
