"""`idp render`: the Workflow a kind's Sensor would create for a request body, or why it drops it.

It applies the compiled Sensor's own data filters and trigger parameters to the event the way
Argo Events does: the webhook event's data is `{"header": ..., "body": ...}` with the body as
compact JSON; string filters are unanchored regular expressions (ours are anchored); every
filter must pass; a parameter takes its `dataKey` value, or its `value` when the key is absent.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from events import paths
from idp.manifests import Manifest

JSON_HEADERS = {"Content-Type": ["application/json"]}


class Dropped(Exception):
    """The Sensor's filters drop the event; the message names the filter."""


class TriggerFailed(Exception):
    """The trigger could not build its resource (a parameter without value or default)."""


@dataclass(frozen=True)
class Event:
    """A webhook event as the Sensor sees it."""

    body: Any
    header: dict[str, list[str]]

    @property
    def data(self) -> dict[str, Any]:
        return {"header": self.header, "body": self.body}


def event_from_text(text: str | bytes, header: dict[str, list[str]] | None = None) -> Event:
    """The event for a POSTed body; a body that is not JSON never becomes an event."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise Dropped(f"the webhook refuses a body that is not JSON ({exc})") from exc
    return Event(body=body, header=header or JSON_HEADERS)


def _passes(rule: dict[str, Any], value: Any) -> bool:
    kind = rule.get("type", "string")
    if kind == "string":
        text = paths.as_string(value)
        return any(re.search(pattern, text) for pattern in rule.get("value", []))
    if kind == "number":
        comparator = rule.get("comparator", "=") or "="
        number = float(paths.as_string(value))
        wanted = [float(v) for v in rule.get("value", [])]
        compare = {
            "=": number.__eq__,
            "!=": number.__ne__,
            ">": number.__gt__,
            ">=": number.__ge__,
            "<": number.__lt__,
            "<=": number.__le__,
        }[comparator]
        return any(compare(v) for v in wanted)
    if kind == "bool":
        return paths.as_string(value) in rule.get("value", [])
    raise TriggerFailed(f"filter type {kind!r} is not supported by render")


def check_filters(sensor: Manifest, event: Event) -> None:
    """Raise Dropped naming the first data filter the event fails."""
    for dependency in sensor["spec"]["dependencies"]:
        for rule in dependency.get("filters", {}).get("data", []):
            value = paths.get(event.data, rule["path"])
            if not paths.exists(value):
                raise Dropped(f"filter {rule['path']}: field is missing")
            if not _passes(rule, value):
                rules = " or ".join(rule.get("value", []))
                shown = paths.as_string(value)
                raise Dropped(f"filter {rule['path']}: {shown[:60]!r} does not match {rules}")


def _resolve(source: dict[str, Any], event: Event) -> str:
    key = source.get("dataKey")
    if key is not None:
        value = paths.get(event.data, key)
        if paths.exists(value):
            return paths.as_string(value)
    if "value" in source:
        return str(source["value"])
    raise TriggerFailed(f"parameter from {key!r}: absent from the event and has no default")


def render(sensor: Manifest, event: Event) -> Manifest:
    """The resource the Sensor's k8s trigger creates for `event`."""
    check_filters(sensor, event)
    trigger = sensor["spec"]["triggers"][0]["template"]["k8s"]
    resource: Manifest = copy.deepcopy(trigger["source"]["resource"])
    for parameter in trigger.get("parameters", []):
        value = _resolve(parameter["src"], event)
        paths.put(resource, parameter["dest"], value, parameter.get("operation", "overwrite"))
    return resource
