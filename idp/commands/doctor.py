"""`idp doctor`: check a cluster against what docs/cluster.md sets up (`idp.doctor`)."""

from __future__ import annotations

import argparse
import sys

from idp.argo import kubectl
from idp.argo.connection import from_args
from idp.catalog import catalog_for
from idp.compile import build
from idp.doctor import diagnose, report
from idp.errors import EXIT_CHECKS_FAILED, CommandError
from idp.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    """One line per check (or JSON, YAML); any failed check exits EXIT_CHECKS_FAILED."""
    compiled = build(settings, catalog_for(settings.catalog))
    checks = diagnose(
        settings, compiled, lambda: from_args(args, settings.namespace), kubectl.find()
    )
    sys.stdout.write(report(checks, args.output))
    failed = sum(c.state == "FAIL" for c in checks)
    if failed:
        raise CommandError(
            f"doctor: {failed} of {len(checks)} checks failed; docs/cluster.md says how to "
            "set each up",
            EXIT_CHECKS_FAILED,
        )
    return 0
