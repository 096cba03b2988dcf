"""Shared fixtures: settings, compiled manifests, and the on_cluster gate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from idp.compile import build
from idp.manifests import Manifest
from idp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("ARGO_SERVER"):
        return
    skip = pytest.mark.skip(reason="needs a live Argo Server: set ARGO_SERVER to run")
    for item in items:
        if "on_cluster" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Defaults only: the tests must not depend on IDP_* variables of the machine."""
    return Settings.model_validate({})


@pytest.fixture(scope="session")
def manifests(settings: Settings) -> list[Manifest]:
    return build(settings)
