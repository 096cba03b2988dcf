"""`idp run KIND FILE`: submit one Workflow from the kind's template, without the webhook
(`idp.argo.run`)."""

from __future__ import annotations

import argparse

from idp.argo import run
from idp.catalog import catalog_for, model_for
from idp.commands.body import read_body
from idp.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    model = model_for(args.kind, catalog_for(settings.catalog))
    body = read_body(args.file, settings.webhook_max_payload_bytes)
    return run.command(args, settings, model, body)
