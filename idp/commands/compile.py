"""`idp compile`: every object as YAML, with a kustomization, in one folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import hera  # noqa: F401  (the authoring extra's: without it, stop before the notes below)

from idp.catalog import catalog_for
from idp.compile import CompileError, compile_to
from idp.errors import CommandError
from idp.settings import Settings, SettingsError, unusable


def command(args: argparse.Namespace, settings: Settings) -> int:
    """`idp compile`: settings that cannot work on a cluster are noted, or refused (--strict)."""
    problems = unusable(settings)
    if problems and args.strict:
        raise SettingsError("settings cannot work on a cluster: " + "; ".join(problems))
    for line in problems:
        print(f"idp: note: {line} (idp compile --strict refuses this)", file=sys.stderr)
    try:
        names = compile_to(Path(args.out), settings, catalog_for(settings.catalog))
    except CompileError as exc:
        raise CommandError(str(exc)) from exc
    print(f"wrote {len(names)} files to {args.out}", file=sys.stderr)
    return 0
