"""`idp new-kind NAME`: scaffold a new resource kind (`idp.scaffold`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from idp.scaffold import new_kind
from idp.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    for path in new_kind(args.name, Path(args.root), settings):
        print(f"wrote     {path}")
    print(
        f"next      fill in idp/kinds/{args.name}.py and terraform/{args.name}/ together; select "
        "the kinds with the setting catalog: idp.kinds:CATALOG (the step pods read it too)"
    )
    return 0
