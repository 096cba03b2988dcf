"""Backstage's side of a Software Template, for tests: the official schemas, and what the
scaffolder makes of the template's `${{ }}` strings.

The schemas are read from `<IDP_UPSTREAM_SCHEMAS>/backstage/` (never copied into the project;
`tests.upstream.schemas_dir` skips, or fails under IDP_REQUIRE_UPSTREAM_SCHEMAS=1, without
them). The Template schema refers to Entity, which refers to EntityMeta and common: all are
loaded into one registry. Strict means what `tests.upstream.tighten` means, applied to the
template's `spec` (an unknown key of the spec, a step, a link or a text is an error), except
`spec.parameters`: a form page is a JSON Schema, open by nature.

Rendering follows `NunjucksWorkflowRunner.render` (@backstage/plugin-scaffolder-backend,
plugins/scaffolder-backend/src/scaffolder/tasks/NunjucksWorkflowRunner.ts): a string that is
one expression keeps its value's type (dumped to JSON and parsed back); a value that renders to
nothing leaves its key out; any other string has each expression replaced by its text. The
expressions are read with Python's parser, and only forms that mean the same in nunjucks and in
Python are accepted: names and attribute lookups (a missing one is undefined, as nunjucks'
`memberLookup` makes it), string constants, `not`, `and`, `or`, `==` and `!=`. Anything else
fails: the template would need more than this renderer checks.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from tests.upstream import schemas_dir, tighten

FOLDER = "backstage"
TEMPLATE_SCHEMA = "Template.v1beta3.schema.json"
SCHEMA_FILES = (
    TEMPLATE_SCHEMA,
    "Entity.schema.json",
    "EntityMeta.schema.json",
    "EntityEnvelope.schema.json",
    "common.schema.json",
)
_ONE = re.compile(r"\$\{\{((?:(?!\}\}).)+)\}\}")
_DROPPED = object()


def backstage_schemas() -> Path:
    """The folder of the official Backstage schemas, or a skip (a failure when
    IDP_REQUIRE_UPSTREAM_SCHEMAS=1)."""
    folder = schemas_dir() / FOLDER
    missing = [name for name in SCHEMA_FILES if not (folder / name).is_file()]
    if not missing:
        return folder
    reason = f"{folder} lacks {', '.join(missing)}: Backstage schema checks skipped"
    if os.environ.get("IDP_REQUIRE_UPSTREAM_SCHEMAS") == "1":
        pytest.fail(reason + " (IDP_REQUIRE_UPSTREAM_SCHEMAS=1 makes this a failure)")
    pytest.skip(reason)


@cache
def _registry() -> Registry:
    folder = backstage_schemas()
    resources = [
        DRAFT7.create_resource(json.loads((folder / name).read_text(encoding="utf-8")))
        for name in SCHEMA_FILES
    ]
    return Registry().with_resources((str(r.contents["$id"]), r) for r in resources)


@cache
def _validator(schema_id: str) -> Draft7Validator:
    schema = copy.deepcopy(_registry().contents(schema_id))
    if schema_id == "TemplateV1beta3":
        spec = schema["allOf"][1]["properties"]["spec"]
        for name, part in spec["properties"].items():
            if name != "parameters":
                tighten(part)
        spec["additionalProperties"] = False
    return Draft7Validator(schema, registry=_registry())


def schema_errors(entity: dict[str, Any], schema_id: str = "TemplateV1beta3") -> list[str]:
    """Every way `entity` breaks the official schema `schema_id`, as `path: message` lines."""
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in _validator(schema_id).iter_errors(entity)
    ]


def render(value: Any, context: dict[str, Any]) -> Any:
    """`value` with every `${{ }}` string rendered against `context`, as the scaffolder does."""
    if isinstance(value, dict):
        rendered = {key: render(item, context) for key, item in value.items()}
        return {key: item for key, item in rendered.items() if item is not _DROPPED}
    if isinstance(value, list):
        return [item for item in (render(v, context) for v in value) if item is not _DROPPED]
    if not isinstance(value, str) or "${{" not in value:
        return value
    whole = _ONE.fullmatch(value)
    if whole:
        found = evaluate(whole.group(1), context)
        return _DROPPED if found is None else json.loads(json.dumps(found))
    text = _ONE.sub(lambda m: _text(evaluate(m.group(1), context)), value)
    return text or _DROPPED


def evaluate(text: str, context: dict[str, Any]) -> Any:
    """One expression's value; None stands for nunjucks' undefined."""
    return _value(ast.parse(text.strip(), mode="eval").body, context)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    raise ValueError(f"{value!r} inside text: this renderer does not know how nunjucks prints it")


def _value(node: ast.expr, context: dict[str, Any]) -> Any:
    match node:
        case ast.Name(id=name):
            return context.get(name)
        case ast.Attribute(value=inner, attr=attribute):
            found = _value(inner, context)
            return found.get(attribute) if isinstance(found, dict) else None
        case ast.Constant(value=str() as constant):
            return constant
    return _operation(node, context)


def _operation(node: ast.expr, context: dict[str, Any]) -> Any:
    match node:
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _value(operand, context)
        case ast.BoolOp(op=ast.And() | ast.Or() as op, values=values):
            result: Any = None
            for item in values:
                result = _value(item, context)
                if bool(result) != isinstance(op, ast.And):
                    return result
            return result
        case ast.Compare(left=left, ops=[ast.Eq() | ast.NotEq() as op], comparators=[right]):
            same = _value(left, context) == _value(right, context)
            return same if isinstance(op, ast.Eq) else not same
    raise ValueError(f"{ast.unparse(node)!r}: not an expression this renderer checks")
