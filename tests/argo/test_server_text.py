"""Whatever a server writes reaches the terminal escaped and cut (`idp.argo.terminal`): an error's
message, a stream's error, a redirect's target, the server's version, lint messages, and the
Workflow's own fields as list, status and watch show them. A server answering
`{"message": "\\u001b]0;X\\u0007"}` cannot retitle the terminal (issue 17)."""

from __future__ import annotations

import pytest

from idp.cli import main
from idp.errors import (
    EXIT_CHECKS_FAILED,
    EXIT_REJECTED,
    EXIT_SERVER_ERROR,
    EXIT_UNSUPPORTED,
    EXIT_WORKFLOW_FAILED,
)
from idp.manifests import Manifest
from tests.argo.fake_argo import FakeArgo
from tests.argo.fake_streams import Event
from tests.argo.hostile import dumps, raw
from tests.argo.platform import finished, ran
from tests.local.engine import Ending

RETITLE = "\x1b]0;X\x07"  # OSC 0: set the window title to X
SHOWN = "\\x1b]0;X\\x07"
REVERSED = "\u202eexe.txt"  # a bidirectional override: the rest reads right to left
RAW = ("\x1b", "\x07", "\u202e")
WORKFLOW = r"^/api/v1/workflows/argo-events/compute-x$"


def printed(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    for character in RAW:
        assert character not in shown
    return shown


def test_an_error_message_cannot_retitle_the_terminal_through_list(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail("GET", r"^/api/v1/workflows/argo-events$", 500, RETITLE + REVERSED)
    assert main(["list", "--retries", "0"]) == EXIT_SERVER_ERROR
    shown = printed(capsys)
    assert f"500 Internal Server Error on GET /api/v1/workflows/argo-events: {SHOWN}" in shown
    assert "\\u202eexe.txt" in shown


def test_a_long_error_message_is_cut(fake: FakeArgo, capsys: pytest.CaptureFixture[str]) -> None:
    fake.fail("GET", WORKFLOW, 400, "x" * 100_000)
    assert main(["status", "compute-x"]) == EXIT_REJECTED
    assert len(printed(capsys)) < 1000


def test_a_stream_error_is_escaped(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], manifests: list[Manifest]
) -> None:
    workflow = ran(manifests)
    fake.put_workflow(workflow)
    error = {"error": {"http_code": 500, "message": RETITLE}}
    stream = b"data: " + dumps(error) + b"\n\n"
    headers = {"Content-Type": "text/event-stream"}
    fake.answer_raw("GET", r"^/api/v1/workflow-events/", raw(stream, headers=headers))
    assert main(["watch", workflow["metadata"]["name"]]) == EXIT_SERVER_ERROR
    assert f"the stream failed: {SHOWN}" in printed(capsys)


def test_a_redirects_target_is_escaped_and_cut(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    target = "https://sso.example/" + RETITLE + "a" * 10_000
    fake.fail("GET", WORKFLOW, 302, headers={"Location": target})
    assert main(["status", "compute-x"]) == EXIT_REJECTED
    shown = printed(capsys)
    assert f"redirects to https://sso.example/{SHOWN}aaa" in shown
    assert "a" * 200 not in shown


def test_the_servers_version_is_escaped_where_submit_names_it(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.answer_raw("GET", r"^/api/v1/version$", raw(dumps({"version": "v9.9.9" + RETITLE})))
    assert main(["submit", "--no-kubectl"]) == EXIT_UNSUPPORTED
    assert f"Argo Workflows v9.9.9{SHOWN} is not a supported release" in printed(capsys)
    assert fake.writes() == []


def test_the_servers_version_is_escaped_where_doctor_names_it(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.answer_raw("GET", r"^/api/v1/version$", raw(dumps({"version": "v9.9.9" + RETITLE})))
    assert main(["doctor"]) == EXIT_CHECKS_FAILED
    assert f"v9.9.9{SHOWN}" in printed(capsys)


def test_a_lint_message_is_escaped(fake: FakeArgo, capsys: pytest.CaptureFixture[str]) -> None:
    fake.fail("POST", "/lint$", 400, f"spec.templates[0]: {RETITLE}bad")
    assert main(["submit", "--no-kubectl"]) == EXIT_REJECTED
    shown = printed(capsys)
    assert "the Argo Server's lint rejects it; nothing was written: " in shown
    assert f"spec.templates[0]: {SHOWN}bad" in shown


def failed(manifests: list[Manifest]) -> Manifest:
    """A run whose plan failed at preflight with a message that holds escapes, and so its
    outcome."""
    why = f"failed at preflight: region {RETITLE}{REVERSED}"
    return ran(
        manifests,
        script={
            "plan": Ending("Failed", message=why),
            "finish": finished("failed", why),
        },
    )


def test_status_shows_a_workflows_fields_escaped(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = failed(manifests)
    fake.put_workflow(workflow)
    assert main(["status", workflow["metadata"]["name"]]) == 0
    shown = printed(capsys)
    assert f"failed: failed at preflight: region {SHOWN}\\u202eexe.txt" in shown


def test_watch_shows_a_workflows_fields_escaped(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = failed(manifests)
    name = workflow["metadata"]["name"]
    fake.put_workflow(workflow)
    fake.watches[name] = [[Event("ADDED", workflow)]]
    assert main(["watch", name]) == EXIT_WORKFLOW_FAILED
    shown = printed(capsys)
    assert f"outcome   failed: failed at preflight: region {SHOWN}" in shown


def test_list_shows_a_workflows_fields_escaped(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = failed(manifests)
    workflow["spec"]["arguments"]["parameters"] = [
        {**p, "value": "web" + RETITLE} if p["name"] == "name" else p
        for p in workflow["spec"]["arguments"]["parameters"]
    ]
    fake.put_workflow(workflow)
    assert main(["list"]) == 0
    assert f"web{SHOWN}" in printed(capsys)
