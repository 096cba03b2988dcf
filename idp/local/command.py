"""`idp local KIND FILE` and `idp local-cron NAME`, the runner's side: the Workflow to run (the
one the kind's Sensor creates of a request's body, handed over by `idp.commands.local`, or the
one the cron controller creates of a CronWorkflow for a scheduled time), the runner's options
from the arguments both commands share, and the run's end as an exit code.

The CronWorkflow is read, like everything `idp local` runs, from the YAML `idp compile` writes;
its Workflow is made by `idp.local.cron`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from idp.compat import ARGO_WORKFLOWS, tags, workflows_release
from idp.contract import EMAIL_PATTERN
from idp.errors import (
    EXIT_FAILURE,
    EXIT_INVALID,
    EXIT_USAGE,
    EXIT_WORKFLOW_FAILED,
    CommandError,
)
from idp.image import CHECKOV_ENV
from idp.local import approval, cron
from idp.local.clock import RunClock
from idp.local.compiled import artifact_repository, config_maps
from idp.local.controller import Approver, LocalRunError
from idp.local.run import (
    Inputs,
    Interrupted,
    Options,
    Stubs,
    check_stubs,
    parse_stubs,
    read_secrets,
    run,
    task_names,
)
from idp.local.spec import UnsupportedField
from idp.manifests import Manifest, dump
from idp.times import parse_time, rfc3339

CHECKOUT = Path(__file__).resolve().parents[2]
# What stops a run, as Ctrl-C does: Ctrl-C, `kill`, and the terminal closing
STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class RunArguments:
    """The arguments `idp local` and `idp local-cron` share, as parsed."""

    modules: Path
    policies: Path
    stubs: Sequence[str]  # `--stub NAME=PHASE`, as given
    argo_version: str | None
    state_dir: Path | None
    run_dir: Path | None
    secrets: Path | None
    logs: bool
    output: str | None  # print the finished Workflow as yaml or json


def request_command(
    inputs: Inputs, kind: str, arguments: RunArguments, approve: str | None, actor: str | None
) -> int:
    """`idp local`: run `inputs`, made of a request of `kind`; approvals answered `approve`
    (None: asked), as `actor`."""
    name = inputs.workflow["metadata"]["name"]
    try:
        stubs = parse_stubs(list(arguments.stubs), task_names(inputs))
        check_stubs(stubs, inputs)
        checkov = checkov_program() if "policy" not in stubs.phases else ""
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_INVALID) from None
    approver = (
        approval.Fixed(approve, actor=actor)
        if approve is not None
        else approval.Prompt(actor=actor)
    )
    options = run_options(arguments, name, approver, checkov, stubs, actor)
    if not (options.modules / kind).is_dir():
        raise CommandError(
            f"--modules {options.modules}: no module folder {kind}/ (a folder holds one "
            "module per kind, as the image does)",
            EXIT_INVALID,
        )
    check_policies(options)
    return run_and_report(inputs, options, arguments.output)


def cron_command(
    objects: list[Manifest], name: str, at: datetime.datetime | None, arguments: RunArguments
) -> int:
    """`idp local-cron`: run the Workflow the compiled CronWorkflow `name` makes for the
    scheduled time `at` (None: now, to the minute)."""
    chosen = pick_cron(objects, name)
    try:
        cron.check_runnable(chosen)
    except UnsupportedField as exc:
        raise CommandError(f"cannot run locally: {exc}", EXIT_INVALID) from None
    except cron.NotScheduled as exc:
        raise CommandError(f"{exc}; nothing ran", EXIT_INVALID) from None
    clock = RunClock()
    at = at or cron.infer_scheduled_time(clock.now())
    workflow = cron.workflow_from_cron(chosen, at)
    maps = config_maps(objects)
    inputs = Inputs(
        workflow=workflow,
        template=None,
        config_maps=maps,
        artifact_repository=artifact_repository(workflow["spec"], maps),
    )
    try:
        stubs = parse_stubs(list(arguments.stubs), task_names(inputs))
        check_stubs(stubs, inputs)
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_INVALID) from None
    try:
        checkov = checkov_program()
    except ValueError:
        checkov = ""  # no policy step here; a step that wants checkov fails on its own
    options = run_options(
        arguments, workflow["metadata"]["name"], approval.Prompt(), checkov, stubs, None
    )
    options.clock = clock
    if not options.modules.is_dir():
        raise CommandError(f"--modules {options.modules}: not a folder", EXIT_INVALID)
    check_policies(options)
    ignored = cron.no_local_effect(chosen)
    note = f" ({', '.join(ignored)}: no effect on a local run)" if ignored else ""
    print(f"cron      {name}: scheduled {rfc3339(at)}{note}", file=options.out)
    return run_and_report(inputs, options, arguments.output)


def scheduled_time(text: str) -> datetime.datetime:
    """`--at`: an RFC 3339 time, in UTC, whole seconds (argparse's error for anything else)."""
    try:
        return parse_time(text).replace(microsecond=0)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def pick_cron(objects: list[Manifest], name: str) -> Manifest:
    """The compiled CronWorkflow called `name`; a usage error listing the names otherwise."""
    crons = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "CronWorkflow"}
    if name in crons:
        return crons[name]
    known = ", ".join(sorted(crons)) or "none"
    raise CommandError(
        f"no compiled CronWorkflow is called {name!r} (the compiled ones: {known})", EXIT_USAGE
    )


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "idp" / "local"


