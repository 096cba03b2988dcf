"""The real thing, against the Argo Server in ARGO_SERVER (only with IDP_TEST_CLUSTER=1 too).

These write to the cluster: `idp submit` puts the platform's objects in settings.namespace
(and runs kubectl when it has a context). No Workflow is created: `idp run` uses a server dry
run, and `idp approve` is asked about a workflow that does not exist. The reading commands
(`list`, `status`, `logs`, `watch`) only read.
"""

from __future__ import annotations

import uuid

import pytest

from idp.cli import main
from idp.errors import EXIT_NOT_FOUND
from tests.argo.workflows import example

pytestmark = pytest.mark.on_cluster


def test_submit_dry_run_writes_nothing_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["submit", "--dry-run"]) == 0
    assert "nothing was written" in capsys.readouterr().out


def test_a_second_submit_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["submit"]) == 0
    capsys.readouterr()
    assert main(["submit"]) == 0
    assert " 0 created, 0 updated, " in capsys.readouterr().out


def test_the_server_accepts_the_workflow_run_would_create() -> None:
    assert main(["submit"]) == 0
    assert main(["run", "compute", str(example("compute")), "--dry-run"]) == 0


def test_approve_of_a_workflow_that_does_not_exist_is_not_found() -> None:
    assert main(["approve", f"compute-{uuid.uuid4()}", "--yes"]) == EXIT_NOT_FOUND


def test_list_reads_the_requests_of_the_namespace() -> None:
    assert main(["list", "--since", "24h"]) == 0


@pytest.mark.parametrize("command", ["status", "logs", "watch"])
def test_a_request_nobody_sent_is_not_found(command: str) -> None:
    assert main([command, str(uuid.uuid4())]) == EXIT_NOT_FOUND
