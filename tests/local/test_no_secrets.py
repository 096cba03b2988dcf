"""No sensitive value leaves in clear: every artifact, log, parameter and notice of a run
that plans against a stack whose state holds one is searched for it.

The fixture compute module's `admin_token` output is sensitive; on a second run of the same
stack Terraform's plan carries it (as `prior_state` and as a value that does not change), so the
plan's JSON and text, the report and the notices would all have it without the redaction.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.local.conftest import LocalPlatform, Run, example

# Each test runs idp local with the real step programs and checkov: slow (-m 'not slow').
pytestmark = pytest.mark.slow


def secret_of(platform: LocalPlatform, name: str) -> str:
    state = json.loads((platform.tmp / "state" / "compute" / "dev" / f"{name}.tfstate").read_text())
    return str(state["outputs"]["admin_token"]["value"])


def published_files(run_dir: Path) -> list[Path]:
    """What a run leaves that others can read: artifacts and logs (not the pods' scratch)."""
    return [
        p
        for folder in ("artifacts", "logs")
        for p in sorted((run_dir / folder).rglob("*"))
        if p.is_file()
    ]


def second_run(platform: LocalPlatform) -> tuple[str, Run]:
    platform.run("compute", example("compute", name="keeps-a-secret"), policy=True)
    secret = secret_of(platform, "keeps-a-secret")
    run = platform.run(
        "compute", example("compute", name="keeps-a-secret", node_count=4), policy=True
    )
    assert run.outcome == "succeeded"
    return secret, run


def test_no_artifact_or_log_of_a_plan_with_a_sensitive_value_holds_it(
    platform: LocalPlatform,
) -> None:
    secret, _ = second_run(platform)
    files = published_files(platform.tmp / "run-2")
    names = {p.name for p in files}  # the local artifact store keeps each file as it was made
    assert {"plan-json.tgz", "plan-text.tgz", "terraform-outputs.tgz", "report.tgz"} <= names
    assert [p.name for p in files if secret.encode() in p.read_bytes()] == []


def test_no_parameter_output_or_notice_holds_the_sensitive_value(platform: LocalPlatform) -> None:
    secret, run = second_run(platform)
    assert secret not in json.dumps(run.workflow)
    assert secret not in json.dumps(platform.notices())
