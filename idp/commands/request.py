"""`idp validate KIND FILE` and `idp schema KIND`: a request against its kind's contract, and
the contract as JSON Schema. Neither needs the authoring extra."""

from __future__ import annotations

import argparse
import sys

from idp.catalog import catalog_for, model_for
from idp.commands.body import read_body
from idp.contract import parse_request, request_schema
from idp.manifests import dump
from idp.settings import Settings


def validate(args: argparse.Namespace, settings: Settings) -> int:
    """`idp validate`: RequestError names every problem of the request."""
    model = model_for(args.kind, catalog_for(settings.catalog))
    body = read_body(args.file, settings.webhook_max_payload_bytes)
    request = parse_request(
        model,
        body,
        settings.allowed_regions,
        max_bytes=settings.webhook_max_payload_bytes,
        max_ttl_hours=settings.expiry.ttl_limits,
    )
    print(f"{args.file}: valid {model.kind} request {request.request_id}", file=sys.stderr)
    return 0


def schema(args: argparse.Namespace, settings: Settings) -> int:
    """`idp schema`: the kind's request JSON Schema on stdout."""
    model = model_for(args.kind, catalog_for(settings.catalog))
    sys.stdout.write(dump(request_schema(model, settings.allowed_regions), args.output))
    return 0
