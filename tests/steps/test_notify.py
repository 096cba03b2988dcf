"""notify: the phase decision, the callback POST against a real local HTTP server, e-mail."""

from __future__ import annotations

import json
import smtplib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest.mock import MagicMock

import pytest
from pytest_mock import MockerFixture

from tests.steps.conftest import Steps, compute_request, passed
from workflows.steps.errors import StepError
from workflows.steps.notify import (
    approval_expired,
    decide_phase,
    duration_seconds,
    post,
)

REQUEST_ID = compute_request()["request_id"]


class Callback(ThreadingHTTPServer):
    """A callback endpoint on 127.0.0.1 that records what it gets and answers `statuses`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[dict[str, str], Any]] = []
        self.statuses: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/idp/status"


class _Handler(BaseHTTPRequestHandler):
    server: Callback

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), json.loads(body)))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def callback() -> Iterator[Callback]:
    server = Callback()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def settings_env(callback: Callback) -> dict[str, str]:
    return {"IDP_CALLBACK_URL": callback.url, "IDP_ARGO_UI_URL": "https://argo.example.test"}


@pytest.mark.parametrize(
    ("arguments", "phase"),
    [
        ({"requested": "awaiting-approval", "status": "Running"}, "awaiting-approval"),
        ({"requested": "succeeded", "status": "Running"}, "succeeded"),
        ({"requested": "no-changes"}, "no-changes"),
        ({"requested": "failed", "status": "Failed"}, "failed"),
        ({"requested": "succeeded", "status": "Error"}, "failed"),
        ({"requested": "rejected", "approval": "NO"}, "rejected"),
        ({"status": "Succeeded", "has_changes": "false"}, "no-changes"),
        ({"status": "Succeeded", "has_changes": "true", "approval": "YES"}, "succeeded"),
        ({"status": "Succeeded", "has_changes": "true", "approval": "NO"}, "rejected"),
        ({"status": "Succeeded", "has_changes": "true"}, "failed"),
        ({"status": "Succeeded", "has_changes": "{{workflow.outputs.parameters.x}}"}, "failed"),
        ({"status": "Failed", "has_changes": "false"}, "failed"),
    ],
)
def test_phase_follows_status_changes_and_approval(arguments: dict[str, str], phase: str) -> None:
    values = [arguments.get(k, "") for k in ("requested", "status", "has_changes", "approval")]
    assert decide_phase(*values) == phase


def test_a_no_that_timed_out_is_expired() -> None:
    assert decide_phase("rejected", "Running", approval="NO", expired=True) == "expired"


def test_an_approval_that_lasted_its_whole_timeout_expired() -> None:
    assert approval_expired("2026-01-01T10:00:00Z", "2026-01-02T10:00:03Z", "24h")


def test_an_approval_answered_in_time_did_not_expire() -> None:
    assert not approval_expired("2026-01-01T10:00:00Z", "2026-01-01T10:05:00Z", "24h")


def test_unknown_approval_times_do_not_count_as_expired() -> None:
    assert not approval_expired("", "{{tasks.approve.finishedAt}}", "24h")


@pytest.mark.parametrize(
    ("text", "seconds"), [("24h", 86400), ("1h30m", 5400), ("2d", 172800), ("90", 90)]
)
def test_durations_read_like_argo(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds


def test_an_unreadable_duration_is_none() -> None:
    assert duration_seconds("soon") is None


def test_notify_posts_the_status_json_to_the_callback(steps: Steps, callback: Callback) -> None:
    result = steps.run(
        "notify",
        "--kind",
        "compute",
        "--phase",
        "succeeded",
        "--summary",
        "2 to add, 0 to change, 0 to destroy",
        "--outputs",
        '{"cluster_name":"aks-demo"}',
        "--workflow",
        "compute-abc",
        env=settings_env(callback),
    )
    passed(result)
    assert [body for _, body in callback.received] == [
        {
            "request_id": REQUEST_ID,
            "kind": "compute",
            "phase": "succeeded",
            "summary": "2 to add, 0 to change, 0 to destroy",
            "outputs": {"cluster_name": "aks-demo"},
            "workflow_url": "https://argo.example.test/workflows/argo-events/compute-abc",
        }
    ]


def test_notify_reports_an_expired_approval(steps: Steps, callback: Callback) -> None:
    timing = ["--waited-from", "2026-01-01T10:00:00Z", "--waited-until", "2026-01-01T11:00:00Z"]
    result = steps.run(
        "notify",
        "--kind",
        "compute",
        "--phase",
        "rejected",
        "--approval",
        "NO",
        *timing,
        "--approval-timeout",
        "1h",
        env=settings_env(callback),
    )
    passed(result)
    assert callback.received[0][1]["phase"] == "expired"


def test_notify_sends_the_bearer_token_when_one_is_set(steps: Steps, callback: Callback) -> None:
    env = settings_env(callback) | {"IDP_CALLBACK_TOKEN": "t0ken"}
    passed(steps.run("notify", "--kind", "compute", "--phase", "no-changes", env=env))
    headers = callback.received[0][0]
    assert headers["Authorization"] == "Bearer t0ken"
    assert headers["Content-Type"] == "application/json"


def test_notify_of_a_bad_request_still_reports_its_id(steps: Steps, callback: Callback) -> None:
    request = compute_request(node_count=500)
    result = steps.run(
        "notify",
        "--kind",
        "compute",
        "--phase",
        "failed",
        request=request,
        env=settings_env(callback),
    )
    passed(result)
    assert callback.received[0][1]["request_id"] == REQUEST_ID


def test_notify_without_a_callback_url_skips_it(steps: Steps) -> None:
    result = passed(steps.run("notify", "--kind", "compute", "--phase", "succeeded"))
    assert "callback skipped" in result.stdout


def test_notify_fails_in_one_line_when_the_callback_refuses(
    steps: Steps, callback: Callback
) -> None:
    callback.statuses = [404]
    result = steps.run(
        "notify", "--kind", "compute", "--phase", "succeeded", env=settings_env(callback)
    )
    assert result.returncode == 1
    assert result.stderr == f"notify: callback {callback.url} failed: HTTP 404 (attempts: 1)\n"


def test_post_retries_a_503_and_succeeds_on_the_next_200(callback: Callback) -> None:
    callback.statuses = [503, 200]
    waits: list[float] = []
    assert post(callback.url, {"phase": "succeeded"}, sleep=waits.append) == 200
    assert len(callback.received) == 2
    assert waits == [1.0]


def test_post_gives_up_after_three_attempts(callback: Callback) -> None:
    callback.statuses = [503, 502, 500]
    waits: list[float] = []
    with pytest.raises(StepError, match=r"failed: HTTP 500 \(attempts: 3\)"):
        post(callback.url, {"phase": "failed"}, sleep=waits.append)
    assert waits == [1.0, 2.0]


def test_post_retries_a_refused_connection(callback: Callback) -> None:
    url = callback.url
    callback.shutdown()
    callback.server_close()
    waits: list[float] = []
    with pytest.raises(StepError, match=r"\(attempts: 3\)"):
        post(url, {"phase": "failed"}, sleep=waits.append)
    assert len(waits) == 2


@pytest.fixture
def smtp(mocker: MockerFixture) -> MagicMock:
    client: MagicMock = mocker.patch("smtplib.SMTP").return_value.__enter__.return_value
    return client


SMTP_ENV = {
    "IDP_SMTP_HOST": "smtp.example.test",
    "IDP_SMTP_USERNAME": "idp",
    "IDP_SMTP_PASSWORD": "pa55word",
    "IDP_SMTP_FROM": "idp@example.test",
}


def run_notify(monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> int:
    from workflows.steps.cli import main

    monkeypatch.setenv("IDP_REQUEST", json.dumps(compute_request()))
    monkeypatch.delenv("IDP_CALLBACK_URL", raising=False)
    for name, value in (SMTP_ENV | env).items():
        monkeypatch.setenv(name, value)
    return main(["notify", "--kind", "compute", *args])


def test_email_goes_to_the_requester_over_starttls_before_login(
    smtp: MagicMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_notify(monkeypatch, "--phase", "succeeded") == 0
    names = [call[0] for call in smtp.method_calls]
    assert names == ["starttls", "login", "send_message"]
    smtp.login.assert_called_once_with("idp", "pa55word")
    message = smtp.send_message.call_args.args[0]
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == f"[idp] compute request {REQUEST_ID}: succeeded"


def test_approval_email_goes_to_the_approvers(
    smtp: MagicMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    approvers = "ops@example.test, lead@example.test"
    assert run_notify(monkeypatch, "--phase", "awaiting-approval", IDP_APPROVERS=approvers) == 0
    message = smtp.send_message.call_args.args[0]
    assert message["To"] == "ops@example.test, lead@example.test"


def test_email_failure_is_one_line_without_the_password(
    smtp: MagicMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    smtp.login.side_effect = smtplib.SMTPAuthenticationError(535, b"bad pa55word")
    assert run_notify(monkeypatch, "--phase", "succeeded") == 1
    captured = capsys.readouterr()
    assert captured.err == "notify: e-mail via smtp.example.test:587 failed: SMTP 535\n"
    assert "pa55word" not in captured.out + captured.err
