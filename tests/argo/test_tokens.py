"""Tokens as operators store them: one final newline is dropped, anything else odd is refused,
and no token (no header value at all) ever appears in a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.cli import main
from idp.errors import EXIT_NOT_APPLIED, EXIT_UNAUTHORIZED, EXIT_UNREACHABLE, EXIT_USAGE
from tests.argo.fake_argo import FakeArgo
from tests.argo.fake_webhook import FakeWebhook, serving
from tests.argo.workflows import example

SECRET = "s3cr3t-9f1d-token"


def output(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_argo_token_with_a_final_newline_is_sent_without_it(
    fake: FakeArgo, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.token = SECRET
    monkeypatch.setenv("ARGO_TOKEN", f"{SECRET}\n")
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    assert {r.authorization for r in fake.requests} == {f"Bearer {SECRET}"}


def test_a_token_file_written_by_echo_is_read_without_its_newline(
    fake: FakeArgo, tmp_path: Path
) -> None:
    fake.token = SECRET
    token = tmp_path / "token"
    token.write_text(f"{SECRET}\n")
    assert main(["approve", "compute-x", "--yes", "--token-file", str(token)]) == 8
    assert fake.requests[0].authorization == f"Bearer {SECRET}"


def test_the_webhook_token_loses_its_final_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", f"{SECRET}\n")
    with serving(FakeWebhook()) as webhook:
        args = ["trigger", "compute", str(example("compute")), "--url", webhook.url]
        assert main(args) == 0
    assert webhook.received[0].headers["authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize("bad", [f"{SECRET}\n\n", f"{SECRET}\nmore", f"a\x1b{SECRET}", "t\u20ac"])
def test_a_token_with_another_control_character_is_refused_unseen(
    fake: FakeArgo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bad: str,
) -> None:
    monkeypatch.setenv("ARGO_TOKEN", bad)
    assert main(["approve", "compute-x", "--yes"]) == EXIT_USAGE
    shown = output(capsys)
    assert shown.startswith("idp: ARGO_TOKEN: holds a control character")
    assert SECRET not in shown
    assert fake.requests == []


def test_a_bad_token_file_is_refused_unseen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = tmp_path / "token"
    token.write_text(f"{SECRET}\r\nsecond line\n")
    args = ["approve", "compute-x", "--yes", "--server", "h:1", "--token-file", str(token)]
    assert main(args) == EXIT_USAGE
    assert SECRET not in output(capsys)


def test_a_bad_webhook_token_is_refused_unseen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", f"{SECRET}\tx")
    args = ["trigger", "compute", str(example("compute")), "--url", "http://127.0.0.1:9"]
    assert main(args) == EXIT_USAGE
    assert SECRET not in output(capsys)


COMMANDS = [
    ["approve", "compute-x", "--yes"],
    ["run", "compute", str(example("compute"))],
    ["submit", "--no-kubectl"],
    ["list"],
    ["status", "compute-x"],
    ["logs", "compute-x"],
    ["watch", "compute-x"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_no_message_shows_the_token_when_it_is_refused(
    fake: FakeArgo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    fake.token = "the-real-one"
    monkeypatch.setenv("ARGO_TOKEN", SECRET)
    assert main(command) == EXIT_UNAUTHORIZED
    assert SECRET not in output(capsys)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_no_message_shows_the_token_when_the_server_is_unreachable(
    closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.setenv("ARGO_TOKEN", SECRET)
    monkeypatch.setenv("ARGO_SERVER", f"http://127.0.0.1:{closed_port}")
    assert main([*command, "--retries", "0"]) == EXIT_UNREACHABLE
    assert SECRET not in output(capsys)


def test_trigger_never_shows_its_token(
    closed_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", SECRET)
    url = f"http://127.0.0.1:{closed_port}"
    args = ["trigger", "compute", str(example("compute")), "--url", url, "--retries", "0"]
    assert main(args) == EXIT_UNREACHABLE
    assert SECRET not in output(capsys)


# -- a token that carries its scheme already (issue 17)


@pytest.mark.parametrize("given", [f"Bearer {SECRET}", f"bearer {SECRET}", f"BEARER  {SECRET}\n"])
def test_a_token_with_its_bearer_scheme_is_sent_with_it_once(
    fake: FakeArgo, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """The argo CLI's ARGO_TOKEN carries the scheme (`Bearer v2:...`); a bare token gets one."""
    fake.token = SECRET
    monkeypatch.setenv("ARGO_TOKEN", given)
    assert main(["list"]) == 0
    assert {r.authorization for r in fake.requests} == {f"Bearer {SECRET}"}


@pytest.mark.parametrize("given", [f"Bearer Bearer {SECRET}", f"Basic {SECRET}", f"a {SECRET}"])
def test_a_token_with_another_scheme_or_a_space_is_refused_unseen(
    fake: FakeArgo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    given: str,
) -> None:
    monkeypatch.setenv("ARGO_TOKEN", given)
    assert main(["list"]) == EXIT_USAGE
    shown = output(capsys)
    assert shown.startswith("idp: ARGO_TOKEN: the token holds a space: give the bearer token alone")
    assert len(shown.splitlines()) == 1
    assert SECRET not in shown
    assert fake.requests == []


def test_a_token_file_larger_than_16_kib_is_refused_after_reading_16_kib(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", "--token-file", "/dev/zero"]) == EXIT_USAGE
    assert output(capsys) == (
        "idp: --token-file /dev/zero: larger than 16 KiB: a token file holds one token\n"
    )
    assert fake.requests == []


def test_a_webhook_token_file_larger_than_16_kib_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = tmp_path / "token"
    token.write_text("t" * (16 * 1024 + 1))
    args = ["trigger", "compute", str(example("compute")), "--url", "http://127.0.0.1:9"]
    assert main([*args, "--token-file", str(token)]) == EXIT_USAGE
    assert "larger than 16 KiB" in output(capsys)
