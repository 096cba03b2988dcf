"""A Workflow's times sent as numbers (which Hera's models read, as seconds since the epoch) reach
the reading commands as the models read them, times in RFC 3339 like the others: `idp list` and
`idp watch` sort a running Workflow's nodes by when they started, to find the approval that
waits, and a number among strings cannot break that."""

from __future__ import annotations

import pytest

from idp.cli import main
from idp.manifests import Manifest
from tests.argo import statuses
from tests.argo.fake_argo import FakeArgo
from tests.argo.fake_streams import Event
from tests.argo.platform import ago, labelled, ran, with_status

WORKFLOW = "compute-0f8fad5b-d9cb-469f-a165-70867728950e"  # the compute example's
STARTED = 1_714_557_601  # 2024-05-01T10:00:01Z, in seconds since the epoch


def waiting(manifests: list[Manifest]) -> Manifest:
    """A run waiting at its approval, whose plan's `startedAt` is a number, the others strings."""
    found = statuses.waiting(WORKFLOW)
    found["nodes"][f"{WORKFLOW}-1"]["startedAt"] = STARTED
    return with_status(labelled(manifests, created=ago(minutes=1)), found)


def test_list_reads_a_nodes_start_time_sent_as_a_number(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(waiting(manifests))
    assert main(["list"]) == 0
    assert "awaiting-approval" in capsys.readouterr().out


def test_watch_reads_a_nodes_start_time_sent_as_a_number(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    started = waiting(manifests)
    fake.put_workflow(started)
    fake.watches[WORKFLOW] = [[Event("ADDED", started), Event("MODIFIED", ran(manifests))]]
    assert main(["watch", WORKFLOW]) == 0
    assert "waiting for approval of the plan" in capsys.readouterr().out
