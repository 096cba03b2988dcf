"""`idp validate`, `idp schema` and the CLI's error discipline (one line, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from idp import __version__, cli
from idp.cli import HANDLERS, main, resolve
from idp.errors import EXIT_SETTINGS, EXIT_USAGE

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "requests"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "request.json"
    path.write_text(text)
    return str(path)


def test_validate_accepts_a_valid_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "compute", str(EXAMPLES / "compute.json")]) == 0
    assert "valid compute request" in capsys.readouterr().err


def test_validate_prints_one_line_per_bad_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads((EXAMPLES / "compute.json").read_text())
    data.update(node_count=101, region="mars")
    path = write(tmp_path, json.dumps(data))
    assert main(["validate", "compute", path]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[1] for line in lines] == ["region", "node_count"]
    assert all(line.startswith(path) for line in lines)


def test_validate_reports_a_file_that_is_not_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "storage", write(tmp_path, "not json")]) == 2
    err = capsys.readouterr().err
    assert "not valid JSON" in err
    assert "Traceback" not in err


def test_validate_reports_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "storage", "/nonexistent/request.json"]) == 2
    assert capsys.readouterr().err.strip().endswith("No such file or directory")


def test_unknown_kind_names_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "network", str(EXAMPLES / "compute.json")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == "idp: kind: unknown kind 'network'; known kinds: compute, database, storage\n"


def test_schema_prints_the_json_schema_with_regions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "database"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["resource_type"]["enum"] == ["postgresql", "cosmosdb", "redis"]
    assert "westeurope" in schema["properties"]["region"]["enum"]


def test_invalid_settings_file_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text("webhook_port: 80\n")
    assert main(["--config", str(config), "schema", "compute"]) == EXIT_SETTINGS
    err = capsys.readouterr().err
    assert err.startswith("idp: settings.webhook_port: Input should be greater than or equal to")


def test_version_is_the_project_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"idp {__version__}\n"


def test_validate_reads_no_more_than_one_byte_past_the_payload_cap(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # /dev/zero never ends: the command must stop reading, not grow
    assert main(["validate", "compute", "/dev/zero"]) == 2
    assert capsys.readouterr().err == (
        "/dev/zero: (request): larger than the webhook's maxPayloadSize of 65536 bytes\n"
    )


def test_render_refuses_what_the_webhook_refuses_with_exit_3(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["render", "compute", "/dev/zero"]) == 3
    assert capsys.readouterr().err.startswith("idp: /dev/zero: refused by the webhook: ")


@pytest.mark.parametrize(("command", "code"), [("validate", 2), ("render", 3)])
def test_deep_nesting_is_an_invalid_request_not_an_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, code: int
) -> None:
    for depth in (990, 5_000, 10_001):
        path = write(tmp_path, "[" * depth + "]" * depth)
        assert main([command, "compute", path]) == code
        assert "internal error" not in capsys.readouterr().err


def test_validate_refuses_a_field_given_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (EXAMPLES / "compute.json").read_text().replace("{", '{"name": "other-name",', 1)
    assert main(["validate", "compute", write(tmp_path, text)]) == 2
    assert "name: given more than once" in capsys.readouterr().err


def test_the_payload_cap_follows_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_MAX_PAYLOAD_BYTES", "1024")
    path = write(tmp_path, (EXAMPLES / "compute.json").read_text().ljust(1025))
    assert main(["validate", "compute", path]) == 2
    assert "maxPayloadSize of 1024 bytes" in capsys.readouterr().err


def test_config_after_the_command_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text("allowed_regions: [uksouth]\n")
    assert main(["schema", "compute", "--config", str(config)]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["region"]["enum"] == ["uksouth"]


def test_a_commands_options_may_come_before_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["--out", str(out), "compile"]) == 0
    assert (out / "kustomization.yaml").is_file()


def test_bad_settings_are_one_line_with_their_own_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDP_ARTIFACT_REPOSITORY", "[]")
    monkeypatch.setenv("IDP_ARTIFACT_REPOSITORY__KEY", "blob")
    assert main(["schema", "compute"]) == EXIT_SETTINGS
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "internal error" not in err


def test_schema_prints_yaml_with_o_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "compute", "-o", "yaml"]) == 0
    schema = yaml.safe_load(capsys.readouterr().out)
    assert schema["properties"]["node_count"]["maximum"] == 100


def test_render_prints_json_with_o_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "compute", str(EXAMPLES / "compute.json"), "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "Workflow"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_prints_a_script_that_knows_every_command(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for command in (
        "compile",
        "validate",
        "render",
        "submit",
        "approve",
        "list",
        "status",
        "logs",
        "watch",
        "completion",
    ):
        assert command in script
    assert "--request-timeout" in script


def test_a_usage_error_is_one_line_naming_the_help_to_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["local", "compute"])
    assert exited.value.code == 64
    err = capsys.readouterr().err
    assert err == "idp: the following arguments are required: file (see: idp local --help)\n"


def test_every_command_names_a_handler_that_exists() -> None:
    """The handlers are `"module:function"` strings, imported only when their command runs:
    a typo shows here, not on the day someone runs that command."""
    commands = cli._commands(cli.build_parser())
    assert {name: c.get_default("handler") for name, c in commands.items()} == HANDLERS
    for target in HANDLERS.values():
        assert callable(resolve(target)), target
