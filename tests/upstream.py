"""The official Argo JSON Schemas, applied strictly, for conformance tests.

The schemas are read from the folder named by IDP_UPSTREAM_SCHEMAS (never copied into the
project). Strict means: wherever a schema object lists properties, any other property is an
error. The published schemas type `Quantity` (and, for Workflows, `IntOrString`) as strings
only, while Kubernetes accepts numbers there, so numbers are admitted for those two.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

WORKFLOWS_SCHEMA = "argo-workflows-v4.1.2.schema.json"
EVENTS_SCHEMA = "argo-events-v1.9.11.schema.json"
SWAGGER = "argo-workflows-v4.1.2.swagger.json"
_PREFIX = {
    "Workflow": ("io.argoproj.workflow.v1alpha1.", WORKFLOWS_SCHEMA),
    "WorkflowTemplate": ("io.argoproj.workflow.v1alpha1.", WORKFLOWS_SCHEMA),
    "CronWorkflow": ("io.argoproj.workflow.v1alpha1.", WORKFLOWS_SCHEMA),
    "EventBus": ("io.argoproj.events.v1alpha1.", EVENTS_SCHEMA),
    "EventSource": ("io.argoproj.events.v1alpha1.", EVENTS_SCHEMA),
    "Sensor": ("io.argoproj.events.v1alpha1.", EVENTS_SCHEMA),
}
ARGO_KINDS = frozenset(_PREFIX)
_NUMERIC_STRINGS = (
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
)


def schemas_dir() -> Path:
    """The upstream schema folder, or a skip (a failure when IDP_REQUIRE_UPSTREAM_SCHEMAS=1)."""
    folder = os.environ.get("IDP_UPSTREAM_SCHEMAS")
    if folder and Path(folder, WORKFLOWS_SCHEMA).is_file():
        return Path(folder)
    reason = f"IDP_UPSTREAM_SCHEMAS is unset or lacks {WORKFLOWS_SCHEMA}: upstream checks skipped"
    if os.environ.get("IDP_REQUIRE_UPSTREAM_SCHEMAS") == "1":
        pytest.fail(reason + " (IDP_REQUIRE_UPSTREAM_SCHEMAS=1 makes this a failure)")
    pytest.skip(reason)


def tighten(node: Any) -> None:
    """Make every object schema that lists properties refuse any other property (in place)."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            tighten(value)
    elif isinstance(node, list):
        for value in node:
            tighten(value)


@cache
def strict_definitions(file_name: str) -> dict[str, Any]:
    """The schema file's definitions, made strict as described above."""
    raw = json.loads((schemas_dir() / file_name).read_text(encoding="utf-8"))
    definitions: dict[str, Any] = copy.deepcopy(raw["definitions"])
    tighten(definitions)
    for name in _NUMERIC_STRINGS:
        if name in definitions:
            definitions[name]["type"] = ["string", "integer", "number"]
            definitions[name].pop("format", None)
    return definitions


@cache
def _validator(kind: str) -> Draft202012Validator:
    prefix, file_name = _PREFIX[kind]
    definitions = strict_definitions(file_name)
    schema = {"$ref": f"#/definitions/{prefix}{kind}", "definitions": definitions}
    return Draft202012Validator(schema)


def conformance_errors(manifest: dict[str, Any]) -> list[str]:
    """Every way `manifest` breaks its official schema, as `path: message` lines."""
    validator = _validator(str(manifest["kind"]))
    return [
        f"{manifest['kind']}/{manifest['metadata']['name']} "
        f"{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    ]
