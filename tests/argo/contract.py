"""The Argo Server's OpenAPI spec (swagger 2.0) as a checker of the requests a test server gets.

A request passes when its path matches a path template of the spec (literal segments win over
`{parameters}`, as in the server's router), the method exists there, every query parameter is
declared (and a boolean or integer one has such a value), every required parameter is present,
and a body is sent exactly when the operation takes one, as JSON that validates against the
operation's body schema with the `$ref`s resolved into the spec's definitions. The fake's own
answers can be held to an operation's 200 response schema the same way (`answer_errors`).

The definitions are applied strictly, like `tests.upstream`: an object schema that lists its
properties rejects any other, and `IntOrString`/`Quantity` also take numbers (Kubernetes does).

One substitution, on purpose: the spec's definitions of the Argo Events `EventSource` and
`Sensor` are generated from protobuf, not from the JSON the server decodes (they nest the
webhook context, type int64 fields as strings, and make `Int64OrString` and `Amount` objects);
the Argo Server decodes those bodies with Go's encoding/json into the Argo Events types, whose
JSON is what the official Argo Events schema describes. So inside `eventSource` and `sensor`
the official Argo Events v1.9.11 definitions (strict, from `tests.upstream`) are used, and the
request envelope around them is still checked against the swagger.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft4Validator

from tests.upstream import EVENTS_SCHEMA, SWAGGER, schemas_dir, strict_definitions, tighten

_EVENTS_PREFIX = "github.com.argoproj.argo_events.pkg.apis.events.v1alpha1."
_OFFICIAL_EVENTS = "io.argoproj.events.v1alpha1."
_NAMESPACED = "argo-events:"
_NUMERIC_STRINGS = (
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
)


@dataclass(frozen=True)
class Operation:
    """One method of one path template."""

    method: str
    template: str
    parameters: tuple[dict[str, Any], ...]
    responses: dict[str, Any]

    def declared(self, where: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.parameters if p["in"] == where}


def _rename_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                value.replace("#/definitions/", f"#/definitions/{_NAMESPACED}")
                if key == "$ref" and isinstance(value, str)
                else _rename_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(value) for value in node]
    return node


def _definitions(spec: dict[str, Any]) -> dict[str, Any]:
    definitions: dict[str, Any] = copy.deepcopy(spec["definitions"])
    tighten(definitions)
    for name in _NUMERIC_STRINGS:
        definitions[name]["type"] = ["string", "integer", "number"]
        definitions[name].pop("format", None)
    events = strict_definitions(EVENTS_SCHEMA)
    for name, schema in events.items():
        definitions[_NAMESPACED + name] = _rename_refs(schema)
    for kind in ("EventSource", "Sensor"):
        official = f"#/definitions/{_NAMESPACED}{_OFFICIAL_EVENTS}{kind}"
        definitions[_EVENTS_PREFIX + kind] = {"$ref": official}
    return definitions


class Contract:
    """Checks requests against the swagger (see the module docstring)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.definitions = _definitions(spec)
        self.operations: list[tuple[re.Pattern[str], int, dict[str, Operation]]] = []
        for template, item in spec["paths"].items():
            shared = item.get("parameters", [])
            methods = {
                method.upper(): Operation(
                    method.upper(),
                    template,
                    tuple(shared + op.get("parameters", [])),
                    op.get("responses", {}),
                )
                for method, op in item.items()
                if method != "parameters"
            }
            pattern = re.compile(
                "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            )
            literals = sum(1 for part in template.split("/") if part and "{" not in part)
            self.operations.append((pattern, literals, methods))
        self._validators: dict[str, Draft4Validator] = {}

    def operation(self, method: str, path: str) -> Operation | str:
        """The operation for `method path`, or why there is none."""
        matches = sorted(
            (
                (literals, methods)
                for pattern, literals, methods in self.operations
                if pattern.match(path)
            ),
            key=lambda match: -match[0],
        )
        if not matches:
            return f"{method} {path}: no path of the spec matches"
        for _, methods in matches:
            if method in methods:
                return methods[method]
        return f"{method} {path}: the spec has no {method} for this path"

    def _validator(self, schema: dict[str, Any]) -> Draft4Validator:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            self._validators[key] = Draft4Validator({**schema, "definitions": self.definitions})
        return self._validators[key]

    def check(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: bytes,
        content_type: str,
    ) -> tuple[Operation | None, list[str]]:
        """The operation (when one matches) and every way the request breaks the spec."""
        found = self.operation(method, path)
        if isinstance(found, str):
            return None, [found]
        where = f"{method} {found.template}"
        problems = []
        for name, values in query.items():
            declared = found.declared("query").get(name)
            if declared is None:
                problems.append(f"{where}: query parameter {name!r} is not declared")
                continue
            for value in values:
                kind = declared.get("type")
                if kind == "boolean" and value not in ("true", "false"):
                    problems.append(f"{where}: {name}={value!r} is not a boolean")
                if kind == "integer" and not re.fullmatch(r"-?\d+", value):
                    problems.append(f"{where}: {name}={value!r} is not an integer")
        placeholders = set(re.findall(r"\{([^/]+?)\}", found.template))
        if placeholders != set(found.declared("path")):
            problems.append(f"{where}: path parameters {sorted(placeholders)} are not declared")
        for name, declared in found.declared("query").items():
            if declared.get("required") and name not in query:
                problems.append(f"{where}: required query parameter {name!r} is missing")
        problems += self._check_body(where, found, body, content_type)
        return found, problems

    def answer_errors(self, method: str, path: str, document: Any) -> list[str]:
        """Every way a 200 answer to `method path` breaks the spec's response schema (for the
        fake's own answers)."""
        found = self.operation(method, path)
        if isinstance(found, str):
            return [found]
        schema = (found.responses.get("200") or {}).get("schema")
        if schema is None:
            return [f"{method} {found.template}: the spec declares no 200 answer"]
        return [
            f"{method} {found.template}: answer."
            f"{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message[:300]}"
            for error in self._validator(schema).iter_errors(document)
        ]

    def _check_body(
        self, where: str, operation: Operation, body: bytes, content_type: str
    ) -> list[str]:
        declared = list(operation.declared("body").values())
        if not declared:
            return [f"{where}: the operation takes no body, got {len(body)} bytes"] if body else []
        if not body:
            return [f"{where}: the body is missing"] if declared[0].get("required") else []
        if content_type.split(";", maxsplit=1)[0].strip() != "application/json":
            return [f"{where}: Content-Type {content_type!r} is not application/json"]
        try:
            document = json.loads(body)
        except ValueError as exc:
            return [f"{where}: the body is not JSON ({exc})"]
        validator = self._validator(declared[0]["schema"])
        return [
            f"{where}: body.{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: "
            f"{error.message[:300]}"
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        ]


@cache
def contract() -> Contract:
    """The checker for the Argo Workflows v4.1.2 Argo Server spec (skips without the schemas)."""
    spec = json.loads((schemas_dir() / SWAGGER).read_text(encoding="utf-8"))
    return Contract(spec)
