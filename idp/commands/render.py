"""`idp render KIND FILE`: the Workflow the kind's Sensor would create for a request body, and
what the Workflow's validate step will say of its arguments."""

from __future__ import annotations

import argparse
import sys

from events.objects import kind_sensor
from events.render import Dropped, Refused, TriggerFailed, event_from_text, render
from events.sensors import WHOLE_REQUEST
from idp.catalog import catalog_for, model_for
from idp.commands.body import read_body
from idp.contract import RequestBase, RequestError, parse_request
from idp.errors import EXIT_DROPPED, CommandError
from idp.manifests import Manifest, dump
from idp.settings import Settings
from workflows.steps.errors import StepError
from workflows.steps.request import argument_env, check_arguments


def command(args: argparse.Namespace, settings: Settings) -> int:
    """`idp render`: the Workflow on stdout; a body the webhook refuses or the Sensor drops is
    an error naming why (EXIT_DROPPED)."""
    model = model_for(args.kind, catalog_for(settings.catalog))
    body = read_body(args.file, settings.webhook_max_payload_bytes)
    try:
        event = event_from_text(body, max_bytes=settings.webhook_max_payload_bytes)
        workflow = render(kind_sensor(model, settings), event)
    except Refused as exc:
        raise CommandError(f"{args.file}: refused by the webhook: {exc}", EXIT_DROPPED) from None
    except Dropped as exc:
        raise CommandError(
            f"{args.file}: dropped by {model.kind}'s sensor: {exc}", EXIT_DROPPED
        ) from None
    except TriggerFailed as exc:
        raise CommandError(f"{args.file}: the trigger would fail: {exc}") from exc
    for line in validate_step_problems(model, workflow, settings):
        print(f"{args.file}: note: the validate step will fail: {line}", file=sys.stderr)
    sys.stdout.write(dump(workflow, args.output))
    return 0


def validate_step_problems(
    model: type[RequestBase], workflow: Manifest, settings: Settings
) -> list[str]:
    """What the Workflow's validate step will say of its arguments (nothing when it passes)."""
    arguments = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
    try:
        request = parse_request(
            model,
            arguments[WHOLE_REQUEST],
            settings.allowed_regions,
            max_ttl_hours=settings.expiry.ttl_limits,
        )
        env = {argument_env(k): v for k, v in arguments.items() if k != WHOLE_REQUEST}
        check_arguments(request, env)
    except RequestError as exc:
        return exc.problems
    except StepError as exc:
        return exc.lines
    return []
