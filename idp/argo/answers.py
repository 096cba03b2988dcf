"""What a server hands idp, checked before it is used: JSON of a bounded size, depth and count,
and of the shape the code reading it expects.

An answer that does not fit raises `Malformed` with the reason; the caller names the server and
the request (`idp.argo.client`: "... is not an Argo Server answer ...", exit 10). Nothing a
server sends can then end in a TypeError, a KeyError or a RecursionError, or take more memory
than a few times `MAX_ANSWER`:

- the body is read with a cap after decompression (`idp.argo.transport`), at most `MAX_ANSWER`;
- before parsing, the brackets are counted: at most `MAX_CONTAINERS` objects and lists (an
  empty one costs some 60 bytes once parsed, its text 2), counting those inside strings too;
  an answer Hera turns into its models as a whole (a Workflow read, a WorkflowTemplate) at most
  `MAX_MODEL_CONTAINERS`, as a model costs some 1.4 KiB (a platform Workflow has a few hundred;
  a list of a thousand of them, with only the fields `idp list` asks for, some 200,000);
- after parsing, at most `MAX_DEPTH` levels of nesting (an Argo object has about 15; Python's
  own parser stops near 1000 with a RecursionError, which is caught too);
- a Workflow is checked against Hera's models of its metadata, spec and status before any of its
  fields is read (`workflow`), one node at a time, so that a list does not cost a model of
  everything it holds at once; a stored object's name must be a Kubernetes name, as the API
  server makes sure (so it is safe to print and to put in a URL).

`tests/argo/test_bounded_answers.py` runs the commands against such answers within a 512 MiB
address space, and `tests/argo/test_answer_shapes.py` against answers of the wrong shapes.
"""

from __future__ import annotations

import json
from typing import Any

from hera.workflows import models as hm
from pydantic import BaseModel, ValidationError

from idp.manifests import Manifest
from idp.settings import is_object_name

MAX_ANSWER = 16 * 1024 * 1024
MAX_CONTAINERS = 500_000
MAX_MODEL_CONTAINERS = 100_000
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


def parse(data: bytes | str, containers: int = MAX_CONTAINERS) -> Any:
    """JSON text within the bounds of the module docstring (at most `containers` objects and
    lists); Malformed otherwise."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_ANSWER:
        raise Malformed(f"larger than {MAX_ANSWER // (1024 * 1024)} MiB")
    if raw.count(b"{") + raw.count(b"[") > containers:
        raise Malformed(f"more than {containers} JSON objects and lists")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise Malformed(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError:
        raise Malformed("not JSON") from None
    check_depth(value)
    return value


def parse_object(data: bytes | str, containers: int = MAX_CONTAINERS) -> Manifest:
    """A JSON object within the bounds; Malformed for anything else (`[]`, `null`, `"x"`, 1)."""
    value = parse(data, containers)
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
    """`value` as `model` read it, back in JSON (the fields it sent, each of the model's type:
    a time sent as a number is an RFC 3339 string, as a time sent as text is); Malformed,
    naming the first field, unless `value` fits `model`."""
    try:
        checked = model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in (where, *first["loc"]))
        raise Malformed(f"{field}: {first['msg'].lower()}") from None
    dumped: Manifest = checked.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dumped


def _metadata(value: Any, where: str) -> Manifest:
    """The object's `metadata`, checked (`_fit`), with a name."""
    if not isinstance(value, dict):
        raise Malformed(f"{where}: a JSON {_kind(value)}, not an object")
    checked = _fit(hm.ObjectMeta, value.get("metadata"), f"{where}.metadata")
    _name(checked.get("name"), where)
    return checked


def _name(found: Any, where: str) -> str:
    """A Kubernetes object name (DNS-1123 subdomain), as every stored object has."""
    if not isinstance(found, str) or not found:
        raise Malformed(f"{where}.metadata.name: missing or not a string")
    if not is_object_name(found):
        raise Malformed(f"{where}.metadata.name: not a Kubernetes name")
    return found


def workflow(value: Any, where: str = "workflow") -> Manifest:
    """A Workflow as the server sends it, or only the fields asked for (`fields`), checked: an
    object whose `metadata` has a name, and whose `metadata`, `spec` and `status` (each node on
    its own), when present, fit Hera's models. Returned as the models read it (`_fit`), as
    `ArgoClient.get_workflow` returns one: a reader meets each field in the model's type only
    (a node's `startedAt` sent as a number is a time string, never a number to sort with text),
    and fields the models do not know are left out."""
    metadata = _metadata(value, where)  # first: it checks that `value` is an object
    checked: Manifest = {**value, "metadata": metadata}
    if value.get("spec") is not None:
        checked["spec"] = _fit(hm.WorkflowSpec, value["spec"], f"{where}.spec")
    state = value.get("status")
    if state is not None:
        nodes = state.get("nodes") if isinstance(state, dict) else None
        if isinstance(nodes, dict):
            checked["status"] = {
                **_fit(hm.WorkflowStatus, {**state, "nodes": None}, f"{where}.status"),
                "nodes": {
                    key: _fit(hm.NodeStatus, node, f"{where}.status.nodes.{key}")
                    for key, node in nodes.items()
                },
            }
        else:
            checked["status"] = _fit(hm.WorkflowStatus, state, f"{where}.status")
    return checked


def resource(value: Any, where: str) -> Manifest:
    """An object the server stores (an EventSource, a Sensor), returned as sent once checked: a
    JSON object whose `metadata` fits Hera's model and has a name."""
    _metadata(value, where)  # only checked: the object goes back to the server as it came
    checked: Manifest = value
    return checked


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
    return _name(meta.get("name") if isinstance(meta, dict) else None, where)
