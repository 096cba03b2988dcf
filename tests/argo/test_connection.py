"""Connection settings: ARGO_* variables as the argo CLI reads them, flags over variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.argo.connection import resolve, server_url
from idp.argo.errors import UsageError
from idp.cli import main
from idp.errors import EXIT_NO_SERVER, EXIT_USAGE
from tests.argo.fake_argo import FakeArgo
from tests.argo.fake_webhook import FakeWebhook, serving
from tests.argo.workflows import example


def test_host_and_port_default_to_https() -> None:
    assert resolve({"ARGO_SERVER": "argo.example:2746"}, "ns").url == "https://argo.example:2746/"


def test_argo_secure_false_means_plain_http() -> None:
    env = {"ARGO_SERVER": "localhost:2746", "ARGO_SECURE": "false"}
    assert resolve(env, "ns").url == "http://localhost:2746/"


def test_the_secure_flag_overrides_argo_secure() -> None:
    env = {"ARGO_SERVER": "localhost:2746", "ARGO_SECURE": "false"}
    assert resolve(env, "ns", secure=True).url == "https://localhost:2746/"


def test_a_url_keeps_its_own_scheme() -> None:
    assert resolve({"ARGO_SERVER": "http://h:1"}, "ns", secure=True).url == "http://h:1/"


def test_the_base_href_is_a_path_prefix() -> None:
    assert server_url("h:443", True, "/argo/") == "https://h:443/argo/"


def test_the_server_flag_overrides_argo_server() -> None:
    connection = resolve({"ARGO_SERVER": "a:1"}, "ns", server="b:2")
    assert connection.server == "https://b:2"


def test_namespace_comes_from_the_flag_then_argo_namespace_then_settings() -> None:
    env = {"ARGO_SERVER": "h:1", "ARGO_NAMESPACE": "from-env"}
    assert resolve(env, "from-settings", namespace="from-flag").namespace == "from-flag"
    assert resolve(env, "from-settings").namespace == "from-env"
    assert resolve({"ARGO_SERVER": "h:1"}, "from-settings").namespace == "from-settings"


def test_insecure_skip_verify_turns_verification_off() -> None:
    env = {"ARGO_SERVER": "h:1", "ARGO_INSECURE_SKIP_VERIFY": "true"}
    assert resolve(env, "ns").verify is False
    assert resolve({"ARGO_SERVER": "h:1"}, "ns").verify is True


def test_a_boolean_that_is_not_one_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="ARGO_SECURE='yes please'"):
        resolve({"ARGO_SERVER": "h:1", "ARGO_SECURE": "yes please"}, "ns")


def test_argo_http1_is_accepted() -> None:
    assert resolve({"ARGO_SERVER": "h:1", "ARGO_HTTP1": "true"}, "ns").url == "https://h:1/"


def test_the_token_file_wins_over_argo_token(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("from-file\n")
    env = {"ARGO_SERVER": "h:1", "ARGO_TOKEN": "from-env"}
    assert resolve(env, "ns", token_file=token).token == "Bearer from-file"


def test_the_token_stays_out_of_the_repr() -> None:
    connection = resolve({"ARGO_SERVER": "h:1", "ARGO_TOKEN": "Bearer s3cr3t"}, "ns")
    assert "s3cr3t" not in repr(connection)


def test_an_unreadable_token_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    args = ["approve", "x", "--yes", "--server", "h:1", "--token-file", str(missing)]
    assert main(args) == EXIT_USAGE
    assert capsys.readouterr().err == f"idp: --token-file {missing}: No such file or directory\n"


def test_no_server_at_all_says_how_to_name_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["approve", "x", "--yes"]) == EXIT_NO_SERVER
    assert capsys.readouterr().err.startswith("idp: no Argo Server: set ARGO_SERVER=host:port")


def test_a_server_that_is_not_an_address_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="expected host:port"):
        resolve({"ARGO_SERVER": "ftp://h:1"}, "ns")


# -- credentials in a URL are refused, unseen (issue 17)

PASSWORD = "pw-7c1e"


@pytest.mark.parametrize(
    "server",
    [f"http://u:{PASSWORD}@127.0.0.1:9", f"u:{PASSWORD}@127.0.0.1:9", f"http://{PASSWORD}@h"],
)
def test_a_server_url_with_a_user_or_password_is_refused_unseen(
    capsys: pytest.CaptureFixture[str], server: str
) -> None:
    assert main(["list", "--server", server]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(
        "idp: Argo Server (ARGO_SERVER or --server): the URL holds a user name or password"
    )
    assert len(err.splitlines()) == 1
    assert PASSWORD not in err


def test_argo_server_with_a_password_is_refused_before_any_request(
    fake: FakeArgo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARGO_SERVER", fake.url.replace("http://", f"http://u:{PASSWORD}@"))
    assert main(["list"]) == EXIT_USAGE
    assert PASSWORD not in capsys.readouterr().err
    assert fake.requests == []


def test_a_webhook_url_with_a_password_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", "t")
    with serving(FakeWebhook()) as webhook:
        url = webhook.url.replace("http://", f"http://u:{PASSWORD}@")
        assert main(["trigger", "compute", str(example("compute")), "--url", url]) == EXIT_USAGE
        assert webhook.received == []
    err = capsys.readouterr().err
    assert err.startswith("idp: --url: the URL holds a user name or password")
    assert PASSWORD not in err


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ARGO_SERVER", "127.0.0.1:2746/{namespace}", "ARGO_SERVER or --server"),
        ("ARGO_BASE_HREF", "argo}", "ARGO_BASE_HREF or --base-href"),
    ],
)
def test_a_brace_in_the_server_url_is_refused_naming_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    named: str,
) -> None:
    """Hera formats its URLs with str.format: a brace was an internal error."""
    monkeypatch.setenv("ARGO_SERVER", "127.0.0.1:2746")
    monkeypatch.setenv(variable, value)
    assert main(["list"]) == EXIT_USAGE
    shown = capsys.readouterr().err
    assert shown.startswith(f"idp: {named} {value!r}: holds '{{' or '}}'")
    assert len(shown.splitlines()) == 1
