"""Runs `idp local` as a user does, with Azure, the callback and the Azure Retail Prices API
answered at the network boundary by local fakes, and the fixture Terraform modules (one per
kind, built-in provider).

`LocalPlatform.run` calls the real command line in this process (`idp local KIND FILE ... -o
json`): it compiles, renders the body as the Sensor would, runs every step program as its own
process with real Terraform, and returns the finished Workflow it printed. The settings the
pods see come, as on a cluster, from the compiled ConfigMap: the Azure CLI's login (a fake `az`
on PATH), the fake Resource Manager's URL (trusted through REQUESTS_CA_BUNDLE) and the fake
callback's URL.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from idp.cli import main
from tests.fakes.azure import SUBSCRIPTION, FakeArm, fake_arm, write_az
from tests.fakes.callback import Callback, running_callback
from tests.fakes.prices import FakePrices, fake_prices

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "tests" / "fixtures" / "terraform"
POLICIES = ROOT / "tests" / "fixtures" / "policies"
KINDS = ("compute", "storage", "database")
APPROVER = "lee.reviewer@example.com"  # someone other than every example's requester
_MACHINE_PREFIXES = ("IDP_", "AZURE_", "ARM_")
# Switches of the test run itself, not settings: where the official schemas are, and whether
# they must be there.
_TEST_SWITCHES = ("IDP_UPSTREAM_SCHEMAS", "IDP_REQUIRE_UPSTREAM_SCHEMAS")


def example(kind: str, **changes: Any) -> dict[str, Any]:
    """The kind's example request, with `changes`; `name` and `request_id` given per test."""
    request: dict[str, Any] = json.loads(
        (ROOT / "examples" / "requests" / f"{kind}.json").read_text()
    )
    request.update(changes)
    return request


@dataclass
class Run:
    """What `idp local` printed and returned."""

    code: int
    workflow: dict[str, Any]
    log: str

    @property
    def phase(self) -> str:
        return str(self.workflow["status"]["phase"])

    @property
    def message(self) -> str:
        return str(self.workflow["status"].get("message", ""))

    def output(self, name: str) -> str | None:
        for item in (self.workflow["status"].get("outputs") or {}).get("parameters") or []:
            if item["name"] == name:
                return None if item.get("value") is None else str(item["value"])
        return None

    @property
    def outcome(self) -> str | None:
        return self.output("outcome")

    def node(self, task: str) -> dict[str, Any] | None:
        """The node of a DAG task (its retry parent when it has one), by task name."""
        name = self.workflow["metadata"]["name"]
        for node in self.workflow["status"]["nodes"].values():
            if node["name"] == f"{name}.{task}":
                return dict(node)
        return None

    def found(self, task: str) -> dict[str, str]:
        """What each phase of the task's program found (its `phases` output), by phase; empty
        when the task ran no program."""
        node = self.node(task)
        if node is None:
            return {}
        nodes = self.workflow["status"]["nodes"]
        attempts = [nodes[c] for c in node.get("children") or [] if nodes[c]["type"] == "Pod"]
        shown = attempts[-1] if node["type"] == "Retry" and attempts else node
        for parameter in (shown.get("outputs") or {}).get("parameters") or []:
            if parameter["name"] == "phases":
                lines = str(parameter.get("value") or "").splitlines()
                return dict(line.split(": ", 1) for line in lines if ": " in line)
        return {}

    @property
    def applied(self) -> bool:
        """Whether the apply program applied a plan (not only decided not to)."""
        return "apply" in self.found("apply")

    def ran(self, task: str) -> bool:
        """Whether a step process (or a suspend) ran for the task."""
        node = self.node(task)
        return node is not None and node["phase"] not in ("Skipped", "Omitted")

    def phases(self) -> dict[str, str]:
        name = self.workflow["metadata"]["name"]
        return {
            n["name"][len(name) + 1 :]: n["phase"]
            for n in self.workflow["status"]["nodes"].values()
            if n["name"].count(".") == 1 and n["name"].startswith(name + ".")
        }


@dataclass
class LocalPlatform:
    """One machine's platform: the fakes, the folders, and a way to run requests."""

    tmp: Path
    arm: FakeArm
    callback: Callback
    prices: FakePrices
    runs: int = 0

    def run(
        self,
        kind: str,
        request: dict[str, Any],
        *,
        approve: str | None = "YES",
        approver: str | None = APPROVER,
        stubs: tuple[str, ...] = (),
        extra: tuple[str, ...] = (),
        policy: bool = False,
    ) -> Run:
        """`idp local KIND BODY`: the policy phase (checkov, seconds a run) is stood in for
        unless the test is about policy (`policy=True`)."""
        if not policy:
            stubs = (*stubs, "policy=Succeeded")
        self.runs += 1
        body = self.tmp / f"request-{self.runs}.json"
        body.write_text(json.dumps(request))
        argv = [
            "local",
            kind,
            str(body),
            *self._shared_options(),
            *(["--approve", approve] if approve is not None else []),
            *(["--as", approver] if approver is not None else []),
            *(arg for stub in stubs for arg in ("--stub", stub)),
            *extra,
        ]
        return self._main(argv)

    def cron(self, name: str, at: str, *, extra: tuple[str, ...] = ()) -> Run:
        """`idp local-cron NAME --at AT` on the same state folder as `run`."""
        self.runs += 1
        return self._main(["local-cron", name, "--at", at, *self._shared_options(), *extra])

    def _shared_options(self) -> list[str]:
        """What `idp local` and `idp local-cron` take alike: this platform's folders, JSON out."""
        return [
            "--modules",
            str(MODULES),
            "--policies",
            str(POLICIES),
            "--state-dir",
            str(self.tmp / "state"),
            "--run-dir",
            str(self.tmp / f"run-{self.runs}"),
            "-o",
            "json",
        ]

    def _main(self, argv: list[str]) -> Run:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        printed = out.getvalue()
        workflow = json.loads(printed) if printed else {}
        return Run(code, workflow, err.getvalue())

    def notices(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(body) for _, body in self.callback.received]


@pytest.fixture
def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalPlatform]:
    for name in list(os.environ):
        if name.startswith(_MACHINE_PREFIXES) and name not in _TEST_SWITCHES:
            monkeypatch.delenv(name)
    bin_dir = write_az(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with (
        fake_arm(tmp_path / "state", tmp_path) as arm,
        running_callback() as callback,
        fake_prices() as prices,
    ):
        monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(arm.ca_bundle))
        monkeypatch.setenv("IDP_AZURE_AUTH", "azure-cli")
        monkeypatch.setenv("IDP_AZURE_RESOURCE_MANAGER", arm.url)
        monkeypatch.setenv("IDP_CALLBACK_URL", callback.url)
        monkeypatch.setenv("IDP_ARGO_UI_URL", "https://argo.example.test")
        monkeypatch.setenv("IDP_PRICES_URL", prices.url)
        yield LocalPlatform(tmp_path, arm, callback, prices)
