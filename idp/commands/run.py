"""`idp run KIND FILE`: the Workflow the kind's Sensor would make of a request body, submitted
without the webhook (`idp.argo.run`)."""

from __future__ import annotations

import argparse

from events.objects import kind_sensor
from events.render import Dropped, TriggerFailed, event_from_text, render
from idp.argo import run
from idp.argo.errors import ArgoError
from idp.catalog import catalog_for, model_for
from idp.commands.body import read_body
from idp.contract import RequestBase, parse_request
from idp.errors import EXIT_DROPPED
from idp.manifests import Manifest
from idp.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    model = model_for(args.kind, catalog_for(settings.catalog))
    body = read_body(args.file, settings.webhook_max_payload_bytes)
    return run.command(args, settings, workflow_for(model, body, settings))


def workflow_for(model: type[RequestBase], text: bytes, settings: Settings) -> Manifest:
    """The Workflow the kind's Sensor would create; RequestError for an invalid request."""
    cap = settings.webhook_max_payload_bytes
    parse_request(
        model,
        text,
        settings.allowed_regions,
        max_bytes=cap,
        max_ttl_hours=settings.expiry.ttl_limits,
    )
    try:
        return render(kind_sensor(model, settings), event_from_text(text, max_bytes=cap))
    except Dropped as exc:
        raise ArgoError(f"dropped by {model.kind}'s sensor: {exc}", EXIT_DROPPED) from None
    except TriggerFailed as exc:
        raise ArgoError(f"{model.kind}'s sensor could not build the Workflow: {exc}") from None
