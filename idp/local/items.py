"""A DAG task's `withParam`, expanded as the controller expands it.

`expandTask` (workflow/controller/dag.go) takes the items (the `withParam` text read as a JSON
list), marshals the task once and, for each item, replaces the
tags of that text (`processItem`, workflow/controller/operator.go) from the task's scope plus
the item: `{{item}}` is a string item as it is, a number or a bool as its JSON text, a map or a
list as JSON; `{{item.KEY}}` is a map item's value as `Item.String` writes it
(pkg/apis/workflow/v1alpha1/item.go: its JSON text, a string without its quotes). Each
expanded task is named `NAME(INDEX:DESCRIPTION)` (`generateNodeName`), the description being
the item (a map's `key:value` pairs, sorted, joined by commas) without parentheses.

The replacement is one pass over the task's text, so an item's value is data there: a `{{` it
holds is not expanded again. Every tag must resolve (`Replace` without unresolved values),
including those in the `withParam` text itself, which Argo marshals with the task.

JSON numbers keep the text they were written with, as Go's `json.RawMessage` does; strings are
written back as Go's encoder writes them (their escapes normalised).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from idp.local.templating import ALL, go_json, go_quote, replace_text

EMPTY_MESSAGE = "Skipped, empty params"  # dag.go, executeDAGTask: no items at all
ITEM_TYPE = "[]v1alpha1.Item"
# wfv1.DAGTask's fields in the order Go marshals them (the first unresolved tag is reported)
_TASK_FIELDS = (
    "name",
    "template",
    "inline",
    "arguments",
    "templateRef",
    "dependencies",
    "withItems",
    "withParam",
    "withSequence",
    "when",
    "continueOn",
    "onExit",
    "depends",
    "hooks",
)


class ItemsError(ValueError):
    """Items the controller cannot expand (the task's node errors with this message)."""


class Number(str):
    """A JSON number's text, as it was written."""


def expands(task: Mapping[str, Any]) -> bool:
    """`DAGTask.ShouldExpand` (for the fields idp local accepts)."""
    return bool(task.get("withParam"))


def items_of(task: Mapping[str, Any]) -> list[Any]:
    """The items of a resolved task: `withParam` as a JSON list."""
    text = str(task.get("withParam") or "")
    if not text:
        raise ItemsError(
            "withParam resolved to an empty text: Argo would run the task once, unexpanded, "
            "in place of its own TaskGroup node; idp local does not run that"
        )
    return parse_param(text)


def parse_param(text: str) -> list[Any]:
    """`json.Unmarshal` of a withParam value into `[]Item`; `null` is no items."""
    prefix = f"withParam value could not be parsed as a JSON list: {text.strip()}: "
    try:
        value = json.loads(text, parse_int=Number, parse_float=Number, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ItemsError(prefix + _syntax_error(exc)) from None
    except _Constant as exc:
        start = _quote_char(str(exc)[0])
        raise ItemsError(
            prefix + f"invalid character {start} looking for beginning of value"
        ) from None
    if value is None:
        return []
    if not isinstance(value, list):
        kind = {str: "string", dict: "object", bool: "bool"}.get(type(value), "number")
        raise ItemsError(
            prefix + f"json: cannot unmarshal {kind} into Go value of type {ITEM_TYPE}"
        )
    return value


def expand_task(task: Mapping[str, Any], scope: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """`expandTask`: one task per item, each with its name and its tags replaced."""
    items = items_of(task)
    ordered = {key: task[key] for key in sorted(task, key=_field_order)}
    text = go_json(ordered)
    expanded = []
    for index, item in enumerate(items):
        values, description = item_values(item)
        try:
            replaced = replace_text(text, {**scope, **values}, strict=ALL)
        except ValueError as exc:
            raise ItemsError(str(exc)) from None
        new: dict[str, Any] = json.loads(replaced)
        new.pop("withParam", None)
        new["name"] = node_name(str(task["name"]), index, description)
        new["template"] = task["template"]
        expanded.append(new)
    return expanded


def item_values(item: Any) -> tuple[dict[str, str], str]:
    """`processItem`: the item's tags and its description for the node's name."""
    if isinstance(item, bool | int | float | Number):
        return {"item": item_string(item)}, item_string(item)
    if isinstance(item, str):
        return {"item": item}, item_string(item)
    if isinstance(item, Mapping):
        values = {f"item.{key}": item_string(value) for key, value in item.items()}
        pairs = sorted(f"{key}:{item_string(value)}" for key, value in item.items())
        whole = ",".join(f"{go_json(str(key))}:{raw_json(item[key])}" for key in sorted(item))
        values["item"] = "{" + whole + "}"
        return values, ",".join(pairs)
    if isinstance(item, list) or item is None:
        elements = item or []
        whole = "null" if item is None else "[" + ",".join(raw_json(e) for e in elements) + "]"
        return {"item": whole}, "[" + " ".join(item_string(e) for e in elements) + "]"
    raise ItemsError(
        f"withParam expected string, number, list, or map. received: {item!r}"
    )  # pragma: no cover - JSON gives nothing else


def node_name(name: str, index: int, description: str) -> str:
    """`generateNodeName`: `NAME(INDEX:DESCRIPTION)`, parentheses dropped from the description."""
    clean = description.replace("(", "").replace(")", "")
    return f"{name}({index}:{clean})"


def item_string(value: Any) -> str:
    """`Item.String`: the value's JSON text, a string's quotes removed, `<>&` unescaped."""
    text = raw_json(value)
    if text.startswith('"'):
        text = text[1:-1]
    for escape, char in (("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&")):
        text = text.replace(escape, char)
    return text


def raw_json(value: Any) -> str:
    """A value's JSON text as Go writes a `json.RawMessage`: compact, numbers as written,
    `<>&` escaped, object keys in the order they came."""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, Mapping):
        inner = ",".join(f"{go_json(str(k))}:{raw_json(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ",".join(raw_json(v) for v in value) + "]"
    return go_json(value)


def _field_order(key: str) -> int:
    return _TASK_FIELDS.index(key) if key in _TASK_FIELDS else len(_TASK_FIELDS)


class _Constant(ValueError):
    """`NaN` or `Infinity`, which Python's reader takes and Go's refuses."""


def _no_constant(name: str) -> Any:
    raise _Constant(name)


def _syntax_error(exc: json.JSONDecodeError) -> str:
    """Go's message for the most common syntax errors (encoding/json's scanner)."""
    text, position = exc.doc, exc.pos
    if position >= len(text) or exc.msg.startswith("Unterminated"):
        return "unexpected end of JSON input"
    char = _quote_char(text[position])
    if exc.msg == "Extra data":
        return f"invalid character {char} after top-level value"
    if exc.msg.startswith("Expecting property name"):
        return f"invalid character {char} looking for beginning of object key string"
    if exc.msg.startswith("Expecting ':'"):
        return f"invalid character {char} after object key"
    if exc.msg.startswith("Expecting ','"):
        return f"invalid character {char} after array element"
    if exc.msg.startswith("Invalid control character"):
        return f"invalid character {char} in string literal"
    return f"invalid character {char} looking for beginning of value"


def _quote_char(char: str) -> str:
    """encoding/json's `quoteChar`."""
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    return "'" + go_quote(char)[1:-1] + "'"
