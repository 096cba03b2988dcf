"""A request cannot carry `$`: Kubernetes expands `$(VAR)` in a pod's env values against the
container's other variables (kubelet `makeEnvironmentVariables`), and the steps get the request
in their env (IDP_REQUEST, IDP_ARG_*) beside the platform's Secret (envFrom)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "requests"
STEALS_THE_SECRET = "$(AZURE_CLIENT_SECRET)"


def written(tmp_path: Path, requester_name: str) -> str:
    body = {**json.loads((EXAMPLES / "compute.json").read_text()), "requester_name": requester_name}
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body))
    return str(path)


def test_validate_refuses_a_name_that_expands_a_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "compute", written(tmp_path, STEALS_THE_SECRET)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "requester_name: Value error, must not contain" in line
    assert "'$' (Kubernetes expands $(VAR) in a pod's environment)" in line


def test_the_sensor_drops_a_name_that_expands_a_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", "compute", written(tmp_path, STEALS_THE_SECRET)]) == 3
    assert "dropped by compute's sensor: filter body.requester_name" in capsys.readouterr().err


def test_the_sensor_drops_a_dollar_written_as_an_escape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # json.dumps(ensure_ascii) keeps `$`; written as \u0024 the filter still reads it decoded
    path = Path(written(tmp_path, "x"))
    path.write_text(path.read_text().replace('"x"', '"\\u0024(AZURE_CLIENT_SECRET)"'))
    assert main(["render", "compute", str(path)]) == 3
    assert "filter body.requester_name" in capsys.readouterr().err
