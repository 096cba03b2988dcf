"""A server that echoes the token it was sent cannot get it printed: what any server writes
reaches a message without the token, bare or with its `Bearer ` scheme (`Connection.hide`,
`idp.argo.trigger.post`), through the real commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.argo import transport
from idp.cli import main
from idp.errors import EXIT_REJECTED, EXIT_SERVER_ERROR, EXIT_UNAUTHORIZED
from idp.manifests import Manifest
from idp.tokens import REDACTED
from tests.argo.fake_argo import FakeArgo
from tests.argo.fake_webhook import FakeWebhook, serving
from tests.argo.hostile import dumps, raw
from tests.argo.platform import ran
from tests.argo.workflows import example

SECRET = "sekrit-token-123"
ECHOES = [f"token Bearer {SECRET} is not valid", f"token {SECRET} is not valid"]


def printed(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert SECRET not in shown
    return shown


@pytest.mark.parametrize("echo", ECHOES, ids=["with-scheme", "bare"])
def test_list_hides_a_token_the_server_echoes_in_its_error(
    fake: FakeArgo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    echo: str,
) -> None:
    monkeypatch.setenv("ARGO_TOKEN", SECRET)
    fake.fail("GET", r"^/api/v1/workflows/argo-events$", 401, echo)
    assert main(["list"]) == EXIT_UNAUTHORIZED
    assert f"token {REDACTED} is not valid" in printed(capsys)


def test_status_hides_a_token_the_server_echoes_in_a_redirect(
    fake: FakeArgo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARGO_TOKEN", SECRET)
    location = f"https://sso.example/login?token={SECRET}"
    fake.fail(
        "GET", r"^/api/v1/workflows/argo-events/compute-x$", 302, headers={"Location": location}
    )
    assert main(["status", "compute-x"]) == EXIT_REJECTED
    assert f"redirects to https://sso.example/login?token={REDACTED}" in printed(capsys)


def test_watch_hides_a_token_the_server_echoes_in_a_stream_error(
    fake: FakeArgo,
    manifests: list[Manifest],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ARGO_TOKEN", SECRET)
    workflow = ran(manifests)
    fake.put_workflow(workflow)
    error = {"error": {"http_code": 500, "message": f"bad token Bearer {SECRET}"}}
    stream = b"data: " + dumps(error) + b"\n\n"
    headers = {"Content-Type": "text/event-stream"}
    fake.answer_raw("GET", r"^/api/v1/workflow-events/", raw(stream, headers=headers))
    assert main(["watch", workflow["metadata"]["name"]]) == EXIT_SERVER_ERROR
    assert f"the stream failed: bad token {REDACTED}" in printed(capsys)


def test_watch_hides_a_token_in_a_streamed_message_that_is_no_answer(
    fake: FakeArgo,
    manifests: list[Manifest],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ARGO_TOKEN", SECRET)
    workflow = ran(manifests)
    fake.put_workflow(workflow)
    stream = f"data: not json {SECRET}\n\n".encode()
    headers = {"Content-Type": "text/event-stream"}
    fake.answer_raw("GET", r"^/api/v1/workflow-events/", raw(stream, headers=headers))
    assert main(["watch", workflow["metadata"]["name"]]) == EXIT_SERVER_ERROR
    assert f"not json {REDACTED}" in printed(capsys)


@pytest.mark.parametrize(("status", "code"), [(401, EXIT_UNAUTHORIZED), (200, 0)])
def test_trigger_hides_a_token_the_webhook_echoes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], status: int, code: int
) -> None:
    token = tmp_path / "token"
    token.write_text(SECRET)
    answer = f"token Bearer {SECRET} / {SECRET}"
    with serving(FakeWebhook(answers=[(status, answer, {})])) as webhook:
        args = ["trigger", "compute", str(example("compute")), "--url", webhook.url]
        assert main([*args, "--token-file", str(token)]) == code
    assert f"token {REDACTED} / {REDACTED}" in printed(capsys)


def test_a_transport_failure_keeps_the_words_of_headers_that_hold_no_secret(
    closed_port: int,
) -> None:
    with (
        transport.session(transport.Policy(0, 0, 10)) as session,
        pytest.raises(transport.TransportError) as failure,
    ):
        url = f"http://127.0.0.1:{closed_port}/"
        transport.call(session, "GET", url, 10, headers={"X-Note": "refused"})
    assert failure.value.detail == "Connection refused"
