"""Sensitive values out of everything a step publishes: plan JSON, plan text, outputs.

Terraform marks what is sensitive and the published files must carry none of it: anyone who
can read a Workflow can download its artifacts. In `terraform show -json` of a plan the marks
are `sensitive_values` beside each resource's `values` (planned values and prior state),
`before_sensitive`/`after_sensitive` beside a change's `before`/`after` (resource changes,
drift, output changes), `sensitive` on an output, and the variables declared sensitive in the
configuration. A mark is `true` for a whole value or a structure mirroring it. Every marked
value becomes REDACTED; every marked string found is also collected, so that the plan's text
and anything else published can be scrubbed of it wherever else it shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from idp import tokens

REDACTED = "(sensitive value)"
_SHORTEST = 4  # shorter marked strings are not searched for in text: they would match anywhere


def _redact(value: Any, mask: Any, found: set[str]) -> Any:
    if mask is True:
        _collect(value, found)
        return REDACTED
    if isinstance(mask, Mapping) and isinstance(value, Mapping):
        return {key: _redact(item, mask.get(key, False), found) for key, item in value.items()}
    if isinstance(mask, list) and isinstance(value, list):
        return [
            _redact(item, mask[index] if index < len(mask) else False, found)
            for index, item in enumerate(value)
        ]
    return value


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if len(value) >= _SHORTEST:
            found.add(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def _module(module: Mapping[str, Any] | None, found: set[str]) -> dict[str, Any] | None:
    if module is None:
        return None
    redacted = dict(module)
    redacted["resources"] = [
        {**r, "values": _redact(r.get("values"), r.get("sensitive_values", False), found)}
        for r in module.get("resources") or []
    ]
    if module.get("child_modules"):
        redacted["child_modules"] = [_module(m, found) for m in module["child_modules"]]
    return redacted


def _values(values: Mapping[str, Any] | None, found: set[str]) -> dict[str, Any] | None:
    """planned_values or prior_state.values: outputs and modules."""
    if values is None:
        return None
    redacted = dict(values)
    if "outputs" in values:
        redacted["outputs"] = outputs(values["outputs"], found)
    if "root_module" in values:
        redacted["root_module"] = _module(values["root_module"], found)
    return redacted


def _change(change: Mapping[str, Any], found: set[str]) -> dict[str, Any]:
    redacted = dict(change)
    for side in ("before", "after"):
        if side in change:
            redacted[side] = _redact(change[side], change.get(f"{side}_sensitive", False), found)
    return redacted


def outputs(items: Mapping[str, Any], found: set[str]) -> dict[str, Any]:
    """`terraform output -json`-shaped outputs with the sensitive values redacted."""
    redacted: dict[str, Any] = {}
    for name, item in items.items():
        if isinstance(item, Mapping) and item.get("sensitive"):
            _collect(item.get("value"), found)
            redacted[name] = {**item, "value": REDACTED}
        else:
            redacted[name] = item
    return redacted


def plan(document: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The plan JSON with every sensitive value redacted, and the strings that were redacted."""
    found: set[str] = set()
    redacted = dict(document)
    if "planned_values" in document:
        redacted["planned_values"] = _values(document["planned_values"], found)
    prior = document.get("prior_state")
    if isinstance(prior, Mapping):
        redacted["prior_state"] = {**prior, "values": _values(prior.get("values"), found)}
    for key in ("resource_changes", "resource_drift"):
        if key in document:
            redacted[key] = [
                {**item, "change": _change(item.get("change") or {}, found)}
                for item in document[key] or []
            ]
    if "output_changes" in document:
        redacted["output_changes"] = {
            name: _change(change, found)
            for name, change in (document["output_changes"] or {}).items()
        }
    declared = ((document.get("configuration") or {}).get("root_module") or {}).get(
        "variables"
    ) or {}
    if "variables" in document:
        redacted["variables"] = {
            name: {**item, "value": _redact(item.get("value"), True, found)}
            if (declared.get(name) or {}).get("sensitive")
            else item
            for name, item in (document["variables"] or {}).items()
        }
    return scrub_value(redacted, found), found


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret replaced by REDACTED (`idp.tokens.scrub`)."""
    return tokens.scrub(text, secrets, REDACTED)


def scrub_value(value: Any, secrets: set[str]) -> Any:
    """Any string anywhere in `value` scrubbed of the secrets (e.g. a configuration constant)."""
    if not secrets:
        return value
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, Mapping):
        return {key: scrub_value(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_value(item, secrets) for item in value]
    return value
