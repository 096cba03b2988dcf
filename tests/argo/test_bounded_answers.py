"""Every answer is read within a cap after decompression: a gzip or deflate bomb, or a plain
answer larger than the cap, is refused (exit 10) without taking the memory it asks for; a
command stays within 512 MiB of address space whatever the server sends (issue 17)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp.argo.answers import MAX_ANSWER, MAX_CONTAINERS, MAX_MODEL_CONTAINERS
from idp.cli import main
from idp.errors import EXIT_CHECKS_FAILED, EXIT_SERVER_ERROR, EXIT_USAGE
from idp.manifests import Manifest
from tests.argo.fake_argo import FakeArgo, Raw
from tests.argo.fake_webhook import FakeWebhook, serving
from tests.argo.hostile import bomb, deflate_bomb, dumps, gzip_bomb, raw, run_capped
from tests.argo.workflows import example

TOO_LARGE = f"the answer is larger than {MAX_ANSWER // 1024} KiB once decompressed"
WORKFLOW = r"^/api/v1/workflows/argo-events/compute-x$"


def one_line(captured: pytest.CaptureFixture[str]) -> str:
    err = captured.readouterr().err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


COMMANDS = [
    (["status", "compute-x"], WORKFLOW),
    (["approve", "compute-x", "--yes"], WORKFLOW),
    (["list"], r"^/api/v1/workflows/argo-events$"),
    (["submit", "--no-kubectl"], r"^/api/v1/version$"),
    (["watch", "compute-x"], WORKFLOW),
    (["logs", "compute-x"], WORKFLOW),
]


@pytest.mark.parametrize(("command", "path"), COMMANDS, ids=lambda c: str(c[0]))
def test_a_gzip_bomb_is_refused_at_the_cap(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], command: list[str], path: str
) -> None:
    fake.answer_raw("GET", path, bomb())
    assert main(command) == EXIT_SERVER_ERROR
    err = one_line(capsys)
    assert f"is not an Argo Server answer ({TOO_LARGE})" in err


def test_a_deflate_bomb_is_refused_at_the_cap(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.answer_raw("GET", WORKFLOW, raw(deflate_bomb(), headers={"Content-Encoding": "deflate"}))
    assert main(["status", "compute-x"]) == EXIT_SERVER_ERROR
    assert TOO_LARGE in one_line(capsys)


def test_a_plain_answer_larger_than_the_cap_is_refused_without_reading_it_all(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    sent: list[int] = []

    def spaces() -> Iterator[bytes]:
        for _ in range(300):  # 300 MiB, were it all read
            sent.append(1)
            yield b" " * (1024 * 1024)

    fake.answer_raw("GET", WORKFLOW, Raw(200, spaces, {"Content-Type": "application/json"}))
    assert main(["status", "compute-x"]) == EXIT_SERVER_ERROR
    assert TOO_LARGE in one_line(capsys)
    assert len(sent) < 100


def test_doctor_reports_a_bomb_as_a_failing_check(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.answer_raw("GET", r"^/api/v1/version$", bomb())
    assert main(["doctor"]) == EXIT_CHECKS_FAILED
    out = capsys.readouterr().out
    assert "FAIL  argo-server" in out
    assert TOO_LARGE in out


def test_an_error_status_with_a_bomb_shows_its_message_cut(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.answer_raw("GET", WORKFLOW, raw(gzip_bomb(), 500, {"Content-Encoding": "gzip"}))
    assert main(["status", "compute-x", "--retries", "0"]) == EXIT_SERVER_ERROR
    err = one_line(capsys)
    assert "500 Internal Server Error on GET /api/v1/workflows/argo-events/compute-x: 000" in err
    assert len(err) < 1000


def test_trigger_reads_a_bomb_only_as_far_as_it_shows_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", "t")
    answer = (200, gzip_bomb(), {"Content-Encoding": "gzip"})
    with serving(FakeWebhook(answers=[answer])) as webhook:
        args = ["trigger", "compute", str(example("compute")), "--url", webhook.url]
        assert main(args) == 0
    out = capsys.readouterr().out
    assert "200 OK (attempt 1 of 4)" in out
    assert len(out) < 600


# -- a memory bound, asserted: the command runs in a child with 512 MiB of address space


def test_status_against_a_gzip_bomb_stays_within_512_mib(fake: FakeArgo) -> None:
    fake.answer_raw("GET", WORKFLOW, bomb())
    done = run_capped("status", "compute-x")
    assert "MemoryError" not in done.stderr
    assert done.returncode == EXIT_SERVER_ERROR, done.stderr
    assert done.stderr.startswith("idp: Argo Server ")
    assert TOO_LARGE in done.stderr


def test_trigger_against_a_gzip_bomb_stays_within_512_mib(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", "t")
    answer = (200, gzip_bomb(), {"Content-Encoding": "gzip"})
    with serving(FakeWebhook(answers=[answer])) as webhook:
        done = run_capped("trigger", "compute", str(example("compute")), "--url", webhook.url)
    assert done.returncode == 0, done.stderr
    assert "200 OK" in done.stdout


def test_a_token_file_that_never_ends_stays_within_512_mib(fake: FakeArgo) -> None:
    done = run_capped("list", "--token-file", "/dev/zero")
    assert done.returncode == EXIT_USAGE, done.stderr
    assert (
        done.stderr
        == "idp: --token-file /dev/zero: larger than 16 KiB: a token file holds one token\n"
    )
    assert fake.requests == []


def _minimal_nodes(count: int) -> dict[str, Manifest]:
    return {f"n{i}": {"id": f"n{i}", "name": "compute-x.a", "type": "Pod"} for i in range(count)}


@pytest.mark.slow
def test_a_workflow_of_as_many_nodes_as_the_bound_allows_stays_within_512_mib(
    fake: FakeArgo,
) -> None:
    """Hera makes a model of every node of a Workflow it reads: at most MAX_MODEL_CONTAINERS."""
    nodes = _minimal_nodes(MAX_MODEL_CONTAINERS - 10)
    body = {"metadata": {"name": "compute-x"}, "spec": {}, "status": {"nodes": nodes}}
    fake.answer_raw("GET", WORKFLOW, raw(dumps(body)))
    done = run_capped("status", "compute-x")
    assert "MemoryError" not in done.stderr
    assert done.returncode == 0, done.stderr


def test_one_node_past_the_bound_is_refused(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = _minimal_nodes(MAX_MODEL_CONTAINERS)
    body = {"metadata": {"name": "compute-x"}, "spec": {}, "status": {"nodes": nodes}}
    fake.answer_raw("GET", WORKFLOW, raw(dumps(body)))
    assert main(["status", "compute-x"]) == EXIT_SERVER_ERROR
    assert f"more than {MAX_MODEL_CONTAINERS} JSON objects and lists" in one_line(capsys)


@pytest.mark.slow
def test_a_list_of_as_many_objects_as_the_bound_allows_stays_within_512_mib(
    fake: FakeArgo,
) -> None:
    items = [{"metadata": {"name": f"w{i}"}} for i in range(MAX_CONTAINERS // 2 - 10)]
    fake.answer_raw("GET", r"^/api/v1/workflows/argo-events$", raw(dumps({"items": items})))
    done = run_capped("list")
    assert "MemoryError" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert "showing the newest 100 of" in done.stderr


@pytest.mark.slow
def test_a_listed_workflow_of_as_many_nodes_as_the_cap_allows_stays_within_512_mib(
    fake: FakeArgo,
) -> None:
    """Each node is checked against Hera's model on its own, so a list costs no model of all."""
    nodes = {str(i): {"id": "", "name": "", "type": ""} for i in range(400_000)}
    item = {"metadata": {"name": "compute-x"}, "status": {"nodes": nodes}}
    body = dumps({"items": [item]})
    assert len(body) < MAX_ANSWER
    fake.answer_raw("GET", r"^/api/v1/workflows/argo-events$", raw(body))
    done = run_capped("list")
    assert "MemoryError" not in done.stderr
    assert done.returncode == 0, done.stderr
