"""Fixtures of the Argo command tests: a clean environment, no real kubectl, the fake server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.argo.contract import contract
from tests.argo.fake_argo import FakeArgo, serving

_VARIABLES = (
    "ARGO_SERVER",
    "ARGO_TOKEN",
    "ARGO_NAMESPACE",
    "ARGO_SECURE",
    "ARGO_HTTP1",
    "ARGO_INSECURE_SKIP_VERIFY",
    "ARGO_BASE_HREF",
    "IDP_WEBHOOK_TOKEN",
)


@pytest.fixture(autouse=True)
def _isolated(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No ARGO_* of the machine, and a PATH without kubectl: no test reaches a real cluster.

    The `on_cluster` tests keep the environment: they are meant to use it.
    """
    if request.node.get_closest_marker("on_cluster"):
        return
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in ("NO_PROXY", "no_proxy"):  # the fakes listen on loopback: never via a proxy
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArgo]:
    """The contract-checking fake Argo Server, with ARGO_SERVER pointing at it.

    At teardown, every request it received must have kept to the OpenAPI spec.
    """
    with serving(FakeArgo(contract())) as server_fake:
        monkeypatch.setenv("ARGO_SERVER", server_fake.url)
        yield server_fake
    assert server_fake.violations == [], "requests the Argo Server's spec does not allow"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
