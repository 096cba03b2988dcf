"""The one HTTP policy: retries (429, 502, 503, 504, connection errors) with a doubling delay
and Retry-After, and a deadline on each call as a whole that a trickling server cannot defeat."""

from __future__ import annotations

import pytest

from idp.argo import transport
from idp.cli import main
from idp.errors import EXIT_UNREACHABLE
from tests.argo.fake_argo import FakeArgo
from tests.argo.fake_webhook import Answer, FakeWebhook, serving
from tests.argo.trickle import trickle_seconds, trickling
from tests.argo.workflows import example


def post(url: str, policy: transport.Policy, delays: list[float]) -> int:
    with transport.session(policy, sleep=delays.append) as session:
        response = transport.call(session, "POST", url, policy.deadline, data=b"{}")
        return response.status_code


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_a_retryable_status_is_retried(status: int) -> None:
    with serving(FakeWebhook(answers=[(status, "", {}), (200, "ok", {})])) as fake:
        assert post(fake.url, transport.Policy(3, 0, 60), []) == 200
        assert len(fake.received) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 409, 500])
def test_another_status_is_final(status: int) -> None:
    with serving(FakeWebhook(answers=[(status, "", {}), (200, "ok", {})])) as fake:
        assert post(fake.url, transport.Policy(3, 0, 60), []) == status
        assert len(fake.received) == 1


def test_the_delay_doubles_and_retry_after_wins() -> None:
    answers: list[Answer] = [
        (429, "", {"Retry-After": "5"}),
        (502, "", {}),
        (504, "", {}),
        (200, "ok", {}),
    ]
    delays: list[float] = []
    with serving(FakeWebhook(answers=answers)) as fake:
        assert post(fake.url, transport.Policy(3, 0.5, 60), delays) == 200
    assert delays == [5, 1, 2]


def test_a_retry_after_beyond_the_deadline_ends_the_retries() -> None:
    answers: list[Answer] = [(503, "", {"Retry-After": "120"}), (200, "ok", {})]
    delays: list[float] = []
    with serving(FakeWebhook(answers=answers)) as fake:
        assert post(fake.url, transport.Policy(3, 0.5, 30), delays) == 503
        assert len(fake.received) == 1
    assert delays == []


def test_the_last_answer_is_returned_when_the_retries_run_out() -> None:
    with serving(FakeWebhook(answers=[(503, "", {})])) as fake:
        assert post(fake.url, transport.Policy(2, 0, 60), []) == 503
        assert len(fake.received) == 3


def test_connection_errors_are_retried(closed_port: int) -> None:
    notes: list[str] = []
    policy = transport.Policy(2, 0, 60)
    with (
        transport.session(policy, notify=notes.append) as session,
        pytest.raises(transport.TransportError) as failed,
    ):
        transport.call(session, "GET", f"http://127.0.0.1:{closed_port}/", 60)
    assert failed.value.kind == "connect"
    assert notes == [
        "attempt 1 of 3: cannot connect (Connection refused); retrying in 0s",
        "attempt 2 of 3: cannot connect (Connection refused); retrying in 0s",
    ]


def test_a_trickling_answer_is_cut_at_the_deadline() -> None:
    with trickling() as url, transport.session(transport.Policy(0, 0, 1)) as session:
        assert trickle_seconds() > 10
        with pytest.raises(transport.TransportError) as failed:
            transport.call(session, "GET", url, 1)
    assert (failed.value.kind, failed.value.detail) == ("timeout", "no complete answer within 1s")


def test_approve_against_a_trickling_server_stops_at_the_request_timeout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with trickling() as url:
        args = ["approve", "compute-x", "--yes", "--server", url, "--request-timeout", "1"]
        assert main(args) == EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert "no complete answer to GET /api/v1/workflows/" in err
    assert "within 1s (retries included)" in err


def test_trigger_against_a_trickling_webhook_stops_at_its_timeout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", "t")
    with trickling() as url:
        args = ["trigger", "compute", str(example("compute")), "--url", url, "--timeout", "1"]
        assert main(args) == EXIT_UNREACHABLE
    assert "no complete answer within 1s" in capsys.readouterr().err


@pytest.mark.parametrize("garbage", ["garbage", "-5", "1e999", "Sun, 99 Foo 0000 25:61:61 GMT"])
def test_a_retry_after_that_is_no_delay_is_taken_as_absent(garbage: str) -> None:
    """urllib3's `parse_retry_after` raises on such a header; the retry waits the usual delay."""
    answers: list[Answer] = [(503, "", {"Retry-After": garbage}), (200, "ok", {})]
    delays: list[float] = []
    with serving(FakeWebhook(answers=answers)) as fake:
        assert post(fake.url, transport.Policy(3, 0.5, 60), delays) == 200
    assert delays == [0.5]


def test_list_retries_past_a_garbage_retry_after(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail("GET", r"^/api/v1/workflows/argo-events$", 503, headers={"Retry-After": "garbage"})
    assert main(["list", "--backoff", "0"]) == 0
    assert len(fake.requests) == 2
    assert "attempt 1 of 4: 503 Service Unavailable; retrying in 0s" in capsys.readouterr().err
