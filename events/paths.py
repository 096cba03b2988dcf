"""The subset of gjson (read) and sjson (write) paths that Argo Events uses on our sensors.

A path is keys separated by dots; `\\.` escapes a dot inside a key; a number selects a list
element. Wildcards and gjson modifiers are not used by this platform and are refused rather
than guessed at.
"""

from __future__ import annotations

import json
from typing import Any

_MISSING = object()


class PathError(ValueError):
    """A path this subset does not support, or that cannot be written."""


def split(path: str) -> list[str]:
    """Keys of a dotted path, honouring `\\.` escapes."""
    if any(char in path for char in "*?#|@"):
        raise PathError(f"path {path!r}: wildcards and modifiers are not supported")
    parts, current, escaped = [], "", False
    for char in path:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def get(document: Any, path: str) -> Any:
    """The value at `path`, or `MISSING` (see `exists`) when any step is absent."""
    node = document
    for key in split(path):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return _MISSING
    return node


def exists(value: Any) -> bool:
    return value is not _MISSING


def go_json(value: Any) -> str:
    """JSON text as Go's encoding/json writes it: compact, HTML characters escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def as_string(value: Any) -> str:
    """gjson's `String()`: a string as is, true/false, numbers as written, others as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return json.dumps(value)
    return go_json(value)


def put(document: Any, path: str, value: str, operation: str = "overwrite") -> None:
    """Set a string at `path` in place; `append`/`prepend` join it to the string there."""
    keys = split(path)
    node = document
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    last = keys[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise PathError(f"path {path!r}: no list element {last}")
        node[int(last)] = _combine(node[int(last)], value, operation)
    else:
        node[last] = _combine(node.get(last, ""), value, operation)


def _combine(current: object, value: str, operation: str) -> str:
    if operation == "append":
        return f"{current}{value}"
    if operation == "prepend":
        return f"{value}{current}"
    if operation in ("overwrite", ""):
        return value
    raise PathError(f"operation {operation!r}: must be overwrite, append or prepend")
