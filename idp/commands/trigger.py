"""`idp trigger KIND FILE`: validate a request, then POST it to the webhook (`idp.argo.trigger`)."""

from __future__ import annotations

import argparse

from idp.argo import trigger
from idp.catalog import catalog_for, model_for
from idp.commands.body import read_body
from idp.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    model = model_for(args.kind, catalog_for(settings.catalog))
    body = read_body(args.file, settings.webhook_max_payload_bytes)
    return trigger.command(args, settings, model, body)
