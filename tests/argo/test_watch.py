"""`idp watch REQUEST_ID|WORKFLOW`: the server's workflow events until the run completes."""

from __future__ import annotations

import threading
import time

import pytest

from idp.argo.client import ArgoClient
from idp.argo.connection import resolve
from idp.argo.errors import ArgoError
from idp.argo.watch import FIELDS, Watcher
from idp.cli import main
from idp.errors import EXIT_NOT_FOUND, EXIT_TIMEOUT, EXIT_WORKFLOW_FAILED
from idp.manifests import Manifest
from idp.settings import load_settings
from tests.argo import statuses
from tests.argo.fake_argo import FakeArgo
from tests.argo.fake_streams import WATCH, WATCH_CLOSED, Event
from tests.argo.hostile import endless, silent
from tests.argo.platform import ago, finished, labelled, ran, with_status
from tests.local.engine import Ending

REQUEST_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
WORKFLOW = f"compute-{REQUEST_ID}"


@pytest.fixture
def started(fake: FakeArgo, manifests: list[Manifest]) -> Manifest:
    """The compute example's Workflow on the fake, just created."""
    workflow = labelled(manifests, created=ago(minutes=1))
    fake.put_workflow(workflow)
    return workflow


def at(workflow: Manifest, phase: str, *steps: tuple[str, str]) -> Manifest:
    return with_status(workflow, statuses.status(WORKFLOW, phase, *steps))


