"""What a saved Terraform plan says about itself: its variables and its backend.

A saved plan (`terraform plan -out`) is a zip; its `tfplan` entry is a protobuf `Plan`
(terraform's internal/plans/planproto/planfile.proto) in which field 2 holds the variables
(`map<string, DynamicValue>`) and field 13 the backend (`Backend{type=1, config=2,
workspace=3}`), each DynamicValue being msgpack (field 1). Only those two fields are read, with
a small wire-format reader: Terraform does not publish the message descriptors a protobuf
library would need, and the two fields take a few lines. msgpack is decoded with the `msgpack`
library. apply uses this to refuse a plan that belongs to another request or another stack.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from workflows.steps.errors import StepError

_VARIABLES, _BACKEND = 2, 13
_WIRE_VARINT, _WIRE_64BIT, _WIRE_BYTES, _WIRE_32BIT = 0, 1, 2, 5


@dataclass(frozen=True)
class SavedPlan:
    """The variables a plan was made with, and the backend it applies to."""

    variables: dict[str, Any]
    backend_type: str
    backend_config: dict[str, Any]


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, bytes | int]]:
    """(field number, value) of each field of one message: bytes for length-delimited ones."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == _WIRE_VARINT:
            value, at = _varint(data, at)
            yield number, value
        elif wire == _WIRE_BYTES:
            length, at = _varint(data, at)
            if at + length > len(data):
                raise ValueError("truncated field")
            yield number, data[at : at + length]
            at += length
        elif wire in (_WIRE_64BIT, _WIRE_32BIT):
            at += 8 if wire == _WIRE_64BIT else 4
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _dynamic(data: bytes) -> Any:
    for number, value in _fields(data):
        if number == 1 and isinstance(value, bytes):
            return msgpack.unpackb(value, raw=False, strict_map_key=False)
    return None


def _typed(value: Any) -> Any:
    """A variable's value: cty writes a value of a type decided at run time as
    [type as JSON bytes, value] (msgpack of a DynamicPseudoType)."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], bytes):
        return value[1]
    return value


def read(plan_file: Path) -> SavedPlan:
    """The variables and backend of a saved plan; StepError when it is not one."""
    try:
        with zipfile.ZipFile(plan_file) as archive:
            data = archive.read("tfplan")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise StepError(f"plan {plan_file}: not a Terraform plan file ({exc})") from exc
    variables: dict[str, Any] = {}
    backend_type, backend_config = "", {}
    try:
        for number, value in _fields(data):
            if number == _VARIABLES and isinstance(value, bytes):
                entry = dict(_fields(value))
                name, raw = entry.get(1), entry.get(2)
                if isinstance(name, bytes) and isinstance(raw, bytes):
                    variables[name.decode("utf-8")] = _typed(_dynamic(raw))
            elif number == _BACKEND and isinstance(value, bytes):
                for field, item in _fields(value):
                    if field == 1 and isinstance(item, bytes):
                        backend_type = item.decode("utf-8")
                    elif field == 2 and isinstance(item, bytes):
                        config = _dynamic(item)
                        backend_config = config if isinstance(config, dict) else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise StepError(f"plan {plan_file}: its tfplan cannot be read ({exc})") from exc
    return SavedPlan(variables, backend_type, backend_config)