def checkov_program() -> str:
    """The checkov the policy step runs: IDP_CHECKOV, else `checkov` on PATH, else the one
    `./scripts/test` installs in this checkout (`.tools/checkov`); ValueError when none is."""
    named = os.environ.get(CHECKOV_ENV)
    if named:
        return named
    found = shutil.which("checkov") or str(CHECKOUT / ".tools" / "checkov" / "bin" / "checkov")
    if not os.access(found, os.X_OK):
        raise ValueError(
            f"checkov not found: the policy step runs it; set {CHECKOV_ENV}, put checkov on "
            "PATH, or run ./scripts/compile once (it installs .tools/checkov)"
        )
    return found


def run_options(
    arguments: RunArguments,
    name: str,
    approver: Approver,
    checkov: str,
    stubs: Stubs,
    actor: str | None,
) -> Options:
    """The runner's options from the arguments `idp local` and `idp local-cron` share, and who
    answers the approvals (`--as`; `idp local-cron` answers none: None)."""
    for flag, folder in (("--state-dir", arguments.state_dir), ("--run-dir", arguments.run_dir)):
        if folder is not None and folder.exists() and not folder.is_dir():
            raise CommandError(f"{flag} {folder}: not a folder", EXIT_USAGE)
    if actor is not None and not re.fullmatch(EMAIL_PATTERN, actor):
        raise CommandError(
            f"--as {actor[:80]!r}: not an e-mail address (who answers, as an SSO login names them)",
            EXIT_USAGE,
        )
    root = cache_dir()
    try:
        release = workflows_release(arguments.argo_version or tags(ARGO_WORKFLOWS)[-1])
        options = Options(
            # absolute: the pods run in folders of their own, where a relative path means
            # something else
            modules=arguments.modules.resolve(),
            policies=arguments.policies.resolve(),
            checkov=checkov,
            state_dir=(arguments.state_dir or root / "state").resolve(),
            run_dir=(
                arguments.run_dir or root / "runs" / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}"
            ).resolve(),
            approver=approver,
            stubs=stubs.tasks,
            stubbed_phases=stubs.phases,
            argo_version=release,
            secrets=read_secrets(arguments.secrets),
            show_logs=arguments.logs,
        )
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_INVALID) from None
    return options


def check_policies(options: Options) -> None:
    if not options.policies.is_dir():
        raise CommandError(
            f"--policies {options.policies}: not a folder (the platform's checkov policies)",
            EXIT_INVALID,
        )


def run_and_report(inputs: Inputs, options: Options, output: str | None) -> int:
    """Run, print the finished Workflow when asked, and say how it ended as an exit code:
    0 Succeeded, 14 otherwise; 2 for a field idp local refuses, 1 when the run cannot go on."""
    received: list[int] = []

    def terminate(signum: int, frame: object) -> None:
        # The first stops the run; the cleanup it starts (each step stopped and waited for,
        # the saved plans deleted, the locks released) is not cut short by more. A Python
        # handler, not SIG_IGN: a step started meanwhile would inherit an ignored SIGINT.
        received.append(signum)
        if len(received) == 1:
            raise KeyboardInterrupt

    previous = {number: signal.signal(number, terminate) for number in STOPPING_SIGNALS}
    try:
        result = run(inputs, options)
    except Interrupted as exc:
        code = 128 + (received[0] if received else signal.SIGINT)
        raise CommandError(str(exc), code) from None
    except UnsupportedField as exc:
        raise CommandError(f"cannot run locally: {exc}", EXIT_INVALID) from None
    except LocalRunError as exc:
        raise CommandError(f"local run stopped: {exc}", EXIT_FAILURE) from None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if output:
        sys.stdout.write(dump(result, output))
    return 0 if result["status"]["phase"] == "Succeeded" else EXIT_WORKFLOW_FAILED
