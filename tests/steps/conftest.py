"""Fixtures of the step-program tests: a request, the fixture module, the programs as pods run them.

The programs run as subprocesses (`sys.executable -m workflows.steps ...`) with the request in
`IDP_REQUEST` and an environment cleaned of the machine's IDP_*, AZURE_* and ARM_* variables.
Terraform is the real binary on the fixture module; its state lives in the test's temporary
folder (`--backend local`), and so do the saved plans and the registry beside it.

As `idp local` does, the programs get `IDP_LOCAL_STUB_PHASES`, which stands in for the phases
that reach outside: preflight and verify (Azure), policy (checkov) and cost (the price
service). A test about Azure asks for the `arm` fixture, which answers them with a fake
Resource Manager; a test about policy runs the plan with `stub=AZURE` and the real checkov.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from idp.image import LOCAL_STUB_ENV
from tests.argo.fake_webhook import FakeWebhook, serving
from tests.fakes.azure import SUBSCRIPTION, FakeArm, fake_arm, write_az
from tests.fakes.callback import Callback, running_callback

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_MODULE = ROOT / "tests" / "fixtures" / "terraform" / "compute"
_MACHINE_PREFIXES = ("IDP_", "AZURE_", "ARM_")
# Someone other than the requester, as the Argo Server's actor-email label records them.
APPROVER_LABEL = "lee.at.example.com"
# What the programs stand in for unless a test says otherwise: everything that reaches outside.
OUTSIDE = "preflight,policy,cost,verify"
# Only Azure's phases: the policy phase runs the real checkov.
AZURE = "preflight,verify"
# Only checkov's phase: preflight and verify talk to the fake Resource Manager (`arm`).
CHECKOV = "policy"


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


def pod_environment() -> dict[str, str]:
    """What the programs get here: a clean environment, and the phases that reach outside
    stood in for, as `idp local` stands in for them."""
    return {**clean_environment(), LOCAL_STUB_ENV: OUTSIDE}


@dataclass
class Steps:
    """Runs the step programs in a temporary folder, as the WorkflowTemplate's pods do."""

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
        self,
        out: str,
        *args: str,
        request: Mapping[str, Any] | None = None,
        work: str = "plan-pod",
        module: Path = FIXTURE_MODULE,
        stub: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """The plan program into OUT; `stub` replaces the phases stood in for (None: what
        the test's environment says, OUTSIDE unless `arm` changed it; "": none)."""
        return self.run(
            "plan",
            *self.stack(work, module=module),
            "--out",
            str(self.out(out)),
            *args,
            request=request,
            env=self._with_stub(stub, env),
        )

    def apply(
        self,
        out: str,
        *args: str,
        work: str = "apply-pod",
        module: Path = FIXTURE_MODULE,
        request: Mapping[str, Any] | None = None,
        approval: str = "YES",
        following: str = "approve",
        labels: Sequence[str] | None = None,
        stub: str | None = None,
        env: Mapping[str, str] | None = None,
        into: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """The apply program of the plan in OUT with the sha256 it published, `--next
        following` (the plan's `next` after a person was asked) and the answer YES by someone
        other than the requester; outputs into INTO (default OUT-applied). Tamper with
        `saved_plan` to test the guards."""
        return self.run(
            "apply",
            *self.stack(work, module=module),
            "--out",
            str(self.out(into or f"{out}-applied")),
            "--sha256",
            self.sha256(out),
            "--next",
            following,
            "--approval",
            approval,
            *(recorded(APPROVER_LABEL) if labels is None else labels),
            *args,
            request=request,
            env=self._with_stub(stub, env),
        )

    def _with_stub(self, stub: str | None, env: Mapping[str, str] | None) -> dict[str, str]:
        return {**({} if stub is None else {LOCAL_STUB_ENV: stub}), **(env or {})}

    def sha256(self, out: str) -> str:
        return (self.out(out) / "sha256").read_text()

    def output(self, out: str, name: str) -> str:
        """One output file of OUT."""
        return (self.out(out) / name).read_text()

    def saved_plan(self, out: str, environment: str = "dev", name: str = "demo") -> Path:
        """Where the plan of OUT waits for its approval: beside the stack's state."""
        return self.plans(environment, name) / f"{self.sha256(out)}.tfplan"

    def plans(self, environment: str = "dev", name: str = "demo") -> Path:
        """The folder of the stack's saved plans."""
        return self.tmp / "state" / "compute" / environment / f"{name}.plans"

    def state_file(self, environment: str = "dev", name: str = "demo") -> Path:
        return self.tmp / "state" / "compute" / environment / f"{name}.tfstate"

    def entry_file(self, environment: str = "dev", name: str = "demo") -> Path:
        """The stack's registry entry, beside its state."""
        return self.tmp / "state" / "compute" / environment / f"{name}.stack.json"

    def state(self, environment: str = "dev", name: str = "demo") -> dict[str, Any]:
        """The local Terraform state of the stack (empty when never written)."""
        path = self.state_file(environment, name)
        if not path.exists():
            return {}
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded

    def resources(self, environment: str = "dev", name: str = "demo") -> list[str]:
        """The addresses the stack's state holds."""
        held = self.state(environment, name).get("resources") or []
        return sorted(f"{r['type']}.{r['name']}" for r in held)


def passed(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """`result`, after asserting the step exited 0 (showing its stderr otherwise)."""
    assert result.returncode == 0, result.stderr
    return result


WAIVED_IN_DEV = {
    "IDP_EXPIRY__APPROVAL_WAIVED": '["dev"]'
}  # settings: dev's reaper needs no approval


def reaped(steps: Steps) -> dict[str, Any]:
    """A stack the reaper is destroying: applied, and its registry entry records the request id
    of the destroy run the reaper started (as `workflows.steps.expiry` records it); the request
    of that destroy run."""
    passed(steps.plan("first-plan", request=compute_request(ttl_hours=1)))
    passed(steps.apply("first-plan", request=compute_request(ttl_hours=1)))
    destroy = compute_request(ttl_hours=1, action="destroy", request_id=str(uuid.uuid4()))
    entry = json.loads(steps.entry_file().read_text())
    steps.entry_file().write_text(json.dumps({**entry, "reaper_request_id": destroy["request_id"]}))
    return destroy


@pytest.fixture
def steps(tmp_path: Path) -> Steps:
    return Steps(tmp_path, pod_environment())


@pytest.fixture
def applied(steps: Steps) -> Steps:
    """A stack planned and applied from the fixture module (two resources in the state)."""
    passed(steps.plan("first-plan"))
    passed(steps.apply("first-plan"))
    return steps


@pytest.fixture
def callback() -> Iterator[Callback]:
    """The callback the notices go to, on loopback, recording each POST."""
    with running_callback() as server:
        yield server


@pytest.fixture
def webhook() -> Iterator[FakeWebhook]:
    """The platform's webhook, as the day-two steps post new runs to it."""
    with serving(FakeWebhook()) as fake:
        yield fake


@pytest.fixture
def arm(steps: Steps) -> Iterator[FakeArm]:
    """Azure for the programs: a fake Resource Manager over HTTPS and a fake `az` that hands
    out its token (every region listed, every provider registered); what exists is what the
    test's Terraform state holds. Preflight and verify run for real from here on; the policy
    phase stays stood in for."""
    with fake_arm(steps.tmp / "state", steps.tmp) as fake:
        bin_dir = write_az(steps.tmp / "bin")
        steps.env.update(
            {
                "PATH": f"{bin_dir}{os.pathsep}{steps.env['PATH']}",
                "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
                "REQUESTS_CA_BUNDLE": str(fake.ca_bundle),
                "IDP_AZURE_AUTH": "azure-cli",
                "IDP_AZURE_RESOURCE_MANAGER": fake.url,
                LOCAL_STUB_ENV: CHECKOV,
            }
        )
        yield fake


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    """In-process runs add Azure variables to os.environ (as the pod's process does): undo it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
