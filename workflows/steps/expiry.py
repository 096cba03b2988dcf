"""Expiry: when a registered stack's time is up, and what the reaper does about it.

A stack expires `ttl_hours` after its apply (the registry's `expires_at`). The reaper tells the
requester once, `settings.expiry.warn_hours` before; at expiry it records in the entry the
request id of the destroy run it is about to start (`reaper_request_id`), then starts that run
through the webhook (`workflows.steps.runs`). If the webhook refuses it, the record is undone,
so the next sweep tries again; once started, a stack is not reaped twice (a destroy that was
rejected stays rejected until someone asks again).

The destroy run needs an approval like any other, unless `settings.expiry.approval_waived`
names the environment. Then the plan step waives it, and apply checks the waiver again itself;
only for the reaper's own destroy of that stack (its request id is the one the entry records),
never for a destroy someone else sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from idp.times import rfc3339
from workflows.steps import registry, request, runs
from workflows.steps.errors import StepError

if TYPE_CHECKING:
    from idp.contract import RequestBase
    from idp.settings import Settings
    from workflows.steps.stackstore import Store

WARN, DESTROY = "warn", "destroy"
Tell = Callable[[registry.Entry, str, str], str]


def due(entry: registry.Entry, now: datetime, warn_hours: int) -> str | None:
    """What the reaper owes `entry` at `now`: WARN, DESTROY, or nothing (None)."""
    expires = entry.expires()
    if expires is None:
        return None
    if expires <= now:
        return None if entry.reaper_request_id else DESTROY
    if entry.warned_at is None and expires - timedelta(hours=warn_hours) <= now:
        return WARN
    return None


def waived(entry: registry.Entry | None, valid: RequestBase, settings: Settings) -> bool:
    """Whether `valid` is the reaper's own destroy of an expired stack in an environment whose
    expired stacks are destroyed without approval."""
    return (
        entry is not None
        and valid.action == "destroy"
        and entry.reaper_request_id == valid.request_id
        and valid.environment in settings.expiry.approval_waived
    )


def act(
    action: str,
    entry: registry.Entry,
    *,
    store: Store,
    settings: Settings,
    now: datetime,
    tell: Tell,
) -> dict[str, Any]:
    """Do what `due` said; what happened, for the reaper's report. Nothing is done for an entry
    whose recorded request does not pass today's contract and settings (it is `failed`)."""
    done: dict[str, Any] = {
        "environment": entry.environment,
        "name": entry.name,
        "request_id": entry.request_id,
        "expires_at": entry.expires_at,
        "action": action,
    }
    try:
        request.recorded(entry.kind, dict(entry.request), settings)
    except StepError as exc:
        return {**done, "result": "failed", "reason": "; ".join(exc.lines)}
    if action == WARN:
        reason = f"the stack expires at {entry.expires_at} and will then be destroyed"
        done["notice"] = tell(entry, "expiring", reason)
        registry.record(store, replace(entry, warned_at=rfc3339(now)))
        return {**done, "result": "warned"}
    return {**done, **_destroy(entry, store, settings, tell)}


def _destroy(entry: registry.Entry, store: Store, settings: Settings, tell: Tell) -> dict[str, Any]:
    destroy_id = runs.new_request_id()
    registry.record(store, replace(entry, reaper_request_id=destroy_id))
    try:
        runs.start(
            settings.webhook_url, entry.kind, entry.request, request_id=destroy_id, action="destroy"
        )
    except StepError as exc:
        registry.record(store, entry)  # undone: the next sweep tries again
        return {"result": "failed", "reason": "; ".join(exc.lines)}
    approval = (
        "no approval is needed (waived for this environment)"
        if entry.environment in settings.expiry.approval_waived
        else "it waits for an approval"
    )
    reason = (
        f"the stack expired at {entry.expires_at}; destroy run {destroy_id} started, {approval}"
    )
    return {
        "result": "started",
        "destroy_request_id": destroy_id,
        "notice": tell(entry, "expired", reason),
    }
