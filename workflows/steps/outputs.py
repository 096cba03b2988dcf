"""What steps hand to Argo: files under OUT, the plan summary, the sha256, Terraform outputs.

Every output parameter is a plain file without a trailing newline, which is how Argo reads it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workflows.steps.errors import StepError

ARM_ID_PREFIX = "/subscriptions/"


def write(out: Path, name: str, content: str | bytes) -> Path:
    """Write one output file (parameter or artifact) under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_json(text: str, what: str) -> Any:
    """Parse JSON that Terraform printed, or fail naming what it was."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise StepError(f"{what}: not valid JSON ({exc})") from exc


def plan_summary(plan: Mapping[str, Any], has_changes: bool) -> str:
    """`N to add, N to change, N to destroy` from a plan's `resource_changes` (replace = both)."""
    add = change = destroy = 0
    for item in plan.get("resource_changes") or []:
        actions = set(item.get("change", {}).get("actions", []))
        add += "create" in actions
        destroy += "delete" in actions
        change += "update" in actions
    summary = f"{add} to add, {change} to change, {destroy} to destroy"
    if has_changes and not add + change + destroy:
        summary += "; outputs change"
    return summary


CHANGES_SHOWN = 30
_ACTIONS = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "destroy",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("read",): "read",
}


def plan_changes(plan: Mapping[str, Any], *, limit: int = CHANGES_SHOWN) -> str:
    """One line per resource the plan changes (`create azurerm_...this`), at most `limit`,
    then how many more there are; empty when nothing changes."""
    lines = []
    for item in plan.get("resource_changes") or []:
        actions = tuple(item.get("change", {}).get("actions", []))
        word = _ACTIONS.get(actions)
        if word is not None:
            lines.append(f"{word} {item.get('address', '?')}")
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"... and {len(lines) - limit} more (the full plan: the plan-text artifact)")
    return "\n".join(shown)


def public_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the non-sensitive outputs of `terraform output -json`."""
    return {
        name: item.get("value")
        for name, item in sorted(outputs.items())
        if isinstance(item, Mapping) and not item.get("sensitive", False)
    }


def _ids(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if value.lower().startswith(ARM_ID_PREFIX):
            yield value
    elif isinstance(value, list):
        for item in value:
            yield from _ids(item)


def resource_ids(outputs: Mapping[str, Any]) -> set[str]:
    """ARM ids (`/subscriptions/...`) in the outputs named `*_id` (a string or a list of them)."""
    found: set[str] = set()
    for name, item in outputs.items():
        if name.endswith("_id") and isinstance(item, Mapping):
            found.update(_ids(item.get("value")))
    return found
