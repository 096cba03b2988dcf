"""What a Sensor creates is what the plan program's validate phase accepts: the two ends of the
webhook path. The program runs as its pod would; the phases after validate are not reached (its
Azure phase stood in for, no module to plan), so only validate's verdict counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from events.objects import kind_sensor
from events.render import event_from_text, render
from idp.catalog import DEFAULT_CATALOG
from idp.image import LOCAL_STUB_ENV
from idp.settings import Settings
from workflows.steps.request import argument_env

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "requests"


def validate_step(
    kind: str, arguments: dict[str, str], tmp: Path
) -> subprocess.CompletedProcess[str]:
    """Run the plan program as its pod would, with the arguments as the template passes them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env["IDP_REQUEST"] = arguments["request"]
    env[LOCAL_STUB_ENV] = "preflight"
    env.update({argument_env(k): v for k, v in arguments.items() if k != "request"})
    command = [sys.executable, "-m", "workflows.steps", "plan", "--kind", kind, "--backend"]
    command += ["local", "--module", str(tmp / "none"), "--work", str(tmp), "--out", str(tmp)]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def validated(result: subprocess.CompletedProcess[str]) -> bool:
    """Whether the validate phase passed (the program then stops at the plan phase here)."""
    return "\nvalidate: valid " in f"\n{result.stdout}" and "failed at plan:" in result.stderr


@pytest.mark.parametrize("kind", sorted(DEFAULT_CATALOG))
def test_the_workflow_a_sensor_creates_passes_the_validate_phase(
    kind: str, settings: Settings, tmp_path: Path
) -> None:
    text = (EXAMPLES / f"{kind}.json").read_text()
    workflow = render(kind_sensor(DEFAULT_CATALOG[kind], settings), event_from_text(text))
    arguments = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
    result = validate_step(kind, arguments, tmp_path)
    assert validated(result), result.stderr


def test_a_hand_made_workflow_whose_arguments_contradict_the_request_fails(
    settings: Settings, tmp_path: Path
) -> None:
    text = (EXAMPLES / "compute.json").read_text()
    workflow = render(kind_sensor(DEFAULT_CATALOG["compute"], settings), event_from_text(text))
    arguments = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
    arguments["name"] = "someone-else"
    result = validate_step("compute", arguments, tmp_path)
    assert result.returncode == 2
    assert (
        "failed at validate: argument name: 'someone-else' differs from the request's "
        "'web-frontend'" in result.stderr
    )
