"""Every line a failure prints is printable (`idp.text`): a key of a request file, a key of a
settings file, an unknown argument, or a value a step program refuses cannot send an escape
sequence to the terminal (`\\x1b]0;X\\x07` would retitle it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp.cli import main
from idp.errors import EXIT_INVALID, EXIT_SETTINGS, EXIT_USAGE
from tests.steps.conftest import Steps, compute_request, pod_environment

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "requests"
RETITLE = "a\x1b]0;X\x07b"  # OSC 0: set the window title to X
SHOWN = "a\\x1b]0;X\\x07b"


def printed(text: str) -> str:
    assert "\x1b" not in text
    assert "\x07" not in text
    return text


def test_validate_escapes_a_hostile_key_of_the_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = json.loads((EXAMPLES / "compute.json").read_text())
    request[RETITLE] = 1
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request))
    assert main(["validate", "compute", str(path)]) == EXIT_INVALID
    assert SHOWN in printed(capsys.readouterr().err)


def test_a_hostile_key_of_the_settings_is_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text(json.dumps({RETITLE: 1}))
    assert main(["--config", str(config), "schema", "compute"]) == EXIT_SETTINGS
    shown = printed(capsys.readouterr().err)
    assert shown.startswith("idp: ")
    assert SHOWN in shown


def test_an_unknown_argument_is_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["schema", "compute", RETITLE])
    assert exited.value.code == EXIT_USAGE
    assert SHOWN in printed(capsys.readouterr().err)


def test_a_step_program_escapes_a_hostile_key_of_the_request(tmp_path: Path) -> None:
    request = {**compute_request(), RETITLE: 1}
    result = Steps(tmp_path, pod_environment()).plan("plan", request=request)
    assert result.returncode == EXIT_INVALID
    assert result.stderr.startswith("plan: failed at validate: request: ")
    assert SHOWN in printed(result.stderr)
