"""What `idp local` can run: the fields of a Workflow and its WorkflowTemplate it implements,
and of a CronWorkflow (`idp local-cron`).

Anything else stops the run before it starts, naming the field (UnsupportedField): a local run
that silently ignored, say, `withSequence` or a `timeout` would prove nothing. So do expression
tags (`{{=...}}`) wherever they are, and a `depends` or `labelsFrom` expression outside the
subset of expr that `idp.local.expr` reads: the compiled objects use none of these. Some fields are
accepted with no effect on one machine (pod placement, garbage collection, security context,
resources, the image: the step runs from this checkout), listed in NO_LOCAL_EFFECT; a
CronWorkflow's schedule and history fields, which only the cron controller reads, are listed
in CRON_NO_LOCAL_EFFECT.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from idp.local.depends import dependencies
from idp.local.expr import ExprError, parse

ANY = True  # a leaf: accepted with whatever it holds
ANY_KEY = "*"  # in a shape: every key of the object, each with this shape

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
    "arguments": {"parameters": [_PARAMETER]},
    "withParam": ANY,
}
_TEMPLATE = {
    "name": ANY,
    "activeDeadlineSeconds": ANY,
    "retryStrategy": {
        "limit": ANY,
        "retryPolicy": ANY,
        "backoff": {"duration": ANY, "factor": ANY, "maxDuration": ANY, "cap": ANY},
    },
    "inputs": {"parameters": [_PARAMETER]},
    "outputs": {
        "parameters": [_OUTPUT_PARAMETER],
        "artifacts": [{"name": ANY, "path": ANY, "globalName": ANY}],
    },
    "dag": {"tasks": [_TASK], "failFast": ANY},
    "failFast": ANY,
    "parallelism": ANY,
    "container": _CONTAINER,
    "synchronization": {"mutexes": [{"name": ANY}]},
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
    "workflowMetadata": {"labels": ANY, "labelsFrom": {ANY_KEY: {"expression": ANY}}},
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
# A Workflow that carries its own spec (one the cron controller made of a CronWorkflow)
WORKFLOW_WITH_SPEC = {
    "apiVersion": ANY,
    "kind": ANY,
    "metadata": {
        "name": ANY,
        "namespace": ANY,
        "labels": ANY,
        "annotations": ANY,
        "ownerReferences": ANY,
    },
    "spec": TEMPLATE_SPEC,
}
CRON_NO_LOCAL_EFFECT = (
    "schedules",
    "timezone",
    "concurrencyPolicy",
    "startingDeadlineSeconds",
    "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit",
)
CRON_WORKFLOW = {
    "apiVersion": ANY,
    "kind": ANY,
    "metadata": {"name": ANY, "namespace": ANY, "labels": ANY, "annotations": ANY},
    "spec": {
        "workflowSpec": TEMPLATE_SPEC,
        "workflowMetadata": {"labels": ANY, "annotations": ANY},
        "suspend": ANY,
        **dict.fromkeys(CRON_NO_LOCAL_EFFECT, ANY),
    },
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
        if key not in shape and ANY_KEY not in shape:
            raise UnsupportedField(f"{where}.{key}: not supported by idp local")
        check(item, shape.get(key, shape.get(ANY_KEY)), f"{where}.{key}")


def check_workflow(workflow: Mapping[str, Any], template: Mapping[str, Any]) -> None:
    """Check both objects, and the values idp local reads with rules of its own."""
    check(workflow, WORKFLOW, "Workflow")
    check_no_expression_tags(workflow.get("spec"), "Workflow spec")
    name = template.get("metadata", {}).get("name")
    check(template, TEMPLATE_OBJECT, f"WorkflowTemplate/{name}")
    ref = workflow.get("spec", {}).get("workflowTemplateRef", {}).get("name")
    if ref != name:
        raise UnsupportedField(f"Workflow spec.workflowTemplateRef.name: {ref!r} is not {name!r}")
    check_spec(template["spec"], f"WorkflowTemplate/{name} spec")


def check_workflow_with_spec(workflow: Mapping[str, Any]) -> None:
    """Check a Workflow that carries its own spec (made of a CronWorkflow)."""
    name = workflow.get("metadata", {}).get("name")
    check(workflow, WORKFLOW_WITH_SPEC, f"Workflow/{name}")
    check_spec(workflow["spec"], f"Workflow/{name} spec")


def check_cron_workflow(cron: Mapping[str, Any]) -> None:
    """Check a CronWorkflow and the Workflow spec it holds."""
    name = cron.get("metadata", {}).get("name")
    check(cron, CRON_WORKFLOW, f"CronWorkflow/{name}")
    check_spec(cron["spec"]["workflowSpec"], f"CronWorkflow/{name} spec.workflowSpec")


def check_spec(spec: Mapping[str, Any], where: str) -> None:
    """What the shapes cannot say: no expression tag, one kind per template, the retry
    policies, where parallelism, a template's mutex and expanded tasks may be used, and the
    expressions idp local reads."""
    check_no_expression_tags(spec, where)
    labels_from = (spec.get("workflowMetadata") or {}).get("labelsFrom") or {}
    for label, source in labels_from.items():
        _check_expression(
            source.get("expression", ""), f"{where}.workflowMetadata.labelsFrom.{label}"
        )
    for index, item in enumerate(spec.get("templates", [])):
        here = f"{where}.templates[{index}]"
        kinds = [k for k in ("dag", "container", "suspend") if k in item]
        if len(kinds) != 1:
            raise UnsupportedField(f"{here}: needs exactly one of dag, container, suspend")
        policy = (item.get("retryStrategy") or {}).get("retryPolicy", "OnFailure")
        if policy not in RETRY_POLICIES:
            raise UnsupportedField(f"{here}.retryStrategy.retryPolicy: {policy!r} not supported")
        if item.get("failFast"):
            raise UnsupportedField(f"{here}.failFast: idp local runs only the default, false")
        if "parallelism" in item and "dag" not in item:
            raise UnsupportedField(f"{here}.parallelism: idp local limits a DAG's tasks only")
        if "parallelism" in item and not isinstance(item["parallelism"], int):
            raise UnsupportedField(f"{here}.parallelism: must be a whole number")
        if "synchronization" in item:
            _check_template_mutex(item, here)
        if "dag" in item:
            _check_tasks(item["dag"]["tasks"], f"{here}.dag")


def check_no_expression_tags(value: Any, where: str) -> None:
    """Refuse the first `{{=...}}` tag in `value`'s strings, naming where it is: idp local
    substitutes simple tags only (`util/template/expression_template.go` is not followed)."""
    if isinstance(value, str):
        start = value.find("{{=")
        if start >= 0:
            end = value.find("}}", start)
            shown = value[start : end + 2] if end >= 0 else value[start:]
            raise UnsupportedField(
                f"{where}: the expression tag {shown!r} is not supported by idp local"
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_no_expression_tags(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_no_expression_tags(item, f"{where}[{index}]")


def _check_expression(text: str, where: str) -> None:
    try:
        parse(text)
    except ExprError as exc:
        raise UnsupportedField(f"{where}: {exc}") from None


def _check_template_mutex(template: Mapping[str, Any], where: str) -> None:
    if "container" not in template:
        raise UnsupportedField(f"{where}.synchronization: idp local locks container templates only")
    if len(template["synchronization"].get("mutexes") or []) != 1:
        raise UnsupportedField(f"{where}.synchronization.mutexes: idp local takes exactly one")


def _check_tasks(tasks: list[Mapping[str, Any]], where: str) -> None:
    """Each `depends` in the subset of expr idp local reads; `withParam` without `when`, and
    nothing reading an expanded task's outputs (Argo aggregates them; idp local does not)."""
    by_name = {str(task.get("name")): task for task in tasks}
    expanded = []
    for index, task in enumerate(tasks):
        here = f"{where}.tasks[{index}]"
        if task.get("depends"):
            try:
                _, logic = dependencies(task, by_name)
            except KeyError as exc:
                raise UnsupportedField(f"{here}.depends: {exc.args[0]}") from None
            _check_expression(logic.replace("-", "_"), f"{here}.depends")
        if "withParam" in task and "when" in task:
            raise UnsupportedField(f"{here}.when: not supported with withParam")
        if task.get("withParam"):
            expanded.append(task["name"])
    for index, task in enumerate(tasks):
        text = json.dumps(task)
        for name in expanded:
            if f"tasks.{name}.outputs" in text:
                raise UnsupportedField(
                    f"{where}.tasks[{index}]: reads the outputs of expanded task {name}, which "
                    "Argo aggregates and idp local does not"
                )
