"""The Terraform variables of a kind, generated from its request model: `variables.tf`.

Each module's `variables.tf` (`terraform/<kind>/`, and the test fixtures' in
`tests/fixtures/terraform/<kind>/`) is this module's output, committed and held equal to it by
tests/test_tfvars.py; `idp tfvars --write` regenerates them and `idp new-kind` writes a new
kind's. The fields every kind shares are rendered by the same code for every kind, from
`RequestBase`; the model is read through `idp.contract.field_rules`, as the Sensor's filters are.

One `variable` block per request field, in model order: its type (`string`, or `number` for an
integer), `nullable = false` unless the field defaults to null (left out), the model's default,
a description (the field's own, else its name), and one `validation` block per rule of the model:
the allowed values, the pattern, the length, the range of whole numbers. The pattern is the
model's (pydantic reads it with Rust's regex crate), checked to mean the same to Go's regexp,
which Terraform's `regex()` uses, or refused here (`terraform_pattern`).

What Terraform does not check, the validate step does before Terraform runs: the rules the model
enforces in code (no templating or control characters, printable names, the environment's
largest ttl_hours) and the allowed regions, a platform setting, for which the variable checks
only the form of a region name. Terraform also reads text in Unicode NFC and counts `length()`
in grapheme clusters, so for text outside ASCII its checks can be looser than the model's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import re2  # google-re2: the regular expressions of Go's regexp

from idp.catalog import DEFAULT_CATALOG, Catalog
from idp.contract import FieldRule, RequestBase, field_rules

FILE = "variables.tf"
# Where `idp tfvars --write` writes, under the repository's root: every kind has a module in
# the first; the test fixtures' modules, with the built-in provider only, are in the second.
MODULE_FOLDERS = ("terraform", "tests/fixtures/terraform")
REGENERATE = "idp tfvars --write"
ADDED_KINDS = "idp.kinds:CATALOG"  # the catalog of the kinds `idp new-kind` adds

# The allowed regions are a platform setting (Settings.allowed_regions), so the variable checks
# the form the setting requires of each region (`Settings._regions_are_names`) and the validate
# step checks the list.
REGION = "region"
REGION_FORM = r"^[a-z][a-z0-9]{1,30}$"
REGION_NOTE = (
    "Terraform checks only the form of a region name: the allowed list is a platform setting "
    "(allowed_regions), which the validate step checks"
)

_ALIGN = 11  # len("description"), the longest attribute name of a variable block
_PERL_CLASS = "dDwWsSbB<>"  # Unicode classes and word boundaries in Rust, ASCII ones in Go
_GO_FLAGS = set("imsU-")
_CLASS_SET_OPERATORS = ("&&", "--", "~~")
_HEX = re.compile(r"\{([0-9A-Fa-f]{1,8})\}|([0-9A-Fa-f]{4})")
_LONG_HEX = re.compile(r"\{([0-9A-Fa-f]{1,8})\}|([0-9A-Fa-f]{8})")


class TfvarsError(ValueError):
    """A model whose fields cannot be written as Terraform variables, or nowhere to write."""


@dataclass(frozen=True)
class Validation:
    """One `validation` block: a condition on `var.<name>` and the message when it fails."""

    condition: str
    error_message: str


# --- patterns --------------------------------------------------------------------------------


def terraform_pattern(pattern: str) -> str:
    """`pattern`, as pydantic reads it (Rust's regex crate), written for Go's regexp (RE2).

    The two agree on the syntax patterns use: anchors, classes, repetitions, groups, flags
    i, m, s and U. Rust's `\\u` and `\\U` escapes become `\\x{...}`. Refused, with the reason: the
    Perl classes and word boundaries (`\\d`, `\\w`, `\\s`, `\\b`, `\\<`, ...), Unicode in Rust and
    ASCII in Go; Unicode classes (`\\p`), whose tables differ between the two; class set
    operations (`[a-z&&[^q]]`), which RE2 would read as literal characters; flags Go lacks
    (`x`, `u`, `R`); anything else Go's regexp does not compile.
    """
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escape, index = _escape(pattern, index)
            out.append(escape)
            continue
        if in_class:
            if char == "[" and not pattern.startswith("[:", index):
                _refuse(pattern, "a class inside a class is a set operation only in Rust")
            if pattern.startswith(_CLASS_SET_OPERATORS, index):
                _refuse(pattern, f"{pattern[index : index + 2]!r} in a class is a set operation")
            if char == "[":  # a POSIX class, [:alpha:], the same in both
                end = pattern.find(":]", index + 2)
                end = len(pattern) if end < 0 else end + 2
                out.append(pattern[index:end])
                index = end
                continue
            in_class = char != "]"
        elif char == "[":
            in_class = True
            start = index + 1 + pattern.startswith("^", index + 1)
            if pattern.startswith("]", start):  # a leading ] is literal in both
                start += 1
            out.append(pattern[index:start])
            index = start
            continue
        elif pattern.startswith("(?", index):
            _check_flags(pattern, index)
        out.append(char)
        index += 1
    converted = "".join(out)
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(converted, options)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        _refuse(pattern, f"Go's regexp refuses it ({detail})")
    return converted


def _escape(pattern: str, index: int) -> tuple[str, int]:
    """The escape at `index` as Go writes it, and the index after it."""
    code = pattern[index + 1 : index + 2]
    if not code:
        _refuse(pattern, "it ends with a lone backslash")
    if code in _PERL_CLASS:
        _refuse(
            pattern,
            f"\\{code} means other characters to pydantic (Unicode) than to Terraform (ASCII); "
            "write the class out, as [0-9]",
        )
    if code in "pP":
        _refuse(pattern, f"\\{code} classes use each engine's own Unicode tables; use ranges")
    if code in "uU":
        found = (_HEX if code == "u" else _LONG_HEX).match(pattern, index + 2)
        if found is None:
            _refuse(pattern, f"\\{code} must be followed by hex digits")
        return f"\\x{{{found.group(1) or found.group(2)}}}", found.end()
    return pattern[index : index + 2], index + 2


def _check_flags(pattern: str, index: int) -> None:
    """Refuse a flag group `(?...)` whose flags Go's regexp does not have."""
    body = pattern[index + 2 :]
    if body.startswith((":", "P<", "<")):  # a plain or a named group
        return
    flags = re.match(r"[^:)]*", body)
    unknown = sorted(set(flags.group(0) if flags else "") - _GO_FLAGS)
    if unknown:
        _refuse(pattern, f"the flags {''.join(unknown)} do not exist in Go's regexp")


def _refuse(pattern: str, reason: str) -> NoReturn:
    raise TfvarsError(f"pattern {pattern!r} cannot be checked by Terraform: {reason}")


# --- HCL text --------------------------------------------------------------------------------


def hcl_string(text: str) -> str:
    """`text` as a quoted HCL string: escapes for quotes, backslashes and unprintable
    characters, and `$${` and `%%{` so that no part of it reads as a template."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable():
            out.append(f"\\u{ord(char):04X}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08X}")
        else:
            out.append(char)
    return "".join(out).replace("${", "$${").replace("%{", "%%{") + '"'


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return hcl_string(str(value))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _choices(values: Iterable[str]) -> str:
    *rest, last = list(values)
    return f"{', '.join(rest)} or {last}" if rest else last


# --- rules -----------------------------------------------------------------------------------


def _rules(name: str, rule: FieldRule, model: type[RequestBase]) -> list[Validation]:
    """The validation blocks of one field, unguarded (null is handled by the caller)."""
    ref = f"var.{name}"
    found: list[Validation] = []
    if rule.choices:
        listed = ", ".join(hcl_string(c) for c in rule.choices)
        found.append(
            Validation(f"contains([{listed}], {ref})", f"{name} must be {_choices(rule.choices)}")
        )
    pattern = REGION_FORM if name == REGION else rule.pattern
    if pattern is not None:
        if name != REGION and model.model_config.get("regex_engine", "rust-regex") != "rust-regex":
            raise TfvarsError(
                f"{model.__name__}.{name}: the model reads its pattern with Python's re, whose "
                "meaning Terraform cannot be shown to share; use the default regex_engine"
            )
        try:
            written = terraform_pattern(pattern)
        except TfvarsError as exc:
            raise TfvarsError(f"{model.__name__}.{name}: {exc}") from None
        message = (
            "be an Azure region name (a lowercase letter, then lowercase letters or digits)"
            if name == REGION
            else f"match {pattern} (the request contract's pattern)"
        )
        found.append(
            Validation(f"can(regex({hcl_string(written)}, {ref}))", f"{name} must {message}")
        )
    if rule.min_length is not None or rule.max_length is not None:
        found.append(_bounded(name, f"length({ref})", rule.min_length, rule.max_length, "length"))
    if rule.type == "integer":
        found.append(_bounded(name, ref, rule.minimum, rule.maximum, "number"))
    return found


def _bounded(name: str, ref: str, least: int | None, most: int | None, what: str) -> Validation:
    """A range rule: of a whole number (`what` "number") or of a text's length."""
    clauses = [] if least is None else [f"{ref} >= {least}"]
    clauses += [] if most is None else [f"{ref} <= {most}"]
    if what == "number":
        clauses.append(f"floor({ref}) == {ref}")
    return Validation(" && ".join(clauses), f"{name} must be {_span(least, most, what)}")


def _span(least: int | None, most: int | None, what: str) -> str:
    """ "a whole number from 1 to 100", "at most 256 characters long" and the like."""
    if least is not None and most is not None:
        span = f"from {least} to {most}" if what == "number" else f"{least} to {most}"
    elif least is not None:
        span = f"at least {least}"
    elif most is not None:
        span = f"at most {most}"
    else:
        span = ""
    if what == "number":
        return f"a whole number {span}".rstrip()
    return f"{span} characters long"


def _description(name: str, rule: FieldRule, model: type[RequestBase]) -> str:
    """The field's description in the model; else its name, with the values it takes."""
    given = model.model_fields[name].description
    if name == REGION:
        return f"{_sentence(given or 'Azure region')} {_sentence(REGION_NOTE)}"
    if given:
        return _sentence(given)
    text = f"The request's {name.replace('_', ' ')}"
    if rule.choices:
        return f"{text}: {_choices(rule.choices)}."
    if rule.type == "integer":
        return f"{text}: {_span(rule.minimum, rule.maximum, 'number')}."
    return _sentence(text)


# --- the file --------------------------------------------------------------------------------


def _attribute(key: str, value: str, width: int) -> str:
    return f"{key.ljust(width)} = {value}"


def variable_block(name: str, rule: FieldRule, model: type[RequestBase]) -> str:
    """The `variable` block of one field, formatted as `terraform fmt` leaves it."""
    nullable = not rule.required and rule.default is None
    lines = [
        _attribute("type", "string" if rule.type == "string" else "number", _ALIGN),
        _attribute("nullable", "true" if nullable else "false", _ALIGN),
    ]
    if not rule.required:
        lines.append(_attribute("default", _value(rule.default), _ALIGN))
    lines.append(_attribute("description", hcl_string(_description(name, rule, model)), _ALIGN))
    for validation in _rules(name, rule, model):
        condition = validation.condition
        message = validation.error_message
        if nullable:
            guarded = f"({condition})" if " && " in condition else condition
            condition = f"var.{name} == null ? true : {guarded}"
            message += ", or null for the default"
        width = len("error_message")
        lines += [
            "",
            "validation {",
            "  " + _attribute("condition", condition, width),
            "  " + _attribute("error_message", hcl_string(_sentence(message)), width),
            "}",
        ]
    body = "\n".join(f"  {line}" if line else "" for line in lines)
    return f'variable "{name}" {{\n{body}\n}}\n'


def variables_tf(model: type[RequestBase]) -> str:
    """The whole `variables.tf` of `model`'s kind: a header, then one block per field."""
    try:
        rules = field_rules(model)
    except ValueError as exc:
        raise TfvarsError(f"{exc} (a request field is a string or an integer)") from None
    regenerate = REGENERATE
    if DEFAULT_CATALOG.get(model.kind) is not model:
        regenerate += f" --catalog {ADDED_KINDS}"
    header = (
        f"# Generated by idp from the {model.kind} request model ({model.__name__}); do not edit.\n"
        "# One variable per request field, with its type, default, description and rules.\n"
        f"# Change the model, then regenerate: {regenerate}\n"
    )
    blocks = [variable_block(name, rule, model) for name, rule in rules.items()]
    return header + "\n" + "\n".join(blocks)


# --- writing ---------------------------------------------------------------------------------


def planned(root: Path, catalog: Catalog) -> dict[Path, str]:
    """Every variables.tf to write under `root`: each kind's module (which must exist), and its
    test fixture where there is one. Everything is rendered before anything is written."""
    missing = [kind for kind in catalog if not (root / MODULE_FOLDERS[0] / kind).is_dir()]
    if missing:
        folders = ", ".join(f"{MODULE_FOLDERS[0]}/{kind}/" for kind in missing)
        raise TfvarsError(
            f"--root {root}: no module folder {folders}; idp new-kind makes a kind's module"
        )
    files: dict[Path, str] = {}
    for kind, model in catalog.items():
        text = variables_tf(model)
        for folder in MODULE_FOLDERS:
            module = root / folder / kind
            if module.is_dir():
                files[module / FILE] = text
    return files


def write(root: Path, catalog: Catalog) -> dict[Path, bool]:
    """Write every planned variables.tf; each path with whether its text changed."""
    files = planned(root, catalog)
    odd = [str(path) for path in files if path.exists() and not path.is_file()]
    if odd:  # refused before anything is written
        raise TfvarsError(f"not a file, so not written: {', '.join(odd)}")
    changed: dict[Path, bool] = {}
    for path, text in files.items():
        try:
            before = path.read_bytes().decode("utf-8", "replace") if path.exists() else None
            changed[path] = before != text
            if before != text:
                path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise TfvarsError(f"{path}: cannot write it ({exc.strerror or exc})") from exc
    return changed
