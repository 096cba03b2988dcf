"""The day-two step commands: list the registered stacks, check one for drift, reap expired ones.

`stacks` lists every stack of a kind in the registry (`workflows.steps.registry`) of each
environment, as the drift CronWorkflow's items. `drift` plans one registered stack from its
recorded request (plan only, `-detailed-exitcode`; never an apply) and reports in sync, drifted
or failed; a drifted stack's requester is told, and where settings say so a provision run is
started from its recorded request (it goes through policy and approval like any other).
`expire` is the reaper: it tells requesters before their stack expires and starts the destroy
run of each stack that has (see `workflows.steps.expiry`).

Each registry entry is handled alone. An entry that cannot be used (too large, not UTF-8 JSON,
nested too deep, not an object, a field missing or of the wrong type, a time that is not RFC
3339, another stack's content: `registry.RegistryError`), or that cannot be read, is reported
in one line on stderr naming it, and skipped; the exit status then says so:

- `expire` still handles every other entry (warns, starts destroys) and writes its report, the
  unreadable entries in it too (`"result": "unreadable"`); then it exits 1, so the reaper's node
  shows that an entry needs a person. An environment whose registry cannot be listed is
  reported the same way, and the other environments are still swept.
- `drift` checks one stack: its broken entry fails that check (exit 1, OUT/result `failed`, the
  reason in OUT/drift.json). The drift DAG runs the other checks regardless (`failFast: false`)
  and ends Failed.
- `stacks` reads names, not entries, so a broken entry is listed and fails its own check rather
  than stopping every other one. A file whose name is not a stack name of the contract is
  reported and left out (only names of the contract's narrow pattern pass through Argo's
  parameters). An environment whose registry cannot be listed is reported the same way as
  `expire` reports it, and the other environments are still listed and written to OUT/stacks;
  then it exits 1. The checks fan out over OUT/stacks whether the listing succeeded or failed
  (`workflows.cron`), so one unreachable store stops only its own environment's checks.

Bad arguments (`--kind`, `--now`, `--environment`, `--name`) are refused by `cli`'s parser
before anything is read or done: one line, exit 2 (the last three are checked by the
`*_argument` functions here, which `cli` imports when it parses them).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from idp.catalog import CatalogError, catalog_for, model_for
from idp.contract import NAME_PATTERN
from idp.settings import ENVIRONMENTS, Settings
from idp.times import rfc3339
from workflows.steps import expiry, outputs, registry, request, runs, workdir
from workflows.steps.cli import shown_value
from workflows.steps.delivery import deliver
from workflows.steps.errors import EXIT_INVALID, StepError
from workflows.steps.notify import Notice
from workflows.steps.stack import Stack
from workflows.steps.terraform import Terraform

if TYPE_CHECKING:
    from workflows.steps.stackstore import Store

IN_SYNC, DRIFTED, FAILED = "in-sync", "drifted", "failed"
UNREADABLE = "unreadable"


def environment_argument(value: str) -> str:
    """`--environment` of a day-two step: one of the request environments."""
    if value not in ENVIRONMENTS:
        raise argparse.ArgumentTypeError(
            f"{shown_value(value)} is not an environment ({', '.join(ENVIRONMENTS)})"
        )
    return value


def name_argument(value: str) -> str:
    """`--name` of a day-two step: a stack name of the contract (it names the stack's files)."""
    if not re.fullmatch(NAME_PATTERN, value):
        raise argparse.ArgumentTypeError(
            f"{shown_value(value)} is not a stack name of the contract ({NAME_PATTERN})"
        )
    return value


def time_argument(value: str) -> datetime:
    """`--now`: an RFC 3339 time in the years the registry accepts (`registry.read_time`)."""
    try:
        return registry.read_time(value, "")
    except registry.RegistryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _settings(args: argparse.Namespace) -> Settings:
    """The settings, once `--kind` is known to be one of their catalog's kinds."""
    settings = request.settings()
    try:
        model_for(args.kind, catalog_for(settings.catalog))
    except CatalogError as exc:
        raise StepError(str(exc), code=EXIT_INVALID) from None
    return settings


def stacks(args: argparse.Namespace) -> int:
    """OUT/stacks: the registered stacks of the kind, `[{"environment": .., "name": ..}]`,
    at most settings.drift.max_stacks of them (the rest are named in the log). An environment
    whose registry cannot be listed is named in one line and the others are still listed;
    then it exits 1, after writing OUT/stacks."""
    settings = _settings(args)
    _ready(args)
    found: list[dict[str, str]] = []
    unlisted: list[str] = []
    for environment in ENVIRONMENTS:
        try:  # the store or its listing could not be reached
            names = registry.stacks(_store_of(args, environment, settings), args.kind, environment)
        except StepError as exc:
            where = f"{args.kind}/{environment}/*{registry.SUFFIX}"
            print(f"stacks: {_named(where, exc)}", file=sys.stderr)
            unlisted.append(environment)
            continue
        for name in names:
            if not re.fullmatch(NAME_PATTERN, name):
                where = _shown(args.kind, environment, name)
                print(f"stacks: ignoring {where}: not a stack name of the contract")
                continue
            found.append({"environment": environment, "name": name})
    most = settings.drift.max_stacks
    if len(found) > most:
        left = ", ".join(f"{s['environment']}/{s['name']}" for s in found[most:])
        print(f"stacks: {len(found)} registered, checking the first {most}; not checked: {left}")
    chosen = found[:most]
    outputs.write(args.out, "stacks", json.dumps(chosen, separators=(",", ":")))
    print(f"stacks: {len(chosen)} {args.kind} stacks registered")
    if unlisted:
        raise StepError(
            f"the registry of {', '.join(unlisted)} could not be listed; the other "
            "environments' stacks are listed for their checks"
        )
    return 0


def _tell(settings: Settings, notice: Notice, email: str) -> str:
    """Deliver a notice as the notify step does; what happened, for the log."""
    delivery = deliver(notice, settings, [email] if email else [])
    return delivery.describe()


def _notice(kind: str, entry: registry.Entry, phase: str, **values: Any) -> Notice:
    return Notice(request_id=entry.request_id, kind=kind, phase=phase, **values)


def drift(args: argparse.Namespace) -> int:
    """Plan one registered stack from its recorded request and report the result: OUT/result
    (in-sync, drifted, failed), OUT/summary, OUT/drift.json. Exits 1 when it could not check
    (the stack is not registered, its entry cannot be used, its plan failed)."""
    settings = _settings(args)
    _ready(args)
    record: dict[str, Any] = {
        "kind": args.kind,
        "environment": args.environment,
        "name": args.name,
        "request_id": "",
        "checked_at": rfc3339(datetime.now(UTC)),
    }
    try:
        entry = _registered(args, settings)
        record["request_id"] = entry.request_id
        summary, changes = _plan_registered(args, entry, settings)
    except (StepError, OSError) as exc:
        reason = "; ".join(exc.lines) if isinstance(exc, StepError) else _one_line(str(exc))
        record.update(result=FAILED, reason=reason)
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


def _registered(args: argparse.Namespace, settings: Settings) -> registry.Entry:
    """The entry of the stack to check; StepError when there is none or it cannot be used."""
    where = registry.entry_name(args.kind, args.environment, args.name)
    try:
        store = _store_of(args, args.environment, settings)
        entry = registry.read(store, args.kind, args.environment, args.name)
    except registry.RegistryError as exc:
        raise StepError(_one_line(str(exc))) from None
    except StepError as exc:
        raise StepError(_named(where, exc)) from None
    if entry is None:
        raise StepError(f"{args.kind}/{args.environment}/{args.name}: not in the registry")
    return entry


def _publish(out: Path, record: dict[str, Any]) -> None:
    outputs.write(out, "result", str(record["result"]))
    outputs.write(out, "summary", str(record.get("summary") or record.get("reason") or ""))
    outputs.write(out, "drift.json", json.dumps(record, indent=1, sort_keys=True))


def _plan_registered(
    args: argparse.Namespace, entry: registry.Entry, settings: Settings
) -> tuple[str, str | None]:
    """The plan summary, and the changes when the stack differs from its code (None: none)."""
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
    try:
        sent = runs.start(settings.webhook_url, kind, entry.request, action="provision")
    except StepError as exc:
        return "not started: " + "; ".join(exc.lines)
    return f"provision run started: request {sent['request_id']}"


@dataclass
class _Sweep:
    """What the reaper did, entry by entry, for OUT/expiry.json and its exit status."""

    kind: str
    now: datetime
    settings: Settings
    tell: expiry.Tell
    report: list[dict[str, Any]] = field(default_factory=list)

    def unusable(self, environment: str, name: str | None, reason: str) -> None:
        """An entry (or, name None, an environment's listing) that could not be used: one line
        on stderr, and an item of the report."""
        print(f"expire: {reason}", file=sys.stderr)
        self.report.append(
            {"environment": environment, "name": name, "result": UNREADABLE, "reason": reason}
        )

    def environment(self, environment: str, store: Store) -> None:
        """Every entry of the environment's registry, each on its own."""
        for name in registry.stacks(store, self.kind, environment):
            self.entry(environment, name, store)

    def entry(self, environment: str, name: str, store: Store) -> None:
        """Read one entry and do what it is due; a failure is this entry's alone."""
        where = _shown(self.kind, environment, name)
        try:
            if not re.fullmatch(NAME_PATTERN, name):
                raise registry.RegistryError(f"{where}: not a stack name of the contract")
            entry = registry.read(store, self.kind, environment, name)
        except registry.RegistryError as exc:
            self.unusable(environment, name, _one_line(str(exc)))
            return
        except StepError as exc:  # the store could not be read
            self.unusable(environment, name, _named(where, exc))
            return
        if entry is None:
            return  # removed since the listing (its destroy was verified)
        action = expiry.due(entry, self.now, self.settings.expiry.warn_hours)
        if action is None:
            return
        try:
            done = expiry.act(
                action, entry, store=store, settings=self.settings, now=self.now, tell=self.tell
            )
        except (StepError, OSError) as exc:  # the entry could not be written back
            reason = "; ".join(exc.lines) if isinstance(exc, StepError) else str(exc)
            done = {"environment": environment, "name": name, "action": action}
            done.update(result=FAILED, reason=_one_line(reason))
        if done["result"] == FAILED:
            print(f"expire: {where}: {action} failed: {_one_line(done['reason'])}", file=sys.stderr)
        self.report.append(done)

    def _count(self, result: str, action: str | None = None) -> int:
        return sum(
            1
            for done in self.report
            if done["result"] == result and (action is None or done.get("action") == action)
        )

    def summary(self) -> str:
        started = self._count("started", "destroy")
        warned, failed = self._count("warned", "warn"), self._count(FAILED)
        unusable = self._count(UNREADABLE)
        text = f"{started} destroys started, {warned} warned, {failed} failed"
        return text + (f", {unusable} unreadable" if unusable else "")

    def problems(self) -> list[str]:
        """The reasons to exit 1, one line each; none when everything was handled."""
        unlisted = sum(1 for d in self.report if d["result"] == UNREADABLE and d["name"] is None)
        unusable = self._count(UNREADABLE) - unlisted
        failed = self._count(FAILED)
        lines = []
        if unlisted:
            lines.append(f"the registry of {unlisted} environments could not be listed")
        if unusable:
            lines.append(f"{unusable} registry entries could not be used (see expiry.json)")
        if failed:
            lines.append(f"{failed} expired stacks could not be handled (see expiry.json)")
        return lines


def expire(args: argparse.Namespace) -> int:
    """The reaper, at `--now` (the CronWorkflow's scheduled time): warn, then start destroys.
    OUT/expiry.json lists what it did; exits 1 when any destroy could not be started or any
    entry (or environment) could not be read, after handling every other one."""
    settings = _settings(args)
    _ready(args)
    now: datetime = args.now  # an RFC 3339 time of sane years: `cli` checked it
    sweep = _Sweep(args.kind, now, settings, _tell_requester(args.kind, settings))
    for environment in ENVIRONMENTS:
        try:
            sweep.environment(environment, _store_of(args, environment, settings))
        except StepError as exc:  # the store or its listing could not be reached
            where = f"{args.kind}/{environment}/*{registry.SUFFIX}"
            sweep.unusable(environment, None, _named(where, exc))
    outputs.write(args.out, "expiry.json", json.dumps(sweep.report, indent=1, sort_keys=True))
    outputs.write(args.out, "summary", sweep.summary())
    print(f"expire: {sweep.summary()}")
    problems = sweep.problems()
    if problems:
        raise StepError(*problems)
    return 0


def _store_of(args: argparse.Namespace, environment: str, settings: Settings) -> Store:
    """The environment's stack store (`Stack.store`); StepError when it cannot be reached
    (the Azure SDK refuses to make a credential from an incomplete environment: ValueError)."""
    try:
        return Stack.from_args(args).store(environment, settings)
    except ValueError as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise StepError(
            f"the stack store of {environment}: {type(exc).__name__}: {first}"
        ) from None


def _ready(args: argparse.Namespace) -> None:
    """Check the folders before anything is done, so that a step never acts and then cannot say
    what it did: OUT is made, and the local backend's state folder, if there is one, is one."""
    state_dir: Path = args.state_dir or args.work / "state"  # as `Stack.store` has it
    if args.backend == "local" and state_dir.exists() and not state_dir.is_dir():
        raise StepError(f"--state-dir {state_dir}: not a folder")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise StepError(f"--out {out}: not a folder")
    out.mkdir(parents=True, exist_ok=True)


def _shown(kind: str, environment: str, name: str) -> str:
    """An entry's name for a log line: as it is when it is a stack name of the contract, else
    quoted (a file name may hold any character, a terminal's control sequences too)."""
    if re.fullmatch(NAME_PATTERN, name):
        return registry.entry_name(kind, environment, name)
    return f"{kind}/{environment}/{name[:60]!r}{registry.SUFFIX}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _named(where: str, exc: StepError) -> str:
    """A StepError's reason, naming `where` when it does not already."""
    reason = _one_line("; ".join(exc.lines))
    return reason if where in reason else f"{where}: {reason}"


def _tell_requester(kind: str, settings: Settings) -> expiry.Tell:
    def tell(entry: registry.Entry, phase: str, reason: str) -> str:
        return _tell(settings, _notice(kind, entry, phase, reason=reason), entry.requester_email)

    return tell
