"""The day-two step commands: list the registered stacks, check one for drift, reap expired ones.

`stacks` lists every stack of a kind in the registry (`workflows.steps.registry`) of each
environment, as the drift CronWorkflow's items. `drift` plans one registered stack from its
recorded request (plan only, `-detailed-exitcode`; never an apply) and reports in sync, drifted
or failed; a drifted stack's requester is told, and where settings say so a provision run is
started from its recorded request (it goes through policy and approval like any other).
`expire` is the reaper: it tells requesters before their stack expires and starts the destroy
run of each stack that has (see `workflows.steps.expiry`).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflows.steps import outputs, registry, workdir
from workflows.steps.delivery import deliver
from workflows.steps.errors import StepError
from workflows.steps.stack import Stack
from workflows.steps.terraform import Terraform

if TYPE_CHECKING:
    from idp.settings import Settings
    from workflows.steps.notify import Notice
    from workflows.steps.stackstore import Store

IN_SYNC, DRIFTED, FAILED = "in-sync", "drifted", "failed"


def _stores(args: argparse.Namespace, settings: Settings) -> list[tuple[str, Store]]:
    """Each request environment with the store its stacks are kept in."""
    from typing import get_args

    from idp.settings import EnvironmentName

    return [(env, Stack.from_args(args).store(env, settings)) for env in get_args(EnvironmentName)]


def stacks(args: argparse.Namespace) -> int:
    """OUT/stacks: the registered stacks of the kind, `[{"environment": .., "name": ..}]`,
    at most settings.drift.max_stacks of them (the rest are named in the log)."""
    from idp.contract import NAME_PATTERN
    from workflows.steps import request

    settings = request.settings()
    found: list[dict[str, str]] = []
    for environment, store in _stores(args, settings):
        for name in registry.stacks(store, args.kind, environment):
            if not re.fullmatch(NAME_PATTERN, name):
                print(f"stacks: ignoring {environment}/{name}: not a stack name of the contract")
                continue
            found.append({"environment": environment, "name": name})
    most = settings.drift.max_stacks
    if len(found) > most:
        left = ", ".join(f"{s['environment']}/{s['name']}" for s in found[most:])
        print(f"stacks: {len(found)} registered, checking the first {most}; not checked: {left}")
    chosen = found[:most]
    outputs.write(args.out, "stacks", json.dumps(chosen, separators=(",", ":")))
    print(f"stacks: {len(chosen)} {args.kind} stacks registered")
    return 0


def _tell(settings: Settings, notice: Notice, email: str) -> str:
    """Deliver a notice as the notify step does; what happened, for the log."""
    delivery = deliver(notice, settings, [email] if email else [])
    return delivery.describe()


def _notice(kind: str, entry: registry.Entry, phase: str, **values: Any) -> Notice:
    from workflows.steps.notify import Notice

    return Notice(request_id=entry.request_id, kind=kind, phase=phase, **values)


def drift(args: argparse.Namespace) -> int:
    """Plan one registered stack from its recorded request and report the result: OUT/result
    (in-sync, drifted, failed), OUT/summary, OUT/drift.json. Exits 1 when it could not check."""
    from datetime import UTC, datetime

    from workflows.steps import request

    settings = request.settings()
    store = Stack.from_args(args).store(args.environment, settings)
    entry = registry.read(store, args.kind, args.environment, args.name)
    if entry is None:
        raise StepError(f"{args.kind}/{args.environment}/{args.name}: not in the registry")
    checked_at = registry.rfc3339(datetime.now(UTC))
    record: dict[str, Any] = {
        "kind": args.kind,
        "environment": args.environment,
        "name": args.name,
        "request_id": entry.request_id,
        "checked_at": checked_at,
    }
    try:
        summary, changes = _plan_registered(args, entry, settings)
    except StepError as exc:
        record.update(result=FAILED, reason="; ".join(exc.lines))
        _publish(args.out, record)
        raise
    result = DRIFTED if changes is not None else IN_SYNC
    record.update(result=result, summary=summary, changes=changes or "")
    if result == DRIFTED:
        record["notice"] = _tell(
            settings,
            _notice(args.kind, entry, "drifted", summary=summary, reason=changes or ""),
            entry.requester_email,
        )
        if args.environment in settings.drift.remediate:
            record["remediation"] = _remediate(args.kind, entry, settings)
    _publish(args.out, record)
    print(f"drift: {args.environment}/{args.name}: {result} ({summary})")
    return 0


def _publish(out: Path, record: dict[str, Any]) -> None:
    outputs.write(out, "result", str(record["result"]))
    outputs.write(out, "summary", str(record.get("summary") or record.get("reason") or ""))
    outputs.write(out, "drift.json", json.dumps(record, indent=1, sort_keys=True))


def _plan_registered(
    args: argparse.Namespace, entry: registry.Entry, settings: Settings
) -> tuple[str, str | None]:
    """The plan summary, and the changes when the stack differs from its code (None: none)."""
    from workflows.steps import request

    valid = request.recorded(args.kind, dict(entry.request), settings)
    if valid.action != "provision":
        raise StepError(f"the recorded request's action is {valid.action!r}, not provision")
    stack = Stack.from_args(args).prepare()
    var_file = workdir.write_var_file(stack, valid.model_dump(mode="json"))
    terraform = Terraform(stack)
    terraform.init(Stack.from_args(args).backend_config(valid.environment, valid.name, settings))
    plan_file = stack / "drift.tfplan"
    changed = terraform.plan(var_file, plan_file, destroy=False)
    as_json, _ = terraform.show(plan_file)
    plan_file.unlink()  # it holds every value in clear; only its summary leaves the pod
    document = outputs.load_json(as_json, "terraform show -json")
    summary = outputs.plan_summary(document, changed)
    return summary, (outputs.plan_changes(document) if changed else None)


def _remediate(kind: str, entry: registry.Entry, settings: Settings) -> str:
    from workflows.steps import runs

    try:
        sent = runs.start(settings.webhook_url, kind, entry.request, action="provision")
    except StepError as exc:
        return "not started: " + "; ".join(exc.lines)
    return f"provision run started: request {sent['request_id']}"


def expire(args: argparse.Namespace) -> int:
    """The reaper, at `--now` (the CronWorkflow's scheduled time): warn, then start destroys.
    OUT/expiry.json lists what it did; exits 1 when any destroy could not be started."""
    from workflows.steps import expiry, request

    settings = request.settings()
    now = registry.parse_time(args.now, "--now")
    report: list[dict[str, Any]] = []
    failed = 0
    for environment, store in _stores(args, settings):
        for name in registry.stacks(store, args.kind, environment):
            entry = registry.read(store, args.kind, environment, name)
            if entry is None:
                continue
            action = expiry.due(entry, now, settings.expiry.warn_hours)
            if action is None:
                continue
            done = expiry.act(
                action,
                entry,
                store=store,
                settings=settings,
                now=now,
                tell=_tell_requester(args.kind),
            )
            failed += done.get("result") == FAILED
            report.append(done)
    outputs.write(args.out, "expiry.json", json.dumps(report, indent=1, sort_keys=True))
    started = sum(r.get("action") == "destroy" and r.get("result") != FAILED for r in report)
    warned = sum(r.get("action") == "warn" for r in report)
    outputs.write(
        args.out, "summary", f"{started} destroys started, {warned} warned, {failed} failed"
    )
    print(f"expire: {started} destroys started, {warned} warned, {failed} failed")
    if failed:
        raise StepError(f"{failed} expired stacks could not be handled (see expiry.json)")
    return 0


def _tell_requester(kind: str) -> Any:
    from workflows.steps import request

    settings = request.settings()

    def tell(entry: registry.Entry, phase: str, reason: str) -> str:
        return _tell(settings, _notice(kind, entry, phase, reason=reason), entry.requester_email)

    return tell
