"""The `on_cluster` gate: a test run writes to a cluster only when asked to, explicitly."""

from __future__ import annotations

from tests.conftest import CLUSTER_OPT_IN, cluster_skip_reason


def test_argo_server_alone_does_not_open_the_gate() -> None:
    assert cluster_skip_reason({"ARGO_SERVER": "localhost:2746"}) is not None


def test_the_opt_in_alone_does_not_open_the_gate() -> None:
    assert cluster_skip_reason({CLUSTER_OPT_IN: "1"}) is not None


def test_the_opt_in_and_a_server_open_the_gate() -> None:
    assert cluster_skip_reason({CLUSTER_OPT_IN: "1", "ARGO_SERVER": "localhost:2746"}) is None


def test_the_skip_reason_names_the_opt_in_and_the_server() -> None:
    reason = cluster_skip_reason({})
    assert reason is not None
    assert f"{CLUSTER_OPT_IN}=1" in reason
    assert "ARGO_SERVER" in reason
