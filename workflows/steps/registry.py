"""The stack registry: one entry per stack that exists, kept beside its state.

A provision run that applied and verified records its stack in
`<kind>/<environment>/<name>.stack.json` of the stack store (`workflows.steps.stackstore`): the
request that made it (as validated), who asked, who approved, when, the module version, and
when it expires (`ttl_hours` after the apply; never for 0). A destroy that is verified removes
the entry. Drift detection and the expiry reaper iterate over these entries; reading them needs
only what the plan step already has (the backend of each environment).

An entry is read back with care: it is bounded in size, its stack must be the one its name
says, and its request is validated again by the caller before anything is done with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from workflows.steps.stackstore import Store

SUFFIX = ".stack.json"
MAX_ENTRY_BYTES = 64 * 1024


class RegistryError(ValueError):
    """An entry that cannot be used; the message names it and the rule."""


def entry_name(kind: str, environment: str, name: str) -> str:
    return f"{kind}/{environment}/{name}{SUFFIX}"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, what: str) -> datetime:
    """An RFC 3339 time (as Argo's `workflow.scheduledTime` and the entries write them)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RegistryError(f"{what}: {text[:40]!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise RegistryError(f"{what}: {text[:40]!r} has no time zone")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Entry:
    """One registered stack."""

    kind: str
    environment: str
    name: str
    request: Mapping[str, Any]
    applied_at: str
    approver: str
    module_version: str
    expires_at: str | None = None
    warned_at: str | None = None
    reaper_request_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def request_id(self) -> str:
        return str(self.request.get("request_id", ""))

    @property
    def requester_email(self) -> str:
        return str(self.request.get("requester_email", ""))

    def expires(self) -> datetime | None:
        return None if self.expires_at is None else parse_time(self.expires_at, "expires_at")

    def to_json(self) -> bytes:
        document = {
            "kind": self.kind,
            "environment": self.environment,
            "name": self.name,
            "request_id": self.request_id,
            "requester_email": self.requester_email,
            "approver": self.approver,
            "applied_at": self.applied_at,
            "module_version": self.module_version,
            "expires_at": self.expires_at,
            "warned_at": self.warned_at,
            "reaper_request_id": self.reaper_request_id,
            "request": dict(self.request),
        }
        return json.dumps(document, indent=1, sort_keys=True).encode()


def new_entry(
    request: Mapping[str, Any], kind: str, approver: str, module_version: str, now: datetime
) -> Entry:
    """The entry of a stack just applied from `request` (a validated request, as JSON)."""
    hours = int(request.get("ttl_hours") or 0)
    return Entry(
        kind=kind,
        environment=str(request["environment"]),
        name=str(request["name"]),
        request=dict(request),
        applied_at=rfc3339(now),
        approver=approver,
        module_version=module_version,
        expires_at=rfc3339(now + timedelta(hours=hours)) if hours else None,
    )


def _text(document: Mapping[str, Any], key: str, where: str) -> str:
    value = document.get(key)
    if not isinstance(value, str):
        raise RegistryError(f"{where}: {key} is not a string")
    return value


def _optional(document: Mapping[str, Any], key: str, where: str) -> str | None:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise RegistryError(f"{where}: {key} is not a string or null")
    return value


def from_json(data: bytes, where: str) -> Entry:
    """An entry read back from the store; RegistryError when it is not one."""
    if len(data) > MAX_ENTRY_BYTES:
        raise RegistryError(f"{where}: {len(data)} bytes, over {MAX_ENTRY_BYTES}")
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise RegistryError(f"{where}: not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("request"), dict):
        raise RegistryError(f"{where}: not a registry entry (an object with a request)")
    return Entry(
        kind=_text(document, "kind", where),
        environment=_text(document, "environment", where),
        name=_text(document, "name", where),
        request=document["request"],
        applied_at=_text(document, "applied_at", where),
        approver=_text(document, "approver", where),
        module_version=_text(document, "module_version", where),
        expires_at=_optional(document, "expires_at", where),
        warned_at=_optional(document, "warned_at", where),
        reaper_request_id=_optional(document, "reaper_request_id", where),
    )


def record(store: Store, entry: Entry) -> str:
    return store.put(entry_name(entry.kind, entry.environment, entry.name), entry.to_json())


def read(store: Store, kind: str, environment: str, name: str) -> Entry | None:
    where = entry_name(kind, environment, name)
    data = store.get(where)
    if data is None:
        return None
    entry = from_json(data, where)
    if (entry.kind, entry.environment, entry.name) != (kind, environment, name):
        raise RegistryError(
            f"{where}: the entry is of {entry.kind}/{entry.environment}/{entry.name}"
        )
    return entry


def remove(store: Store, kind: str, environment: str, name: str) -> bool:
    return store.delete(entry_name(kind, environment, name))


def stacks(store: Store, kind: str, environment: str) -> list[str]:
    """The names of `environment`'s registered stacks of `kind`, sorted."""
    prefix = f"{kind}/{environment}/"
    found = []
    for item in store.names(prefix):
        rest = item[len(prefix) :]
        if rest.endswith(SUFFIX) and "/" not in rest:
            found.append(rest[: -len(SUFFIX)])
    return sorted(found)
