"""Argo Events objects: the EventBus, the webhook EventSource and one Sensor per kind."""

from __future__ import annotations

from idp.catalog import Catalog
from idp.manifests import Manifest
from idp.settings import Settings


def manifests(settings: Settings, catalog: Catalog) -> list[Manifest]:
    """Every event-side object (filled in by the event pipeline issue)."""
    return []
