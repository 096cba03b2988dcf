"""`idp tfvars [KIND] [--write]`: a kind's Terraform variables.tf, generated from its model;
printed, or written for every kind of the catalog."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idp import tfvars
from idp.catalog import catalog_for, model_for
from idp.errors import EXIT_USAGE, CommandError
from idp.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    catalog = catalog_for(settings.catalog)
    if args.kind is not None:
        catalog = {args.kind: model_for(args.kind, catalog)}
    elif not args.write:
        raise CommandError("tfvars: name a KIND to print, or --write every kind's", EXIT_USAGE)
    try:
        if not args.write:
            sys.stdout.write(tfvars.variables_tf(catalog[args.kind]))
            return 0
        root = Path(args.root)
        if not (root / tfvars.MODULE_FOLDERS[0]).is_dir():
            raise CommandError(
                f"--root {root}: no {tfvars.MODULE_FOLDERS[0]}/ folder; run idp tfvars --write "
                "in the repository's root, or pass --root",
                EXIT_USAGE,
            )
        written = tfvars.write(root, catalog)
    except tfvars.TfvarsError as exc:
        raise CommandError(f"tfvars: {exc}") from None
    for path, changed in written.items():
        print(f"{'wrote' if changed else 'unchanged':<9} {path}")
    return 0
