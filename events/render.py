"""`idp render`: the Workflow a kind's Sensor would create for a request body, or why not.

A body goes the way Argo Events v1.9.10 and v1.9.11 take it:

1. the webhook (`events.delivery`) refuses it (HTTP 400) or turns it into event data;
2. the Sensor's data filters (`filterData`, `pkg/sensors/dependencies/filter.go`), all ANDed:
   a path that does not exist drops the event; a string filter matches Go regular expressions
   (`events.goregexp`) against the gjson `String()` of the value (`events.gjson`), `!=`
   dropping on a match; a number filter compares its `Float()`;
3. the k8s trigger (`ApplyParams`, `pkg/sensors/triggers/params.go`): each parameter takes
   `getValueByKey` of its `dataKey` (the `request` argument: the body's JSON text as the webhook
   wrote it), or its `value` when the key does not exist, and is written with sjson
   (`events.paths`).

A Sensor may have several triggers, each waiting for one dependency (its `conditions`): each
fires when its dependency's filters pass (`pkg/sensors/listener.go`). A kind's Sensor sends a
preview to one trigger and every other request to the other (`events.sensors`).

Left out: the three labels the trigger adds when it creates the Workflow (the Sensor's name,
the trigger's name and the time of the action), which say nothing about the request.
"""

from __future__ import annotations

import copy
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from events import delivery, gjson, goregexp, paths
from idp.manifests import Manifest
from idp.settings import Settings

DEFAULT_MAX_PAYLOAD: int = Settings.model_fields["webhook_max_payload_bytes"].default
JSON_HEADERS = delivery.JSON_HEADERS
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "": operator.eq,
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class Dropped(Exception):
    """The Sensor's filters drop the event; the message names the filter."""


class Refused(Dropped):
    """The webhook refuses the body (HTTP 400): no event is made at all."""


class TriggerFailed(Exception):
    """The trigger could not build its resource (a parameter without value or default)."""


@dataclass(frozen=True)
class Event:
    """A webhook event as the Sensor sees it: the event data's JSON text."""

    data: str


def event_from_text(
    text: str | bytes,
    header: Mapping[str, Sequence[str]] | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_PAYLOAD,
) -> Event:
    """The event for a POSTed body, or Refused as the webhook answers it."""
    try:
        return Event(delivery.event_data(text, max_bytes, header or JSON_HEADERS))
    except delivery.Refused as exc:
        raise Refused(str(exc)) from None


def _passes(rule: Mapping[str, Any], result: gjson.Result) -> bool:
    comparator = rule.get("comparator") or ""
    if rule["type"] == "number":
        number = result.float()
        return any(_COMPARE[comparator](number, float(value)) for value in rule["value"])
    text = result.string()
    wanted = comparator in ("", "=")
    return any(goregexp.matches(value, text) == wanted for value in rule["value"])


def _describe(value: gjson.Result) -> str:
    if value.type == gjson.JSON:
        return "a list" if value.raw.startswith("[") else "an object"
    if value.type in (gjson.NUMBER, gjson.STRING):
        return f"the {value.type.lower()} {value.raw[:60]}"
    return value.raw


def explain_body(pattern: str, body: gjson.Result) -> str:
    """Why the body's JSON text fails the body filter `pattern`: the first member that fails
    on its own, and what the filter takes for that name (the verdict is the pattern's)."""
    if body.type != gjson.JSON or not body.raw.startswith("{"):
        return f"the body must be a JSON object, not {_describe(body)}"
    for key, value in gjson.members(body.raw):
        if goregexp.matches(pattern, f"{{{key}:{value.raw}}}"):
            continue
        name = gjson.unescape(key[1:-1])
        if "\ufffd" in value.raw:
            return f"{name}: holds U+FFFD (bytes that are not UTF-8, or the replacement character)"
        if goregexp.matches(pattern, f'{{{key}:"x"}}'):
            wanted = "a non-empty JSON string" if value.raw == '""' else "a JSON string"
        elif goregexp.matches(pattern, f"{{{key}:1}}"):
            wanted = "an integer written as digits"
        else:
            escaped = " (a field name must be written without escapes)" if "\\" in key else ""
            return f"{name!r} is not a field of the request{escaped}"
        return f"{name} must be {wanted}, not {_describe(value)}"
    return "the body does not have the request's shape"


