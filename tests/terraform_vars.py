r"""Read Terraform root modules with python-hcl2 and compare their variables with a request model.

The variables files are written in a small canonical set of validation forms, so that their
rules can be read back without evaluating HCL:

- `contains(["a", "b"], var.x)` for an enum,
- `var.x >= A` and `var.x <= B` for a range, plus `floor(var.x) == var.x` for whole numbers,
- `can(regex("^...$", var.x))` for a pattern, the model's pattern as an HCL string (the regex
  `\.`, Python's r"\.", is written "\\." in HCL),
- `length(var.x) >= N` and `length(var.x) <= N` for string length,

joined with `&&`. A variable whose model default is null wraps its whole condition as
`var.x == null ? true : (...)` (HCL does not short-circuit `||`, and `length(null)` fails).
Anything else is reported as a clause the checker cannot read, never silently ignored.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import hcl2
from hcl2 import SerializationOptions
from pydantic import BaseModel
from pydantic.fields import FieldInfo

_OPTIONS = SerializationOptions(with_comments=False)
_HCL_STRING = r'"(?:[^"\\]|\\.)*"'
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}

Aspect = Literal[
    "name",
    "type",
    "default",
    "nullable",
    "description",
    "enum",
    "range",
    "whole",
    "pattern",
    "length",
    "form",
]


class HclError(ValueError):
    """HCL the helpers cannot turn into a value (an interpolation, an unknown escape)."""


@dataclass(frozen=True)
class Problem:
    """One disagreement between a request model and a variables file."""

    field: str
    aspect: Aspect
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass
class Rules:
    """The validation rules of one variable, read from its conditions."""

    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    whole: bool = False
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    null_guarded: list[bool] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TerraformVariable:
    """A `variable` block, with strings decoded and its validation rules read."""

    name: str
    type: str | None
    description: str | None
    has_default: bool
    default: Any
    nullable: bool
    rules: Rules


@dataclass(frozen=True)
class FieldSpec:
    """What a request model says about one field, in Terraform's terms."""

    name: str
    type: str
    required: bool
    default: Any
    nullable: bool
    enum: tuple[str, ...] | None
    minimum: float | None
    maximum: float | None
    whole: bool
    pattern: str | None
    min_length: int | None
    max_length: int | None


# --- HCL side --------------------------------------------------------------------------------


def load_hcl(path: Path) -> dict[str, Any]:
    """One .tf file as python-hcl2 returns it (strings keep their quotes, comments dropped)."""
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = hcl2.load(handle, serialization_options=_OPTIONS)
    return loaded


