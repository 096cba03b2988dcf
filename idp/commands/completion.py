"""`idp completion SHELL`: a shell completion script for `idp`, made by shtab from its parser."""

from __future__ import annotations

import argparse
import sys

import shtab

from idp.cli import build_parser
from idp.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    sys.stdout.write(shtab.complete(build_parser(), shell=args.shell))
    return 0
