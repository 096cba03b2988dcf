"""What a server hands idp, checked before it is used: JSON of a bounded size, depth and count,
and of the shape the code reading it expects.

An answer that does not fit raises `Malformed` with the reason; the caller names the server and
the request (`idp.argo.client`: "... is not an Argo Server answer ...", exit 10). Nothing a
server sends can then end in a TypeError, a KeyError or a RecursionError, or take more memory
than a few times `MAX_ANSWER`:

- the body is read with a cap after decompression (`idp.argo.transport`), at most `MAX_ANSWER`;
- before parsing, the brackets are counted: at most `MAX_CONTAINERS` objects and lists (an
  empty one costs some 60 bytes once parsed, its text 2), counting those inside strings too;
- after parsing, at most `MAX_DEPTH` levels of nesting (an Argo object has about 15; Python's
  own parser stops near 1000 with a RecursionError, which is caught too);
- a Workflow is checked against Hera's models of its metadata, spec and status before any of its
  fields is read (`workflow`).
"""

from __future__ import annotations

import json
from typing import Any

from hera.workflows import models as hm
from pydantic import BaseModel, ValidationError

from idp.manifests import Manifest

MAX_ANSWER = 16 * 1024 * 1024
MAX_CONTAINERS = 1_000_000
MAX_DEPTH = 64


class Malformed(ValueError):
    """An answer that is not what a server of the kind asked would send; the text says why."""


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raise Malformed when `value` nests objects and lists more than `limit` deep (iteratively:
    no recursion, whatever the depth)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise Malformed(f"nested more than {limit} levels deep")
        stack.extend((child, depth + 1) for child in children)


def parse(data: bytes | str) -> Any:
    """JSON text within the bounds of the module docstring; Malformed otherwise."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_ANSWER:
        raise Malformed(f"larger than {MAX_ANSWER // (1024 * 1024)} MiB")
    if raw.count(b"{") + raw.count(b"[") > MAX_CONTAINERS:
        raise Malformed(f"more than {MAX_CONTAINERS} JSON objects and lists")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise Malformed(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError:
        raise Malformed("not JSON") from None
    check_depth(value)
    return value


def parse_object(data: bytes | str) -> Manifest:
    """A JSON object within the bounds; Malformed for anything else (`[]`, `null`, `"x"`, 1)."""
    value = parse(data)
    if not isinstance(value, dict):
        raise Malformed(f"a JSON {_kind(value)}, not an object")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}.get(
        type(value), type(value).__name__
    )


def _fit(model: type[BaseModel], value: Any, where: str) -> Manifest:
    try:
        checked = model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in (where, *first["loc"]))
        raise Malformed(f"{field}: {first['msg'].lower()}") from None
    dumped: Manifest = checked.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dumped


def workflow(value: Any, where: str = "workflow") -> Manifest:
    """A Workflow as the server sends it, or only the fields asked for (`fields`): an object
    whose `metadata` has a name, and whose `metadata`, `spec` and `status`, when present, fit
    Hera's models. Returned as Hera dumps them (fields Hera does not know are left out)."""
    if not isinstance(value, dict):
        raise Malformed(f"{where}: a JSON {_kind(value)}, not an object")
    metadata = _fit(hm.ObjectMeta, value.get("metadata"), f"{where}.metadata")
    if not metadata.get("name"):
        raise Malformed(f"{where}.metadata.name: missing")
    checked: Manifest = {"metadata": metadata}
    for key, model in (("spec", hm.WorkflowSpec), ("status", hm.WorkflowStatus)):
        if value.get(key) is not None:
            checked[key] = _fit(model, value[key], f"{where}.{key}")
    for key in ("apiVersion", "kind"):
        if isinstance(value.get(key), str):
            checked[key] = value[key]
    return checked


def resource(value: Any, where: str) -> Manifest:
    """An object the server stores (an EventSource, a Sensor): a JSON object whose `metadata`
    fits Hera's model and has a name; the rest is returned as sent."""
    if not isinstance(value, dict):
        raise Malformed(f"{where}: a JSON {_kind(value)}, not an object")
    metadata = _fit(hm.ObjectMeta, value.get("metadata"), f"{where}.metadata")
    if not metadata.get("name"):
        raise Malformed(f"{where}.metadata.name: missing")
    return {**value, "metadata": metadata}


def items(answer: Manifest, where: str = "items") -> list[Any]:
    """A list answer's `items` (`null` or absent: none); anything but a list is Malformed."""
    found = answer.get("items")
    if found is None:
        return []
    if not isinstance(found, list):
        raise Malformed(f"{where}: a JSON {_kind(found)}, not an array")
    return found


def name(item: Any, where: str) -> str:
    """`metadata.name` of a listed object; Malformed when it has none."""
    meta = item.get("metadata") if isinstance(item, dict) else None
    found = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(found, str) or not found:
        raise Malformed(f"{where}.metadata.name: missing or not a string")
    return found
