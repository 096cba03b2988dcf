"""`idp trigger`: validate locally, POST to the webhook with the bearer token, retry 5xx only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from idp.argo.trigger import post
from idp.cli import main
from idp.errors import (
    EXIT_INVALID,
    EXIT_REJECTED,
    EXIT_SERVER_ERROR,
    EXIT_TLS,
    EXIT_UNAUTHORIZED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)
from tests.argo.fake_webhook import FakeWebhook, serving
from tests.argo.workflows import example

TOKEN = "webhook-token-9d2e"
FAST = ["--backoff", "0"]


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWebhook]:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", TOKEN)
    with serving(FakeWebhook()) as fake:
        yield fake


def trigger(url: str, *extra: str) -> int:
    return main(["trigger", "compute", str(example("compute")), "--url", url, *FAST, *extra])


def test_trigger_posts_the_file_unchanged_with_the_bearer_token(webhook: FakeWebhook) -> None:
    assert trigger(f"{webhook.url}/compute") == 0
    [request] = webhook.received
    assert request.path == "/compute"
    assert request.body == example("compute").read_bytes()
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"


def test_trigger_reports_the_status(
    webhook: FakeWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    assert trigger(f"{webhook.url}/compute") == 0
    request_id = json.loads(example("compute").read_text())["request_id"]
    assert capsys.readouterr().out == (
        f"trigger   POST {webhook.url}/compute: 200 OK (attempt 1 of 4), "
        f"request {request_id}: success\n"
    )


def test_a_url_without_a_path_gets_the_kinds_endpoint(webhook: FakeWebhook) -> None:
    assert trigger(webhook.url) == 0
    assert webhook.received[0].path == "/compute"


def test_the_token_file_wins_over_the_environment(webhook: FakeWebhook, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-the-file\n")
    assert trigger(webhook.url, "--token-file", str(token_file)) == 0
    assert webhook.received[0].headers["authorization"] == "Bearer from-the-file"


def test_a_503_is_retried_and_the_success_reported(
    webhook: FakeWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    webhook.answers = [(503, "eventbus not ready", {}), (200, "success", {})]
    assert trigger(webhook.url) == 0
    assert len(webhook.received) == 2
    assert webhook.received[0].body == webhook.received[1].body
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "trigger   attempt 1 of 4: 503 Service Unavailable; retrying in 0s"
    assert "200 OK (attempt 2 of 4)" in out[1]


def test_a_401_is_not_retried(webhook: FakeWebhook, capsys: pytest.CaptureFixture[str]) -> None:
    webhook.answers = [(401, "unauthorized", {})]
    assert trigger(webhook.url) == EXIT_UNAUTHORIZED
    assert len(webhook.received) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"idp: webhook {webhook.url}/compute: 401 Unauthorized: unauthorized;")
    assert "--token-file or IDP_WEBHOOK_TOKEN" in err
    assert TOKEN not in err


def test_a_400_is_final(webhook: FakeWebhook) -> None:
    webhook.answers = [(400, "bad request", {})]
    assert trigger(webhook.url) == EXIT_REJECTED
    assert len(webhook.received) == 1


def test_5xx_every_time_gives_up_after_the_retries(
    webhook: FakeWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    webhook.answers = [(503, "boom", {})]
    assert trigger(webhook.url, "--retries", "2") == EXIT_SERVER_ERROR
    assert len(webhook.received) == 3
    assert "503 Service Unavailable: boom; after 3 attempts" in capsys.readouterr().err


def test_a_500_is_final(webhook: FakeWebhook) -> None:
    webhook.answers = [(500, "boom", {})]
    assert trigger(webhook.url) == EXIT_SERVER_ERROR
    assert len(webhook.received) == 1


def test_a_closed_port_is_retried_then_reported_unreachable(
    closed_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", TOKEN)
    assert trigger(f"http://127.0.0.1:{closed_port}", "--retries", "1") == EXIT_UNREACHABLE
    captured = capsys.readouterr()
    assert "attempt 1 of 2: cannot connect (Connection refused)" in captured.out
    assert "cannot connect (Connection refused) (--timeout 60s, 2 attempts at most)" in captured.err


def test_https_to_a_plain_http_webhook_is_a_tls_failure(
    webhook: FakeWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    url = webhook.url.replace("http://", "https://")
    assert trigger(url) == EXIT_TLS
    assert capsys.readouterr().err.startswith(f"idp: webhook {url}/compute: TLS failed (")
    assert webhook.received == []


def test_a_redirect_is_not_followed(webhook: FakeWebhook) -> None:
    with serving(FakeWebhook()) as elsewhere:
        webhook.answers = [(307, "", {"Location": f"{elsewhere.url}/compute"})]
        assert trigger(webhook.url) == EXIT_REJECTED
        assert elsewhere.received == []


def test_an_invalid_request_is_not_sent(
    webhook: FakeWebhook, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "bad.json"
    request.write_text(json.dumps(json.loads(example("compute").read_text()) | {"node_count": 0}))
    args = ["trigger", "compute", str(request), "--url", webhook.url]
    assert main(args) == EXIT_INVALID
    assert capsys.readouterr().err.startswith(f"{request}: node_count: ")
    assert webhook.received == []


def test_no_token_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert trigger("http://127.0.0.1:9") == EXIT_USAGE
    assert capsys.readouterr().err == (
        "idp: no webhook token: pass --token-file FILE or set IDP_WEBHOOK_TOKEN\n"
    )


def test_the_backoff_doubles_and_honours_retry_after(webhook: FakeWebhook) -> None:
    webhook.answers = [
        (502, "", {}),
        (503, "", {"Retry-After": "7"}),
        (504, "", {}),
        (200, "success", {}),
    ]
    delays: list[float] = []
    answer = post(
        f"{webhook.url}/compute",
        b"{}",
        TOKEN,
        timeout=60,
        retries=3,
        backoff=0.5,
        out=lambda _: None,
        sleep=delays.append,
    )
    assert (answer.status, answer.attempts) == (200, 4)
    assert delays == [0.5, 7, 2]