def test_watch_prints_each_change_then_the_outcome_and_succeeds(
    fake: FakeArgo,
    manifests: list[Manifest],
    started: Manifest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = ran(manifests, script={"finish": finished("succeeded", "applied")})
    fake.watches[WORKFLOW] = [
        [
            Event("ADDED", at(started, "Running", ("plan", "Running"))),
            Event("MODIFIED", at(started, "Running", ("plan", "Succeeded"))),
            Event("MODIFIED", done),
        ]
    ]
    assert main(["watch", REQUEST_ID]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        f"watch     {WORKFLOW} in namespace argo-events: Pending",
        f"watch     {WORKFLOW}: Running",
        "  plan                         Running",
        "  plan                         Succeeded",
    ]
    assert lines[-2:] == ["outcome   succeeded: applied", f"watch     {WORKFLOW}: Succeeded"]


def test_watch_selects_the_workflow_by_name_and_asks_only_for_what_it_shows(
    fake: FakeArgo, manifests: list[Manifest], started: Manifest
) -> None:
    fake.watches[WORKFLOW] = [[Event("ADDED", ran(manifests))]]
    assert main(["watch", WORKFLOW]) == 0
    (request,) = [r for r in fake.requests if r.template == WATCH]
    assert request.query == {
        "listOptions.fieldSelector": [f"metadata.name={WORKFLOW}"],
        "fields": [FIELDS],
    }


def test_a_failed_run_ends_the_watch_with_the_workflow_failed_code(
    fake: FakeArgo, manifests: list[Manifest], started: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = ran(
        manifests,
        script={
            "plan": Ending("Failed", message="failed at preflight: region not allowed"),
            "finish": finished("failed", "failed at preflight: region not allowed"),
        },
    )
    fake.watches[WORKFLOW] = [[Event("ADDED", failed)]]
    assert main(["watch", REQUEST_ID]) == EXIT_WORKFLOW_FAILED
    captured = capsys.readouterr()
    assert "outcome   failed: failed at preflight: region not allowed" in captured.out
    assert captured.err.startswith(
        f"idp: workflow {WORKFLOW} Failed: failed: failed at preflight: "
    )


def test_a_waiting_approval_is_told_once_with_the_command_to_answer(
    fake: FakeArgo, manifests: list[Manifest], started: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    waiting = with_status(started, statuses.waiting(WORKFLOW))
    fake.watches[WORKFLOW] = [
        [Event("ADDED", waiting), Event("MODIFIED", waiting), Event("MODIFIED", ran(manifests))]
    ]
    assert main(["watch", REQUEST_ID]) == 0
    out = capsys.readouterr().out
    assert out.count("waiting for approval of the plan") == 1
    assert f"answer with: idp approve {WORKFLOW} --yes" in out


def test_a_deleted_workflow_ends_the_watch_as_not_found(
    fake: FakeArgo, started: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.watches[WORKFLOW] = [[Event("ADDED", started), Event("DELETED", started)]]
    assert main(["watch", REQUEST_ID]) == EXIT_NOT_FOUND
    assert capsys.readouterr().err == (
        f"idp: workflow {WORKFLOW} was deleted before it completed\n"
    )


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


def watcher(
    fake: FakeArgo, clock: Clock, lines: list[str], timeout: float | None = None
) -> Watcher:
    connection = resolve({"ARGO_SERVER": fake.url}, load_settings().namespace)
    return Watcher(
        ArgoClient(connection),
        WORKFLOW,
        "https://argo.test",
        timeout=timeout,
        out=lines.append,
        sleep=clock.sleep,
        clock=clock,
    )


def test_when_the_server_ends_its_watch_idp_watches_again_after_a_pause(
    fake: FakeArgo, manifests: list[Manifest], started: Manifest
) -> None:
    """WatchWorkflows ends with ResourceExhausted when its Kubernetes watch closes."""
    fake.watches[WORKFLOW] = [
        [Event("ADDED", at(started, "Running")), WATCH_CLOSED],
        [WATCH_CLOSED],
        [Event("ADDED", ran(manifests))],
    ]
    clock, lines = Clock(), list[str]()
    watcher(fake, clock, lines).run()
    assert len([r for r in fake.requests if r.template == WATCH]) == 3
    assert clock.sleeps == [1.0, 2.0]
    assert lines[-1] == f"watch     {WORKFLOW}: Succeeded"


def test_the_pause_starts_again_at_one_second_after_an_event(
    fake: FakeArgo, manifests: list[Manifest], started: Manifest
) -> None:
    fake.watches[WORKFLOW] = [
        [WATCH_CLOSED],
        [Event("ADDED", at(started, "Running")), WATCH_CLOSED],
        [Event("ADDED", ran(manifests))],
    ]
    clock = Clock()
    watcher(fake, clock, []).run()
    assert clock.sleeps == [1.0, 1.0]


def test_watch_gives_up_after_the_timeout(fake: FakeArgo, started: Manifest) -> None:
    running = at(started, "Running", ("plan", "Running"))
    fake.watches[WORKFLOW] = [[Event("ADDED", running), WATCH_CLOSED] for _ in range(10)]
    clock = Clock()
    with pytest.raises(ArgoError) as failed:
        watcher(fake, clock, [], timeout=5).run()
    assert failed.value.code == EXIT_TIMEOUT
    assert clock.sleeps == [1.0] * 5
    assert str(failed.value).startswith(
        f"stopped watching after 5s: workflow {WORKFLOW} is Running"
    )


# -- --timeout against a stream that never ends (issue 17)


@pytest.mark.slow
@pytest.mark.parametrize("every", [0.2, 3.0], ids=["often", "seldom"])
def test_watch_timeout_is_honoured_while_the_server_sends_only_keepalives(
    fake: FakeArgo, started: Manifest, capsys: pytest.CaptureFixture[str], every: float
) -> None:
    """The real server sends `:` every 15 s while nothing changes (argoproj/pkg
    grpc/http/forwarders.go, `keepalive`), for as long as the client listens."""
    fake.answer_raw("GET", r"^/api/v1/workflow-events/", endless(b":\n", every))
    began = time.monotonic()
    assert main(["watch", REQUEST_ID, "--timeout", "2"]) == EXIT_TIMEOUT
    assert time.monotonic() - began < 20
    assert capsys.readouterr().err.startswith(
        f"idp: stopped watching after 2s: workflow {WORKFLOW}"
    )


@pytest.mark.slow
def test_watch_timeout_is_honoured_on_a_stream_that_says_nothing(
    fake: FakeArgo, started: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    release = threading.Event()
    fake.answer_raw("GET", r"^/api/v1/workflow-events/", silent(release))
    began = time.monotonic()
    try:
        assert main(["watch", REQUEST_ID, "--timeout", "2"]) == EXIT_TIMEOUT
    finally:
        release.set()
    assert time.monotonic() - began < 20
    err = capsys.readouterr()
    assert err.err.startswith("idp: stopped watching after 2s")
    assert "watching again" not in err.out


@pytest.mark.slow
def test_watch_timeout_is_honoured_on_a_stream_of_empty_lines(
    fake: FakeArgo, started: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.answer_raw("GET", r"^/api/v1/workflow-events/", endless(b"\n", 0.2))
    began = time.monotonic()
    assert main(["watch", REQUEST_ID, "--timeout", "2"]) == EXIT_TIMEOUT
    assert time.monotonic() - began < 20
