"""Shared fixtures: settings, compiled manifests, and the on_cluster gate."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from idp.compile import build
from idp.local.command import checkov_program
from idp.manifests import Manifest
from idp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


CLUSTER_OPT_IN = "IDP_TEST_CLUSTER"


def cluster_skip_reason(env: Mapping[str, str]) -> str | None:
    """Why the `on_cluster` tests are skipped, or None when they may write to a cluster.

    They need an opt-in of their own: ARGO_SERVER alone is what the README's cluster section
    exports, and a test run must never write to a cluster merely because it is set.
    """
    if env.get(CLUSTER_OPT_IN) == "1" and env.get("ARGO_SERVER"):
        return None
    return (
        f"writes to a live Argo Server: set {CLUSTER_OPT_IN}=1 and ARGO_SERVER "
        "(and ARGO_TOKEN) to run it"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = cluster_skip_reason(os.environ)
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
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


@pytest.fixture(scope="session")
def checkov() -> str:
    """The checkov the policy step runs (as `idp local` finds it: IDP_CHECKOV, PATH, or the one
    ./scripts/test installs in .tools/checkov). A missing one fails the test: it proves nothing
    to skip the policy step."""
    try:
        return checkov_program()
    except ValueError as exc:
        pytest.fail(str(exc))