def decode_string(literal: str) -> str:
    """The value of a quoted HCL string literal: quotes removed, escapes resolved."""
    if len(literal) < 2 or literal[0] != '"' or literal[-1] != '"':
        raise HclError(f"not a quoted HCL string: {literal!r}")
    body = literal[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            code = body[index + 1 : index + 2]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                index += 2
                continue
            width = {"u": 4, "U": 8}.get(code)
            digits = body[index + 2 : index + 2 + width] if width else ""
            if width and re.fullmatch(r"[0-9A-Fa-f]+", digits) and len(digits) == width:
                out.append(chr(int(digits, 16)))
                index += 2 + width
                continue
            raise HclError(f"unknown escape \\{code} in {literal!r}")
        if body.startswith(("$${", "%%{"), index):
            out.append(body[index + 1 : index + 3])
            index += 3
            continue
        if body.startswith(("${", "%{"), index):
            raise HclError(f"template sequence in {literal!r}: not a constant")
        out.append(char)
        index += 1
    return "".join(out)


def label(key: str) -> str:
    """A block label as python-hcl2 returns it (`'"name"'`) without its quotes."""
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def expression(value: object) -> str:
    """The HCL source of an expression attribute, without python-hcl2's `${...}` wrapper."""
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _code_positions(text: str) -> Iterator[tuple[int, int]]:
    """(index, bracket depth before it) of every character outside string literals."""
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
        else:
            yield index, depth
            depth += 1 if char in "([{" else -1 if char in ")]}" else 0
        index += 1


def split_top_level(text: str, operator: str) -> list[str]:
    """`text` split at `operator` outside brackets and string literals, parts stripped."""
    cuts = [
        index
        for index, depth in _code_positions(text)
        if depth == 0 and text.startswith(operator, index)
    ]
    bounds = zip([0, *(cut + len(operator) for cut in cuts)], [*cuts, len(text)], strict=True)
    return [text[start:end].strip() for start, end in bounds]


def _unwrap(text: str) -> str:
    """`text` without parentheses that enclose all of it: `((a && b))` is `a && b`."""
    while text.startswith("(") and text.endswith(")"):
        closing = next(
            (
                index
                for index, depth in _code_positions(text)
                if index and depth == 1 and text[index] == ")"
            ),
            None,
        )
        if closing != len(text) - 1:
            return text
        text = text[1:-1].strip()
    return text


def _number(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() else value


def read_condition(name: str, condition: str, rules: Rules) -> None:
    """Add what one validation condition of variable `name` says to `rules`."""
    ref = rf"var\.{re.escape(name)}"
    text = expression(condition).strip()
    guard = re.fullmatch(rf"{ref} == null \? true : \((.*)\)", text, re.DOTALL)
    rules.null_guarded.append(guard is not None)
    if guard:
        text = guard.group(1)
    for part in split_top_level(_unwrap(text), "&&"):
        clause = _unwrap(part)
        try:
            if not _read_clause(ref, clause, rules):
                rules.unreadable.append(clause)
        except HclError as error:
            rules.unreadable.append(f"{clause} ({error})")


def _read_clause(ref: str, clause: str, rules: Rules) -> bool:
    items = rf"{_HCL_STRING}(?:\s*,\s*{_HCL_STRING})*"
    if found := re.fullmatch(rf"contains\(\[\s*({items})\s*,?\s*\], {ref}\)", clause):
        literals = re.findall(_HCL_STRING, found.group(1))
        rules.enum = tuple(decode_string(literal) for literal in literals)
    elif found := re.fullmatch(rf"{ref} >= ({_NUMBER})", clause):
        rules.minimum = _number(found.group(1))
    elif found := re.fullmatch(rf"{ref} <= ({_NUMBER})", clause):
        rules.maximum = _number(found.group(1))
    elif re.fullmatch(rf"floor\({ref}\) == {ref}", clause):
        rules.whole = True
    elif found := re.fullmatch(rf"can\(regex\(({_HCL_STRING}), {ref}\)\)", clause):
        rules.pattern = decode_string(found.group(1))
    elif found := re.fullmatch(rf"length\({ref}\) >= ([0-9]+)", clause):
        rules.min_length = int(found.group(1))
    elif found := re.fullmatch(rf"length\({ref}\) <= ([0-9]+)", clause):
        rules.max_length = int(found.group(1))
    else:
        return False
    return True


def read_variables(path: Path) -> dict[str, TerraformVariable]:
    """Every `variable` block of a .tf file by name, in file order."""
    variables: dict[str, TerraformVariable] = {}
    for block in load_hcl(path).get("variable", []):
        for key, body in block.items():
            name = label(key)
            rules = Rules()
            for validation in body.get("validation", []):
                read_condition(name, validation.get("condition", ""), rules)
            description = body.get("description")
            default = body.get("default")
            variables[name] = TerraformVariable(
                name=name,
                type=expression(body["type"]) if "type" in body else None,
                description=decode_string(description) if description is not None else None,
                has_default="default" in body,
                default=decode_string(default) if isinstance(default, str) else default,
                nullable=body.get("nullable", True) is not False,
                rules=rules,
            )
    return variables


def blocks(path: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Two-label blocks (`resource`, `data`) of a .tf file as {"type.name": body}."""
    found: dict[str, dict[str, Any]] = {}
    for block in load_hcl(path).get(kind, []):
        for type_key, named in block.items():
            for name_key, body in named.items():
                found[f"{label(type_key)}.{label(name_key)}"] = body
    return found


def outputs(path: Path) -> dict[str, dict[str, Any]]:
    """The `output` blocks of a .tf file by name."""
    return {
        label(key): body
        for block in load_hcl(path).get("output", [])
        for key, body in block.items()
    }


# --- model side ------------------------------------------------------------------------------


def _metadata(items: Iterable[object]) -> list[object]:
    flat: list[object] = []
    for item in items:
        if isinstance(item, FieldInfo):
            flat.extend(_metadata(item.metadata))
        else:
            flat.append(item)
    return flat


def _constraints(
    name: str, metadata: Iterable[object]
) -> tuple[float | None, float | None, int | None, int | None, str | None]:
    """(ge, le, min length, max length, pattern) of a field; the tightest bound wins."""
    minimum: float | None = None
    maximum: float | None = None
    min_lengths: list[int] = []
    max_lengths: list[int] = []
    pattern: str | None = None
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            minimum = _number(str(item.ge))
        elif isinstance(item, annotated_types.Le):
            maximum = _number(str(item.le))
        elif isinstance(item, annotated_types.Gt | annotated_types.Lt):
            raise TypeError(f"{name}: use ge/le, which map to >= and <=")
        elif isinstance(item, annotated_types.MinLen):
            min_lengths.append(item.min_length)
        elif isinstance(item, annotated_types.MaxLen):
            max_lengths.append(item.max_length)
        elif isinstance(getattr(item, "pattern", None), str):
            pattern = getattr(item, "pattern", None)
    return (
        minimum,
        maximum,
        max(min_lengths) if min_lengths else None,
        min(max_lengths) if max_lengths else None,
        pattern,
    )


def field_spec(name: str, info: FieldInfo) -> FieldSpec:
    """The Terraform-relevant facts of one model field: type, default and constraints."""
    annotation: Any = info.annotation
    metadata = _metadata(info.metadata)
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        nullable = len(members) < len(get_args(annotation))
        if len(members) != 1:
            raise TypeError(f"{name}: only X | None unions map to a Terraform type")
        annotation = members[0]
    if get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        metadata += _metadata(extra)

    enum: tuple[str, ...] | None = None
    if get_origin(annotation) is Literal:
        values = get_args(annotation)
        if not all(isinstance(value, str) for value in values):
            raise TypeError(f"{name}: only string literals map to contains([...])")
        enum = tuple(values)
        annotation = str
    terraform_type = {str: "string", bool: "bool", int: "number", float: "number"}.get(annotation)
    if terraform_type is None:
        raise TypeError(f"{name}: no Terraform type for {annotation!r}")

    minimum, maximum, min_length, max_length, pattern = _constraints(name, metadata)
    return FieldSpec(
        name=name,
        type=terraform_type,
        required=info.is_required(),
        default=None if info.is_required() else info.get_default(call_default_factory=True),
        nullable=nullable,
        enum=enum,
        minimum=minimum,
        maximum=maximum,
        whole=annotation is int,
        pattern=pattern,
        min_length=min_length,
        max_length=max_length,
    )


def model_specs(model: type[BaseModel]) -> dict[str, FieldSpec]:
    """Every field of a request model, in model order."""
    return {name: field_spec(name, info) for name, info in model.model_fields.items()}


# --- comparison ------------------------------------------------------------------------------


def compare(
    model: type[BaseModel],
    variables: Mapping[str, TerraformVariable],
    format_only: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every way `variables` disagrees with `model`; empty when they agree.

    `format_only` names fields whose allowed values live outside the model (the platform's
    regions): their variable may check the value's format with a pattern the model lacks.
    """
    specs = model_specs(model)
    problems = [
        Problem(name, "name", "in the request model but not in variables.tf")
        for name in specs
        if name not in variables
    ]
    problems += [
        Problem(name, "name", "in variables.tf but not in the request model")
        for name in variables
        if name not in specs
    ]
    for name, spec in specs.items():
        if name in variables:
            problems += _compare_field(spec, variables[name], name in format_only)
    return problems


def _compare_field(spec: FieldSpec, var: TerraformVariable, format_only: bool) -> list[Problem]:
    found: list[Problem] = []
    for check in (_type, _default, _nullable, _enum, _numbers, _strings, _form):
        found += [Problem(spec.name, aspect, message) for aspect, message in check(spec, var)]
    if not format_only or spec.pattern is not None:
        found += [Problem(spec.name, aspect, message) for aspect, message in _pattern(spec, var)]
    return found


Finding = tuple[Aspect, str]


def _type(spec: FieldSpec, var: TerraformVariable) -> list[Finding]:
    found: list[Finding] = []
    if var.type != spec.type:
        found.append(("type", f"type is {var.type} in variables.tf but {spec.type} in the model"))
    if not (var.description or "").strip():
        found.append(("description", "has no description in variables.tf"))
    return found


def _default(spec: FieldSpec, var: TerraformVariable) -> list[Finding]:
    if spec.required and var.has_default:
        return [("default", "has a default in variables.tf but is required in the model")]
    if not spec.required and not var.has_default:
        return [("default", f"has no default in variables.tf; the model's is {spec.default!r}")]
    if not spec.required and var.default != spec.default:
        return [
            ("default", f"default is {var.default!r} in variables.tf, {spec.default!r} in model")
        ]
    return []


def _nullable(spec: FieldSpec, var: TerraformVariable) -> list[Finding]:
    found: list[Finding] = []
    if var.nullable != spec.nullable:
        wanted = "true (the model allows null)" if spec.nullable else "false"
        found.append(("nullable", f"nullable must be {wanted} in variables.tf"))
    for guarded in var.rules.null_guarded:
        if guarded and not spec.nullable:
            found.append(("nullable", "a validation lets null through, which the model refuses"))
        elif spec.nullable and not guarded:
            guard = f"var.{spec.name} == null ? true : (...)"
            found.append(("nullable", f"a validation fails on null: write it as `{guard}`"))
    return found


def _enum(spec: FieldSpec, var: TerraformVariable) -> list[Finding]:
    ours, theirs = var.rules.enum, spec.enum
    if ours is None and theirs is not None:
        return [("enum", f"variables.tf has no contains([...]) rule; the model allows {theirs}")]
    if ours is not None and theirs is None:
        return [("enum", f"variables.tf allows only {ours}; the model has no enum")]
    if ours is not None and theirs is not None and set(ours) != set(theirs):
        return [("enum", f"variables.tf allows {ours}, the model {theirs}")]
    return []


def _numbers(spec: FieldSpec, var: TerraformVariable) -> list[Finding]:
    rules, found = var.rules, list[Finding]()
    if (rules.minimum, rules.maximum) != (spec.minimum, spec.maximum):
        ours, theirs = f"{rules.minimum}..{rules.maximum}", f"{spec.minimum}..{spec.maximum}"
        found.append(("range", f"range is {ours} in variables.tf, {theirs} in the model"))
    if spec.whole and not rules.whole:
        found.append(("whole", f"variables.tf lacks `floor(var.{spec.name}) == var.{spec.name}`"))
    elif rules.whole and not spec.whole:
        found.append(("whole", "variables.tf requires a whole number; the model does not"))
    return found


def _pattern(spec: FieldSpec, var: TerraformVariable) -> list[Finding]:
    if var.rules.pattern == spec.pattern:
        return []
    ours, theirs = var.rules.pattern, spec.pattern
    return [("pattern", f"pattern is {ours!r} in variables.tf, {theirs!r} in the model")]


def _strings(spec: FieldSpec, var: TerraformVariable) -> list[Finding]:
    rules, found = var.rules, list[Finding]()
    if spec.type == "string" and spec.enum is None and spec.max_length is None:
        found.append(("length", "the model sets no max length for this string"))
    if (rules.min_length, rules.max_length) != (spec.min_length, spec.max_length):
        ours = f"{rules.min_length}..{rules.max_length}"
        theirs = f"{spec.min_length}..{spec.max_length}"
        found.append(("length", f"length is {ours} in variables.tf, {theirs} in the model"))
    return found


def _form(spec: FieldSpec, var: TerraformVariable) -> list[Finding]:
    return [
        ("form", f"validation clause not in a canonical form: {c}") for c in var.rules.unreadable
    ]
