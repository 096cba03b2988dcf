"""Each failure talking to the Argo Server: one line naming the server, a distinct exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.cli import main
from idp.errors import (
    EXIT_CONFLICT,
    EXIT_FORBIDDEN,
    EXIT_NOT_APPLIED,
    EXIT_NOT_FOUND,
    EXIT_REJECTED,
    EXIT_SERVER_ERROR,
    EXIT_TLS,
    EXIT_UNAUTHORIZED,
    EXIT_UNREACHABLE,
)
from tests.argo.fake_argo import FakeArgo
from tests.argo.fake_webhook import FakeWebhook, serving


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_an_unreachable_server_exits_4_naming_it(
    closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    server = f"http://127.0.0.1:{closed_port}"
    args = ["approve", "compute-x", "--yes", "--server", server, "--retries", "0"]
    assert main(args) == EXIT_UNREACHABLE
    line = one_line_error(capsys)
    assert line.startswith(f"idp: Argo Server {server}: cannot connect (Connection refused)")
    assert "check ARGO_SERVER or --server" in line


def test_host_and_port_alone_mean_https_as_in_the_argo_cli(
    closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    server = f"127.0.0.1:{closed_port}"
    assert main(["approve", "compute-x", "--yes", "--server", server, "--retries", "0"]) == 4
    assert f"Argo Server https://127.0.0.1:{closed_port}:" in one_line_error(capsys)


def test_https_to_a_plain_http_server_is_a_tls_failure(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGO_SERVER", fake.url.removeprefix("http://"))
    assert main(["approve", "compute-x", "--yes"]) == EXIT_TLS
    line = one_line_error(capsys)
    assert line.startswith(f"idp: Argo Server {fake.url.replace('http:', 'https:')}: TLS failed")
    assert "--no-secure" in line
    assert fake.requests == []


def test_no_secure_reaches_the_same_plain_http_server(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGO_SERVER", fake.url.removeprefix("http://"))
    assert main(["approve", "compute-x", "--yes", "--no-secure"]) == EXIT_NOT_FOUND
    assert len(fake.requests) == 1


def test_a_missing_token_is_401_naming_what_to_check(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.token = "the-real-token"
    assert main(["submit", "--no-kubectl"]) == EXIT_UNAUTHORIZED
    line = one_line_error(capsys)
    # every call needs the token, the first one too (server/auth/gatekeeper.go, Context)
    assert line.startswith(f"idp: Argo Server {fake.url}: 401 Unauthorized on GET /api/v1/version")
    assert "check ARGO_TOKEN or --token-file" in line
    assert fake.writes() == []


def test_a_wrong_token_is_never_printed(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.token = "the-real-token"
    monkeypatch.setenv("ARGO_TOKEN", "wrong-token-4f1c")
    assert main(["submit", "--no-kubectl"]) == EXIT_UNAUTHORIZED
    captured = capsys.readouterr()
    assert "wrong-token-4f1c" not in captured.out + captured.err


def test_the_right_token_opens_every_endpoint(
    fake: FakeArgo, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.token = "the-real-token"
    monkeypatch.setenv("ARGO_TOKEN", "the-real-token")
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    paths = {r.template for r in fake.requests}
    assert {"/api/v1/event-sources/{namespace}", "/api/v1/sensors/{namespace}"} <= paths
    assert {r.authorization for r in fake.requests} == {"Bearer the-real-token"}


def test_a_token_file_may_hold_the_bearer_prefix(fake: FakeArgo, tmp_path: Path) -> None:
    fake.token = "the-real-token"
    token = tmp_path / "token"
    token.write_text("Bearer the-real-token\n")
    assert main(["approve", "compute-x", "--yes", "--token-file", str(token)]) == EXIT_NOT_FOUND


STATUSES = [
    (403, EXIT_FORBIDDEN, "403 Forbidden", "lacks permission"),
    (404, EXIT_NOT_FOUND, "404 Not Found", "check the name and the namespace"),
    (409, EXIT_CONFLICT, "409 Conflict", "already exists"),
    (400, EXIT_REJECTED, "400 Bad Request", "the server rejected the request"),
    (500, EXIT_SERVER_ERROR, "500 Internal Server Error", "argo-server logs"),
    (503, EXIT_SERVER_ERROR, "503 Service Unavailable", "argo-server logs"),
]


@pytest.mark.parametrize("case", STATUSES, ids=[str(case[0]) for case in STATUSES])
def test_an_error_status_on_update_has_its_own_exit_code_and_hint(
    fake: FakeArgo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[int, int, str, str],
) -> None:
    status, code, shown, hint = case
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    capsys.readouterr()
    monkeypatch.setenv("IDP_APPROVAL_TIMEOUT", "12h")
    fake.fail("PUT", r"/workflow-templates/", status, "what the server said")
    assert main(["submit", "--no-kubectl", "--retries", "0"]) == code
    line = one_line_error(capsys)
    assert line.startswith(
        f"idp: Argo Server {fake.url}: {shown} on PUT /api/v1/workflow-templates/"
    )
    assert "what the server said" in line
    assert hint in line


def test_a_redirect_is_not_followed_and_names_its_target(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail("POST", "/lint$", 302, headers={"Location": "https://sso.example/login"})
    assert main(["submit", "--no-kubectl"]) == EXIT_REJECTED
    line = one_line_error(capsys)
    assert "302 on POST /api/v1/workflow-templates/" in line
    assert "redirects to https://sso.example/login" in line
    assert [r.path for r in fake.requests] == [
        "/api/v1/version",
        "/api/v1/workflow-templates/argo-events/lint",
    ]


def test_a_server_that_answers_something_other_than_json_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serving(FakeWebhook()) as not_argo:
        assert main(["submit", "--no-kubectl", "--server", not_argo.url]) == EXIT_SERVER_ERROR
    assert "is not an Argo Server answer (not JSON)" in one_line_error(capsys)


def test_an_unexpected_answer_shape_is_one_line_not_a_traceback(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "metadata": {"name": "compute-x", "namespace": "argo-events"},
            "status": {"nodes": "not a map"},
        }
    )
    assert main(["approve", "compute-x", "--yes"]) == EXIT_SERVER_ERROR
    assert "does not fit Hera's model" in one_line_error(capsys)
