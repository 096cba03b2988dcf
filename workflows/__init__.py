"""Hera WorkflowTemplates of the provisioning pipeline, one per kind, and what they need."""

from __future__ import annotations

from idp.catalog import Catalog
from idp.manifests import Manifest
from idp.settings import Settings


def manifests(settings: Settings, catalog: Catalog) -> list[Manifest]:
    """Every workflow-side object (filled in by the pipeline issue)."""
    return []