def _why(rule: Mapping[str, Any], result: gjson.Result) -> str:
    path, values, comparator = rule["path"], rule["value"], rule.get("comparator") or ""
    if rule["type"] == "number":
        return f"filter {path}: {result.string()[:60]} is not {comparator} {values[0]}"
    if path == delivery.BODY:
        return f"filter {path}: {explain_body(values[0], result)}"
    shown = result.string()[:60]
    if comparator == "!=":
        return f"filter {path}: {shown!r} matches {values[0]}"
    return f"filter {path}: {shown!r} does not match {' or '.join(values)}"


_CONDITION = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def dependency_of(sensor: Manifest, trigger: Manifest) -> Manifest:
    """The one dependency a trigger waits for: the one its `conditions` names, or the Sensor's
    only one. ValueError for any other trigger (without `conditions` a trigger waits for every
    dependency: `pkg/sensors/listener.go`, `getDependencyExpression`)."""
    dependencies: list[Manifest] = sensor["spec"]["dependencies"]
    name = trigger["template"].get("name")
    conditions = trigger["template"].get("conditions")
    if conditions is None:
        if len(dependencies) != 1:
            raise ValueError(f"trigger {name}: name the one dependency it waits for (conditions)")
        return dependencies[0]
    if not isinstance(conditions, str) or not _CONDITION.fullmatch(conditions):
        raise ValueError(f"trigger {name}: conditions {conditions!r}: only one dependency's name")
    named = [d for d in dependencies if d["name"] == conditions]
    if len(named) != 1:
        raise ValueError(f"trigger {name}: conditions {conditions!r} names no one dependency")
    return named[0]


def _failure(dependency: Manifest, event: Event) -> tuple[int, Dropped] | None:
    """Where the event fails the dependency's data filters (the index of the first filter it
    fails, and why), or None when it passes them all."""
    for index, rule in enumerate(dependency.get("filters", {}).get("data", [])):
        result = gjson.get(event.data, rule["path"])
        if not result.exists():
            return index, Dropped(f"filter {rule['path']}: field is missing")
        if not _passes(rule, result):
            return index, Dropped(_why(rule, result))
    return None


def _resolve(source: Mapping[str, Any], event: Event) -> str:
    key = source.get("dataKey")
    if key is not None:
        value = gjson.value_by_key(event.data, key)
        if value is not None:
            return value
    if "value" in source:
        return str(source["value"])
    raise TriggerFailed(f"parameter from {key!r}: absent from the event and has no default")


def _resource(trigger: Manifest, event: Event) -> Manifest:
    k8s = trigger["template"]["k8s"]
    resource: Manifest = copy.deepcopy(k8s["source"]["resource"])
    for parameter in k8s.get("parameters", []):
        value = _resolve(parameter["src"], event)
        paths.put(resource, parameter["dest"], value, parameter.get("operation", "overwrite"))
    return resource


def render_all(sensors: Sequence[Manifest], event: Event) -> list[Manifest]:
    """Every resource the Sensors' k8s triggers create for `event`: each trigger whose
    dependency's filters the event passes. Dropped when there is none, naming the filter of
    the dependency the event got furthest in (the first such trigger's on a tie)."""
    created, failures = [], []
    for sensor in sensors:
        for trigger in sensor["spec"]["triggers"]:
            failure = _failure(dependency_of(sensor, trigger), event)
            if failure is None:
                created.append(_resource(trigger, event))
            else:
                failures.append(failure)
    if not created:
        furthest = max(index for index, _ in failures)
        raise next(dropped for index, dropped in failures if index == furthest)
    return created


def render(sensor: Manifest, event: Event) -> Manifest:
    """The resource the Sensor's k8s triggers create for `event`: the platform's Sensors
    create one at most (the preview's and the request's filters split on the action)."""
    created = render_all([sensor], event)
    if len(created) > 1:
        names = ", ".join(str(r["metadata"].get("name")) for r in created)
        raise TriggerFailed(f"{len(created)} triggers of one Sensor fire for one event: {names}")
    return created[0]
