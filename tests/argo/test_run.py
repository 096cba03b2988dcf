"""`idp run`: the Workflow the Sensor would create, submitted directly; `--wait` follows it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp.argo.client import ArgoClient
from idp.argo.connection import resolve
from idp.argo.errors import ArgoError
from idp.argo.run import follow
from idp.cli import main
from idp.errors import EXIT_CONFLICT, EXIT_INVALID, EXIT_TIMEOUT, EXIT_WORKFLOW_FAILED
from idp.local.approval import Fixed
from idp.manifests import Manifest
from idp.settings import load_settings
from tests.argo import statuses
from tests.argo.fake_argo import FakeArgo
from tests.argo.workflows import example, name_of, rendered
from tests.local.engine import Ending, run_compiled

FAST = ["--interval", "0", "--timeout", "600"]


def created(fake: FakeArgo) -> list[dict[str, object]]:
    return [r.body for r in fake.writes() if r.path.endswith(f"/workflows/{r.path.split('/')[4]}")]


def test_run_submits_exactly_the_workflow_the_sensor_would_create(fake: FakeArgo) -> None:
    assert main(["run", "compute", str(example("compute"))]) == 0
    assert created(fake) == [{"workflow": rendered("compute")}]


def test_run_names_the_workflow_after_the_kind_and_request_id(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    request_id = json.loads(example("storage").read_text())["request_id"]
    assert main(["run", "storage", str(example("storage"))]) == 0
    assert f"run       storage-{request_id}: submitted" in capsys.readouterr().out
    assert fake.get("workflows", load_settings().namespace, f"storage-{request_id}") is not None


def test_run_refuses_an_invalid_request_before_sending_anything(
    fake: FakeArgo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.loads(example("compute").read_text()) | {"region": "mars"}
    request = tmp_path / "bad.json"
    request.write_text(json.dumps(body))
    assert main(["run", "compute", str(request)]) == EXIT_INVALID
    assert capsys.readouterr().err.startswith(f"{request}: region: ")
    assert fake.requests == []


def test_running_the_same_request_twice_says_it_already_exists(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "compute", str(example("compute"))]) == 0
    capsys.readouterr()
    assert main(["run", "compute", str(example("compute"))]) == EXIT_CONFLICT
    name = name_of(rendered("compute"))
    assert capsys.readouterr().err.startswith(
        f"idp: Workflow {name} already exists in namespace {load_settings().namespace}: "
        "this request_id was run before"
    )


def test_run_dry_run_asks_the_server_and_creates_nothing(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "compute", str(example("compute")), "--dry-run"]) == 0
    bodies = [r.body for r in fake.requests if r.method == "POST"]
    assert bodies == [{"workflow": rendered("compute"), "serverDryRun": True}]
    assert fake.store == {}
    assert "server dry run" in capsys.readouterr().out


def test_run_wait_prints_node_phases_until_the_approval_and_the_command_to_answer(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    name = name_of(rendered("compute"))
    fake.progress[name] = [
        {},
        statuses.status(name, "Running", ("plan", "Running")),
        statuses.status(name, "Running", ("plan", "Succeeded"), ("notify-approvers", "Running")),
        statuses.waiting(name),
    ]
    assert main(["run", "compute", str(example("compute")), "--wait", *FAST]) == 0
    lines = capsys.readouterr().out.splitlines()
    phases = [line.split() for line in lines if line.startswith("  ") and "answer" not in line]
    assert phases == [
        [name, "Running"],
        ["plan", "Running"],
        ["plan", "Succeeded"],
        ["notify-approvers", "Running"],
        ["notify-approvers", "Succeeded"],
        ["approve", "Running"],
    ]
    assert f"waiting for approval of the plan: {statuses.SUMMARY}" in lines[-2]
    assert lines[-1].split()[:6] == ["answer", "with:", "idp", "approve", name, "--yes"]


def test_run_wait_ends_with_success(fake: FakeArgo, capsys: pytest.CaptureFixture[str]) -> None:
    name = name_of(rendered("compute"))
    fake.progress[name] = [statuses.status(name, "Succeeded", ("apply", "Succeeded"))]
    assert main(["run", "compute", str(example("compute")), "--wait", *FAST]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"run       {name}: Succeeded"


def test_run_wait_reports_a_failed_workflow(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    name = name_of(rendered("compute"))
    failed = statuses.status(name, "Failed", ("plan", "Failed"))
    failed["message"] = "child 'plan' failed"
    fake.progress[name] = [failed]
    assert main(["run", "compute", str(example("compute")), "--wait", *FAST]) == (
        EXIT_WORKFLOW_FAILED
    )
    assert f"workflow {name} Failed: child 'plan' failed; see " in capsys.readouterr().err


class Clock:
    """Time that moves only when `sleep` is called."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def test_wait_gives_up_after_the_timeout_sleeping_the_interval(fake: FakeArgo) -> None:
    workflow = rendered("compute")
    workflow["status"] = statuses.status(name_of(workflow), "Running", ("plan", "Running"))
    fake.put_workflow(workflow)
    clock = Clock()
    connection = resolve({"ARGO_SERVER": fake.url}, load_settings().namespace)
    with ArgoClient(connection) as client, pytest.raises(ArgoError) as failed:
        follow(
            client,
            name_of(workflow),
            interval=5,
            timeout=12,
            ui_url="https://argo.test",
            out=lambda _: None,
            sleep=clock.sleep,
            clock=clock,
        )
    assert failed.value.code == EXIT_TIMEOUT
    assert clock.sleeps == [5, 5, 2]
    assert str(failed.value).startswith(f"stopped waiting after 12s: workflow {name_of(workflow)}")


def test_run_prints_the_created_workflow_with_o_json(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "compute", str(example("compute")), "-o", "json"]) == 0
    captured = capsys.readouterr()
    created = json.loads(captured.out)
    assert created["metadata"]["name"] == name_of(rendered("compute"))
    assert created["metadata"]["uid"]
    assert "submitted to namespace" in captured.err


def test_run_wait_prints_the_outcome_the_exit_handler_recorded(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], manifests: list[Manifest]
) -> None:
    """The Workflow served is one the controller's rules produced (`idp local`, steps scripted):
    rejected, so it ended Failed with the outcome as its message."""
    reason = "the approval was answered 'NO', not YES"
    finish = Ending(
        "Failed",
        outputs={"outcome": "rejected", "reason": reason},
        message=f"main: Error (exit code 1): rejected: {reason}",
    )
    finished, _ = run_compiled(manifests, Fixed("NO"), {"finish": finish})
    name = name_of(rendered("compute"))
    fake.progress[name] = [finished["status"]]
    assert main(["run", "compute", str(example("compute")), "--wait", *FAST]) == (
        EXIT_WORKFLOW_FAILED
    )
    captured = capsys.readouterr()
    assert f"outcome   rejected: {reason}" in captured.out
    assert f"workflow {name} Failed: rejected: {reason}; see " in captured.err
