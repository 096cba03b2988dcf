"""Fixtures of the step-program tests: a request, the fixture module, the program as a pod runs it.

The program runs as a subprocess (`sys.executable -m workflows.steps ...`) with the request in
`IDP_REQUEST` and an environment cleaned of the machine's IDP_*, AZURE_* and ARM_* variables.
Terraform state lives in the test's temporary folder (`--backend local`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_MODULE = ROOT / "tests" / "fixtures" / "terraform" / "compute"
_MACHINE_PREFIXES = ("IDP_", "AZURE_", "ARM_")
# Someone other than the requester, as the Argo Server's actor-email label records them.
APPROVER_LABEL = "lee.at.example.com"


def recorded(email: str) -> list[str]:
    """The `--labels` argument of a Workflow the Argo Server labelled with `email` as the one
    who answered (already in the form it records e-mails)."""
    labels = {"app.kubernetes.io/part-of": "idp", "workflows.argoproj.io/actor-email": email}
    return ["--labels", json.dumps(labels)]


def compute_request(**changes: Any) -> dict[str, Any]:
    """A valid compute request; keyword arguments replace (or add) fields."""
    request: dict[str, Any] = {
        "request_id": "0f8e2c1a-5b7d-4c3e-9a10-2b4c6d8e0f12",
        "name": "demo",
        "environment": "dev",
        "region": "eastus",
        "resource_type": "kubernetes",
        "requester_name": "Ann Example",
        "requester_email": "ann@example.com",
        "node_count": 2,
    }
    request.update(changes)
    return request


def clean_environment() -> dict[str, str]:
    """The machine's environment without settings or Azure credentials."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_MACHINE_PREFIXES)}


@dataclass
class Steps:
    """Runs the step program in a temporary folder, as the WorkflowTemplate's pods do."""

    tmp: Path
    env: dict[str, str]

    def run(
        self,
        *args: str,
        request: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`python -m workflows.steps ARGS` with IDP_REQUEST = `request` (compute by default)."""
        full = dict(self.env)
        full["IDP_REQUEST"] = json.dumps(compute_request() if request is None else request)
        full.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "workflows.steps", *args],
            cwd=self.tmp,
            env=full,
            capture_output=True,
            text=True,
            check=False,
        )

    def stack(self, work: str, *, module: Path = FIXTURE_MODULE) -> list[str]:
        """The options of a Terraform command: fixture module, local state, a work folder."""
        return [
            "--kind",
            "compute",
            "--module",
            str(module),
            "--work",
            str(self.tmp / work),
            "--backend",
            "local",
            "--state-dir",
            str(self.tmp / "state"),
        ]

    def out(self, name: str) -> Path:
        """An output folder of this test."""
        return self.tmp / name

    def plan(
        self, out: str, *, request: Mapping[str, Any] | None = None, work: str = "plan-pod"
    ) -> subprocess.CompletedProcess[str]:
        """The plan step into OUT."""
        return self.run("plan", *self.stack(work), "--out", str(self.out(out)), request=request)

    def apply(
        self,
        out: str,
        *,
        work: str = "apply-pod",
        module: Path = FIXTURE_MODULE,
        env: Mapping[str, str] | None = None,
        request: Mapping[str, Any] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """The apply step of the plan in OUT with the sha256 the plan step wrote, approved with
        YES by someone other than the requester (tamper with `saved_plan` to test the guards)."""
        return self.run(
            "apply",
            *self.stack(work, module=module),
            "--sha256",
            self.sha256(out),
            "--approval",
            "YES",
            *recorded(APPROVER_LABEL),
            env=env,
            request=request,
        )

    def sha256(self, out: str) -> str:
        return (self.out(out) / "sha256").read_text()

    def saved_plan(self, out: str, environment: str = "dev", name: str = "demo") -> Path:
        """Where the plan of OUT waits for its approval: beside the stack's state."""
        folder = self.tmp / "state" / "compute" / environment / f"{name}.plans"
        return folder / f"{self.sha256(out)}.tfplan"

    def state(self, environment: str = "dev", name: str = "demo") -> dict[str, Any]:
        """The local Terraform state of the stack (empty when never written)."""
        path = self.tmp / "state" / "compute" / environment / f"{name}.tfstate"
        if not path.exists():
            return {}
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded


def passed(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """`result`, after asserting the step exited 0 (showing its stderr otherwise)."""
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def steps(tmp_path: Path) -> Steps:
    return Steps(tmp_path, clean_environment())


@pytest.fixture
def applied(steps: Steps) -> Steps:
    """A stack planned and applied from the fixture module (two resources in the state)."""
    passed(steps.plan("first-plan"))
    passed(steps.apply("first-plan"))
    return steps


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    """In-process runs add Azure variables to os.environ (as the pod's process does): undo it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
