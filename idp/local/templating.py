"""`{{...}}` substitution as Argo's controller does it, on the JSON text of an object.

Argo marshals a template (or task) to JSON, replaces tags in that text, checks the result is
still valid JSON and unmarshals it (`util/template/replace.go`, `Replace`, `ReplaceStrictAny`;
tags are found as fasttemplate finds them, `{{` to the next `}}`). A simple tag is looked up
by its trimmed text and written through Go's `strconv.Quote`, so a value can never break out
of the JSON string it lands in (`simple_template.go`, `simpleReplaceStrict`). A value of None
is an absent optional (a Skipped or Omitted task's output with no default): a tag naming it is
an error. Unresolved tags either stay as they were (allowed) or are errors (strict); a strict
tag that is missing raises MissingVariable, on which the controller requeues instead of failing.

Expression tags (`{{=...}}`) are not evaluated: `idp.local.spec` refuses them before a run,
and one that arrives in a value during the run (Argo would evaluate it) stops the run
(ExpressionTag).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

START, END = "{{", "}}"


class TemplateError(ValueError):
    """A substitution the controller would refuse (the node errors)."""


class MissingVariable(TemplateError):
    """A strict tag that cannot be resolved yet: the controller requeues and tries again."""


class ExpressionTag(RuntimeError):
    """An expression tag met during a run, which idp local does not evaluate."""


def go_json(value: Any) -> str:
    """JSON text as Go's encoding/json writes it: compact, `<`, `>`, `&` escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def go_quote(text: str) -> str:
    """Go's `strconv.Quote`: a double-quoted literal, printable runes kept, others escaped."""
    named = {
        "\a": "\\a",
        "\b": "\\b",
        "\f": "\\f",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
        "\v": "\\v",
    }
    out = ['"']
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif char in named:
            out.append(named[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def tags(text: str) -> list[str]:
    """The tags in `text`, as fasttemplate finds them; TemplateError for a `{{` never closed."""
    found: list[str] = []
    position = 0
    while (start := text.find(START, position)) >= 0:
        end = text.find(END, start + len(START))
        if end < 0:
            raise TemplateError(f"cannot find end tag {END!r} after {text[start : start + 40]!r}")
        found.append(text[start + len(START) : end])
        position = end + len(END)
    return found


ALL = "all"
Strict = Iterable[str] | str | None


def _matches(strict: Strict, name: str) -> bool:
    """Whether an unresolved name must resolve: `ALL` (Replace without unresolved), a list of
    prefixes (`ReplaceStrict`: a prefix and then a dot or the end), or None (never)."""
    if strict is None:
        return False
    if strict == ALL:
        return True
    return any(name == p or name.startswith(p + ".") for p in strict)


def replace_text(text: str, values: Mapping[str, Any], *, strict: Strict) -> str:
    """Replace the tags in JSON `text`. `strict` says which unknown tags are errors: None
    keeps them all (`Replace` with unresolved allowed), `ALL` refuses every one (`Replace`
    without), a list of prefixes refuses those (`ReplaceStrictAny`, where an unresolved
    artifact reference may stay for artifact resolution)."""
    if not _valid_json(text):
        raise TemplateError("cannot do template replacements with invalid JSON")
    if strict is not None and strict != ALL:
        strict = list(strict)
    out: list[str] = []
    position = 0
    for tag in tags(text):
        start = text.index(START + tag + END, position)
        out.append(text[position:start])
        position = start + len(START) + len(tag) + len(END)
        if tag.startswith("="):
            raise ExpressionTag(
                f"the expression tag {{{{{tag}}}}} is not evaluated by idp local (Argo would)"
            )
        key = tag.strip()
        if key in values:
            found = values[key]
            if found is None:
                raise TemplateError(
                    f"unable to substitute {{{{{tag}}}}}: output is an absent optional "
                    "(skipped/omitted node with no default)"
                )
            if not isinstance(found, str):
                raise TemplateError(f"failed to resolve {{{{{tag}}}}} to string")
            out.append(go_quote(found)[1:-1])
            continue
        artifact_later = strict != ALL and ".outputs.artifacts." in key
        if _matches(strict, key) and not artifact_later:
            raise MissingVariable(f"failed to resolve {{{{{tag}}}}}")
        out.append(START + tag + END)
    out.append(text[position:])
    result = "".join(out)
    if not _valid_json(result):
        raise TemplateError(
            "cannot finish template replacement because the result was invalid JSON"
        )
    return result


def _valid_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def substitute(value: Any, values: Mapping[str, Any], *, strict: Strict = None) -> Any:
    """`value` (any JSON-able object) with its tags replaced, through its JSON text."""
    return json.loads(replace_text(go_json(value), values, strict=strict))
