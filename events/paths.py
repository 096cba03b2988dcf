"""The subset of sjson (tidwall/sjson) paths a Sensor's k8s trigger writes its parameters with.

Argo Events applies each trigger parameter with `sjson.SetBytes(resource, dest, value)`, a
string value, after `append`/`prepend` joined it to the `String()` of what is there
(v1.9.11, `pkg/sensors/triggers/params.go`, `ApplyParams`). A `dest` here is keys joined by
dots, as gjson reads them (`events.gjson.keys_of`); a number selects a list element that must
already exist. Anything else raises PathError when the Sensor is built.
"""

from __future__ import annotations

from typing import Any

from events.gjson import PathError, keys_of

__all__ = ["PathError", "check_dest", "put"]

OPERATIONS = ("overwrite", "append", "prepend", "")


def check_dest(path: str, operation: str = "overwrite") -> str:
    """`path` itself when `put` writes it as sjson does; PathError otherwise."""
    keys_of(path)
    if operation not in OPERATIONS:
        raise PathError(f"operation {operation!r}: must be overwrite, append or prepend")
    return path


def put(document: Any, path: str, value: str, operation: str = "overwrite") -> None:
    """Set a string at `path` in place; `append`/`prepend` join it to the string there."""
    keys = keys_of(check_dest(path, operation))
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
    return value
