"""`idp local-cron NAME`, assembled: the compiled CronWorkflow of that name, the Workflow the
cron controller would create of it for a scheduled time, run with `idp.local` as `idp local`
runs a request's.

The CronWorkflow is read, like everything `idp local` runs, from the YAML `idp compile` writes
(from memory, or from `--compiled DIR`); its Workflow is made by `idp.local.cron`.
"""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from idp.errors import EXIT_INVALID, EXIT_USAGE, CommandError
from idp.localrun import (
    artifact_repository,
    check_policies,
    checkov_program,
    compiled_objects,
    config_maps,
    run_and_report,
    run_options,
)
from idp.manifests import Manifest
from idp.settings import Settings


def scheduled_time(text: str) -> datetime.datetime:
    """`--at`: an RFC 3339 time (argparse's error for anything else)."""
    from idp.local.cron import parse_time

    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def pick(objects: list[Manifest], name: str) -> Manifest:
    """The compiled CronWorkflow called `name`; a usage error listing the names otherwise."""
    crons = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "CronWorkflow"}
    if name in crons:
        return crons[name]
    known = ", ".join(sorted(crons)) or "none"
    raise CommandError(
        f"no compiled CronWorkflow is called {name!r} (the compiled ones: {known})", EXIT_USAGE
    )


def command(args: argparse.Namespace, settings: Settings, catalog: Any) -> int:
    """`idp local-cron` from parsed arguments."""
    from idp.local import approval, cron
    from idp.local.clock import RunClock
    from idp.local.run import Inputs, parse_stubs, task_names
    from idp.local.spec import UnsupportedField

    objects = compiled_objects(settings, catalog, args.compiled)
    chosen = pick(objects, args.name)
    try:
        cron.check_runnable(chosen)
    except UnsupportedField as exc:
        raise CommandError(f"cannot run locally: {exc}", EXIT_INVALID) from None
    except cron.NotScheduled as exc:
        raise CommandError(f"{exc}; nothing ran", EXIT_INVALID) from None
    clock = RunClock()
    at = args.at or cron.infer_scheduled_time(clock.now())
    workflow = cron.workflow_from_cron(chosen, at)
    maps = config_maps(objects)
    inputs = Inputs(
        workflow=workflow,
        template=None,
        config_maps=maps,
        artifact_repository=artifact_repository(workflow["spec"], maps),
    )
    try:
        stubs = parse_stubs(args.stub or [], task_names(inputs))
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_INVALID) from None
    try:
        checkov = checkov_program()
    except ValueError:
        checkov = ""  # no policy step here; a step that wants checkov fails on its own
    options = run_options(args, workflow["metadata"]["name"], approval.Prompt(), checkov, stubs)
    options.clock = clock
    if not options.modules.is_dir():
        raise CommandError(f"--modules {options.modules}: not a folder", EXIT_INVALID)
    check_policies(options)
    ignored = cron.no_local_effect(chosen)
    note = f" ({', '.join(ignored)}: no effect on a local run)" if ignored else ""
    print(f"cron      {args.name}: scheduled {cron.rfc3339(at)}{note}", file=options.out)
    return run_and_report(inputs, options, args.output)
