"""`idp submit`: every object of the settings' catalog, compiled now, created or updated on an
Argo Server (`idp.argo.submit`)."""

from __future__ import annotations

import argparse

from idp.argo import submit
from idp.argo.errors import ArgoError
from idp.catalog import catalog_for
from idp.compile import CompileError, build
from idp.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        manifests = build(settings, catalog_for(settings.catalog))
    except CompileError as exc:
        raise ArgoError(str(exc)) from None
    return submit.command(args, settings, manifests)
