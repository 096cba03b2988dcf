"""The stack registry: one entry per stack that exists, kept beside its state.

A provision run that applied and verified records its stack in
`<kind>/<environment>/<name>.stack.json` of the stack store (`workflows.steps.stackstore`): the
request that made it (as validated), who asked, who approved, when, the module version, and
when it expires (`ttl_hours` after the apply; never for 0). A destroy that is verified removes
the entry. Drift detection and the expiry reaper iterate over these entries; reading them needs
only what the plan step already has (the backend of each environment).

An entry is read back with care, as a file anyone with access to the container could have
changed: at most `MAX_ENTRY_BYTES` are read, it must be UTF-8 JSON (the syntax Go's scanner
takes, `idp.jsontext`) nested at most `MAX_ENTRY_DEPTH` deep with every key once, an object of
the fields `to_json` writes with their types, times in RFC 3339 within `EARLIEST_YEAR` ..
`LATEST_YEAR`, and its stack (and its request's) must be the one its name says. Anything else is
a RegistryError naming the entry and the rule, so a caller can report that entry and go on with
the others. Its request is validated again by the caller before anything is done with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from idp.jsontext import JsonTextError, decode_utf8, is_wide, scan
from idp.times import parse_time, rfc3339
from workflows.steps.stackstore import Store, TooLarge

SUFFIX = ".stack.json"
MAX_ENTRY_BYTES = 256 * 1024  # read of one entry at most; the platform's own are about 1 KiB
MAX_ENTRY_DEPTH = 8  # the entry, its request, and room for a kind's list or object fields
# Times outside these years are mistakes (a CronWorkflow's scheduled time, an apply's time);
# within them, adding a ttl or subtracting the warning time never leaves datetime's range.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999


class RegistryError(ValueError):
    """An entry (or a time) that cannot be used; the message names it and the rule."""


def entry_name(kind: str, environment: str, name: str) -> str:
    return f"{kind}/{environment}/{name}{SUFFIX}"


def read_time(text: str, what: str) -> datetime:
    """An RFC 3339 time (`idp.times.parse_time`) within EARLIEST_YEAR .. LATEST_YEAR, in UTC;
    RegistryError naming `what` (when given) and the rule otherwise."""
    try:
        return parse_time(text, what, (EARLIEST_YEAR, LATEST_YEAR))
    except ValueError as exc:
        raise RegistryError(str(exc)) from None


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
        return None if self.expires_at is None else read_time(self.expires_at, "expires_at")

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
        request=_given(request),
        applied_at=rfc3339(now),
        approver=approver,
        module_version=module_version,
        expires_at=rfc3339(now + timedelta(hours=hours)) if hours else None,
    )


def _given(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request's fields as a request gives them: a field without a value (null, as a
    model dumps a default it computes later, such as a database's sku) is left out, as the
    contract wants it left out; a request made of the entry passes the Sensor and validate."""
    return {name: value for name, value in request.items() if value is not None}


def _kind_of(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _text(document: Mapping[str, Any], key: str, where: str) -> str:
    if key not in document:
        raise RegistryError(f"{where}: {key} is missing")
    value = document[key]
    if not isinstance(value, str):
        raise RegistryError(f"{where}: {key} must be a string, not {_kind_of(value)}")
    return value


def _optional(document: Mapping[str, Any], key: str, where: str) -> str | None:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise RegistryError(f"{where}: {key} must be a string or null, not {_kind_of(value)}")
    return value


def _time(document: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = _text(document, key, where) if required else _optional(document, key, where)
    if value is not None:
        try:
            read_time(value, key)
        except RegistryError as exc:
            raise RegistryError(f"{where}: {exc}") from None
    return value


def _decode(data: bytes, where: str) -> Any:
    """The JSON value of an entry's bytes, checked before Python's json module sees them (it
    takes NaN, UTF-16 and any depth, the last with a RecursionError)."""
    # idp.jsontext words these two for the webhook's bodies; an entry is the registry's
    if is_wide(data):
        raise RegistryError(f"{where}: UTF-16 or UTF-32 text: an entry is UTF-8 JSON only")
    try:
        text = decode_utf8(data)
    except JsonTextError as exc:
        raise RegistryError(f"{where}: {exc}") from None
    if text.startswith("\ufeff"):
        raise RegistryError(f"{where}: not JSON: a byte order mark (U+FEFF): an entry has none")
    try:
        scan(text, MAX_ENTRY_DEPTH)
    except JsonTextError as exc:
        problem = str(exc) if str(exc).startswith("nested") else f"not JSON: {exc}"
        raise RegistryError(f"{where}: {problem}") from None

    def once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        members: dict[str, Any] = {}
        for key, value in pairs:
            if key in members:
                raise RegistryError(f"{where}: the key {key[:40]!r} is given twice")
            members[key] = value
        return members

    try:
        return json.loads(text, object_pairs_hook=once)
    except RegistryError:
        raise
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise RegistryError(f"{where}: not JSON ({str(exc)[:120]})") from None


def from_json(data: bytes, where: str) -> Entry:
    """An entry read back from the store; RegistryError when it is not one."""
    if len(data) > MAX_ENTRY_BYTES:
        raise RegistryError(f"{where}: {len(data)} bytes, over {MAX_ENTRY_BYTES}")
    document = _decode(data, where)
    if not isinstance(document, dict):
        raise RegistryError(
            f"{where}: not a registry entry: a JSON {_kind_of(document)}, not an object"
        )
    request = document.get("request")
    if not isinstance(request, dict):
        raise RegistryError(f"{where}: request must be an object, not {_kind_of(request)}")
    entry = Entry(
        kind=_text(document, "kind", where),
        environment=_text(document, "environment", where),
        name=_text(document, "name", where),
        request=_given(request),
        applied_at=str(_time(document, "applied_at", where, required=True)),
        approver=_text(document, "approver", where),
        module_version=_text(document, "module_version", where),
        expires_at=_time(document, "expires_at", where, required=False),
        warned_at=_time(document, "warned_at", where, required=False),
        reaper_request_id=_optional(document, "reaper_request_id", where),
    )
    for key in ("environment", "name"):
        if request.get(key) != getattr(entry, key):
            shown = repr(request.get(key))[:60]
            raise RegistryError(
                f"{where}: request.{key} {shown} is not the entry's {getattr(entry, key)!r}"
            )
    for key in ("request_id", "requester_email"):
        if not isinstance(request.get(key, ""), str):
            raise RegistryError(
                f"{where}: request.{key} must be a string, not {_kind_of(request[key])}"
            )
    return entry


def record(store: Store, entry: Entry) -> str:
    return store.put(entry_name(entry.kind, entry.environment, entry.name), entry.to_json())


def read(store: Store, kind: str, environment: str, name: str) -> Entry | None:
    """The entry of the stack, None when there is none; RegistryError naming it when it cannot
    be used (a StepError when the store cannot be reached)."""
    where = entry_name(kind, environment, name)
    try:
        data = store.get(where, limit=MAX_ENTRY_BYTES)
    except TooLarge:
        raise RegistryError(f"{where}: over {MAX_ENTRY_BYTES} bytes") from None
    except OSError as exc:
        raise RegistryError(f"{where}: cannot be read ({exc.strerror or exc})") from None
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
