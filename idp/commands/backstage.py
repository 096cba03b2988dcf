"""`idp backstage KIND`: the kind's Backstage Software Template, and the proxy snippet it needs."""

from __future__ import annotations

import argparse

from idp import backstage
from idp.catalog import catalog_for, model_for
from idp.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    model = model_for(args.kind, catalog_for(settings.catalog))
    return backstage.command(args.out, args.proxy_snippet, settings, model)
