"""notify and finish: the notices against a real local HTTP callback, and e-mail.

The callback is a loopback server (tests.fakes.callback); e-mail goes through a mocked
`smtplib.SMTP`. The outcome rules themselves are in test_outcome.py.
"""

from __future__ import annotations

import json
import signal
import smtplib
import socket
import subprocess
import time
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from pytest_mock import MockerFixture

from tests.fakes.callback import Callback, running_callback
from tests.steps.conftest import Steps, compute_request, passed
from workflows.steps.cli import main
from workflows.steps.errors import StepError
from workflows.steps.post import clean_token, post

REQUEST_ID = compute_request()["request_id"]
WORKFLOW = "compute-" + REQUEST_ID
IDENTITY = [
    "--kind",
    "compute",
    "--workflow",
    WORKFLOW,
    "--request-id",
    REQUEST_ID,
    "--requester-email",
    "ann@example.com",
]


def settings_env(callback: Callback) -> dict[str, str]:
    return {"IDP_CALLBACK_URL": callback.url, "IDP_ARGO_UI_URL": "https://argo.example.test"}


def finish(
    steps: Steps, out: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return steps.run("finish", *IDENTITY, "--out", str(out), *args, request={}, env=env)


def test_notify_tells_the_approvers_a_plan_waits(steps: Steps, callback: Callback) -> None:
    result = steps.run(
        "notify",
        *IDENTITY,
        "--summary",
        "2 to add, 0 to change, 0 to destroy",
        env=settings_env(callback),
    )
    passed(result)
    assert [body for _, body in callback.received] == [
        {
            "request_id": REQUEST_ID,
            "kind": "compute",
            "phase": "awaiting-approval",
            "reason": "",
            "summary": "2 to add, 0 to change, 0 to destroy",
            "outputs": {},
            "workflow": WORKFLOW,
            "workflow_url": f"https://argo.example.test/workflows/argo-events/{WORKFLOW}",
            "approver": "",
        }
    ]


def test_a_notice_takes_its_request_id_from_the_workflow_not_the_body(
    steps: Steps, callback: Callback
) -> None:
    body = compute_request(request_id="someone-else")
    result = steps.run("notify", *IDENTITY, request=body, env=settings_env(callback))
    passed(result)
    assert callback.received[0][1]["request_id"] == REQUEST_ID


def test_a_request_id_without_the_contract_form_is_not_repeated(
    steps: Steps, callback: Callback
) -> None:
    args = [*IDENTITY[:5], "bad id\n", *IDENTITY[6:]]
    passed(steps.run("notify", *args, env=settings_env(callback)))
    assert callback.received[0][1]["request_id"] == ""


def test_finish_sends_the_one_final_notice_and_records_the_outcome(
    steps: Steps, callback: Callback
) -> None:
    out = steps.out("finish-out")
    args = ["--status", "Succeeded", "--has-changes", "true", "--approval", "YES"]
    args += [
        "--summary",
        "2 to add, 0 to change, 0 to destroy",
        "--outputs",
        '{"cluster_name":"aks-demo"}',
    ]
    passed(finish(steps, out, *args, env=settings_env(callback)))
    (notice,) = [body for _, body in callback.received]
    assert (notice["phase"], notice["outputs"]) == ("succeeded", {"cluster_name": "aks-demo"})
    assert (out / "outcome").read_text() == "succeeded"
    assert (out / "delivery").read_text() == "delivered: callback"


def test_finish_of_a_rejected_plan_fails_with_the_outcome_as_its_message(
    steps: Steps, callback: Callback
) -> None:
    out = steps.out("finish-out")
    args = ["--status", "Succeeded", "--has-changes", "true", "--approval", "NO"]
    termination = steps.tmp / "termination-log"
    env = settings_env(callback) | {"IDP_TERMINATION_LOG": str(termination)}
    result = finish(steps, out, *args, env=env)
    assert result.returncode == 1
    assert termination.read_text() == "rejected: the approval was answered 'NO', not YES"
    assert callback.received[0][1]["phase"] == "rejected"


@pytest.mark.slow
def test_finish_keeps_a_succeeded_outcome_when_the_callback_is_down(
    steps: Steps, callback: Callback
) -> None:
    callback.statuses = [503, 503, 503]
    out = steps.out("finish-out")
    args = ["--status", "Succeeded", "--has-changes", "false"]
    passed(finish(steps, out, *args, env=settings_env(callback)))
    assert (out / "outcome").read_text() == "no-changes"
    assert (out / "delivery").read_text().startswith("failed: callback")


def test_finish_names_what_it_could_not_reach_when_nothing_is_configured(steps: Steps) -> None:
    out = steps.out("finish-out")
    passed(finish(steps, out, "--status", "Succeeded", "--has-changes", "false"))
    assert (
        out / "delivery"
    ).read_text() == "not sent: no callback_url and no SMTP host in settings"


def test_a_notice_does_not_need_the_request_body(steps: Steps, callback: Callback) -> None:
    """Notices never parse the body: a body nested 5,000 deep changes nothing."""
    env = settings_env(callback) | {"IDP_REQUEST": "[" * 5000 + "]" * 5000}
    result = steps.run("notify", *IDENTITY, env=env)
    passed(result)
    assert callback.received[0][1]["request_id"] == REQUEST_ID


def test_notify_sends_the_bearer_token_when_one_is_set(steps: Steps, callback: Callback) -> None:
    env = settings_env(callback) | {"IDP_CALLBACK_TOKEN": "t0ken"}
    passed(steps.run("notify", *IDENTITY, env=env))
    headers = callback.received[0][0]
    assert headers["Authorization"] == "Bearer t0ken"
    assert headers["Content-Type"] == "application/json"


def test_a_token_with_the_final_newline_of_an_echoed_file_is_sent_without_it(
    steps: Steps, callback: Callback
) -> None:
    env = settings_env(callback) | {"IDP_CALLBACK_TOKEN": "t0ken\n"}
    passed(steps.run("notify", *IDENTITY, env=env))
    assert callback.received[0][0]["Authorization"] == "Bearer t0ken"


def test_a_token_with_control_characters_is_refused_without_being_shown() -> None:
    with pytest.raises(StepError) as caught:
        clean_token("se\x01cret")
    assert "se" not in str(caught.value).replace("Secret", "")
    assert str(caught.value) == (
        "callback token: holds a control character or one that is not ASCII (a line break or "
        "tab inside, or more than one final newline; not shown); write it alone on one line; "
        "fix the Secret"
    )


def test_a_redirect_is_a_failed_delivery_and_the_token_never_reaches_its_target(
    callback: Callback,
) -> None:
    with running_callback() as elsewhere:
        callback.statuses = [302]
        callback.redirect_to = elsewhere.url
        with pytest.raises(StepError, match=r"HTTP 302 \(a redirect: not followed"):
            post(callback.url, {"phase": "succeeded"}, token="t0ken", sleep=lambda _: None)
        assert elsewhere.received == []
    assert len(callback.received) == 1


def test_a_redirect_is_not_followed_even_without_a_token(callback: Callback) -> None:
    with running_callback() as elsewhere:
        callback.statuses = [307]
        callback.redirect_to = elsewhere.url
        with pytest.raises(StepError, match=r"HTTP 307 \(a redirect: not followed"):
            post(callback.url, {"phase": "succeeded"}, sleep=lambda _: None)
        assert elsewhere.received == []


def test_no_credentials_of_a_netrc_file_go_with_a_notice(
    callback: Callback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests adds a ~/.netrc's login for the host to a call without credentials of its own
    (sessions.py, `prepare_request`); a notice carries its token or nothing."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password n3trc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert post(callback.url, {"phase": "succeeded"}) == 200
    assert "Authorization" not in callback.received[0][0]


def test_an_answer_whose_body_never_ends_is_read_only_so_far(callback: Callback) -> None:
    """Only the status counts: the attempt ends after MAX_ANSWER_BYTES, not at its timeout."""
    callback.endless = True
    started = time.monotonic()
    assert post(callback.url, {"phase": "succeeded"}, attempts=1, timeout=5.0) == 200
    assert time.monotonic() - started < 4.0


def test_a_failed_connection_is_named_in_a_few_words_without_the_url_query() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    where = f"http://127.0.0.1:{port}/idp/status"
    with pytest.raises(StepError) as caught:
        post(where + "?key=qu3ry-secret", {"phase": "failed"}, attempts=1)
    assert str(caught.value) == f"callback {where} failed: Connection refused (attempts: 1)"


@pytest.mark.slow
def test_an_answer_trickled_a_byte_at_a_time_ends_the_attempt_at_its_timeout(
    callback: Callback,
) -> None:
    callback.trickle = 0.5
    with pytest.raises(StepError, match=r"no complete answer within 1s \(attempts: 2\)"):
        post(callback.url, {"phase": "failed"}, attempts=2, timeout=1.0, sleep=lambda _: None)
    # both attempts gave up while their answers were still being sent
    assert callback.trickled.acquire(blocking=False) is False


def test_a_callback_url_with_an_impossible_port_is_a_failed_delivery_not_a_crash() -> None:
    with pytest.raises(StepError, match=r"callback URL \(an invalid URL\) is not valid"):
        post("http://127.0.0.1:99999/idp", {"phase": "failed"})


def test_notify_fails_in_one_line_when_the_callback_refuses(
    steps: Steps, callback: Callback
) -> None:
    callback.statuses = [404]
    result = steps.run("notify", *IDENTITY, env=settings_env(callback))
    assert result.returncode == 1
    assert result.stderr == (
        f"notify: notice not delivered: callback {callback.url} failed: HTTP 404 (attempts: 1)\n"
    )


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


def test_post_retries_a_refused_connection() -> None:
    with running_callback() as stopped:
        url = stopped.url
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


def run_notify(monkeypatch: pytest.MonkeyPatch, command: str, *args: str, **env: str) -> int:
    monkeypatch.setenv("IDP_REQUEST", json.dumps(compute_request()))
    monkeypatch.delenv("IDP_CALLBACK_URL", raising=False)
    for name, value in (SMTP_ENV | env).items():
        monkeypatch.setenv(name, value)
    return main([command, *IDENTITY, *args])


def test_a_step_run_in_process_puts_the_sigterm_handler_back(
    smtp: MagicMock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """main() turns SIGTERM into an interrupt while it runs, and only then."""
    before = signal.getsignal(signal.SIGTERM)
    finished = ["--out", str(tmp_path), "--status", "Succeeded", "--approval", "YES"]
    assert run_notify(monkeypatch, "finish", *finished) == 0
    assert signal.getsignal(signal.SIGTERM) == before


def test_email_goes_to_the_requester_over_starttls_before_login(
    smtp: MagicMock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    finished = ["--out", str(tmp_path), "--status", "Succeeded", "--approval", "YES"]
    assert run_notify(monkeypatch, "finish", *finished) == 0
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
    assert run_notify(monkeypatch, "notify", IDP_APPROVERS=approvers) == 0
    message = smtp.send_message.call_args.args[0]
    assert message["To"] == "ops@example.test, lead@example.test"


def test_email_failure_is_one_line_without_the_password(
    smtp: MagicMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    smtp.login.side_effect = smtplib.SMTPAuthenticationError(535, b"bad pa55word")
    assert run_notify(monkeypatch, "notify", IDP_APPROVERS="ops@example.test") == 1
    captured = capsys.readouterr()
    assert (
        captured.err
        == "notify: notice not delivered: e-mail via smtp.example.test:587 failed: SMTP 535\n"
    )
    assert "pa55word" not in captured.out + captured.err
