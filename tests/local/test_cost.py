"""The cost of a change, through `idp local`: the plan step prices the fixture modules' plans
(their `terraform_data` stand-ins, workflows/steps/cost/plan.py) against the fake Azure Retail
Prices API (tests/fakes/prices.py, serving tests/fixtures/prices/retail-prices.json), shows the
estimate on the approval node and in the notices, and ends a run over `max_monthly_cost`
`cost-blocked` before anyone is asked. A price service that is down, slow or answering nonsense
changes no outcome: the cost says "unknown" and why.

Expected amounts are the recorded retail prices times 730 hours, GiB or instances, written out.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from tests.local.conftest import KINDS, LocalPlatform, Run, example
from workflows.steps.cost.prices import DEADLINE_SECONDS

# Each test runs `idp local` with the real step programs: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

H = 730  # hours a month
# What each kind's example request costs a month, by the recorded meters:
MONTHLY = {
    # 3 nodes of Standard_D2s_v5 in westeurope and their 128 GiB P10 OS disks (AKS's default)
    "compute": 3 * 0.111 * H + 3 * 21.68,
    # a 250 GiB transaction-optimized share in a Standard_ZRS account in northeurope
    "storage": 250 * 0.075,
    # a B_Standard_B1ms PostgreSQL flexible server in eastus2 and its 128 GiB of storage
    "database": 0.0207 * H + 128 * 0.115,
}
LIMIT = 10.0  # US dollars a month: under every example's cost


def money(amount: float) -> str:
    return f"${amount:,.2f}"


def priced(kind: str) -> str:
    """The one-line estimate of creating the kind's example."""
    return f"+{money(MONTHLY[kind])}/month (from $0.00 to {money(MONTHLY[kind])})"


def shown_for_approval(run: Run) -> dict[str, Any]:
    node = run.node("approve")
    assert node is not None, "the run never reached the approval"
    return {p["name"]: p.get("value") for p in node["inputs"]["parameters"]}


def notice(platform: LocalPlatform, phase: str) -> dict[str, Any]:
    (found,) = [n for n in platform.notices() if n["phase"] == phase]
    return found


def asked_nobody(run: Run, platform: LocalPlatform) -> None:
    for task in ("notify-approvers", "approve", "apply"):
        node = run.node(task)
        assert node is None or node["phase"] in ("Skipped", "Omitted"), (task, node)
    assert [n["phase"] for n in platform.notices() if n["phase"] == "awaiting-approval"] == []


def closed_port() -> str:
    """The price service's URL on a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/retail/prices"


# -- a run that is asked shows the cost


@pytest.mark.parametrize("kind", KINDS)
def test_a_run_shows_the_cost_on_the_approval_node_and_in_both_notices(
    platform: LocalPlatform, kind: str
) -> None:
    run = platform.run(kind, example(kind, name="priced"))

    assert (run.phase, run.outcome) == ("Succeeded", "succeeded")
    assert shown_for_approval(run)["cost"] == priced(kind)
    assert notice(platform, "awaiting-approval")["cost"] == priced(kind)
    assert notice(platform, "succeeded")["cost"] == priced(kind)
    assert platform.prices.queries, "the plan step never asked the price service"


def test_the_cost_report_prices_each_resource(platform: LocalPlatform) -> None:
    run = platform.run("storage", example("storage", name="priced"))

    # the plan step's cost.json, kept as its cost-report artifact (as the local runner keeps one)
    (report,) = platform.tmp.glob(f"run-{platform.runs}/artifacts/*/*-plan-*/cost-report.tgz")
    estimate = json.loads(report.read_text())
    share = round(MONTHLY["storage"], 2)
    assert (estimate["status"], estimate["after"]) == ("ok", share)
    assert [(r["address"], r["type"], r["after"]) for r in estimate["resources"]] == [
        ("terraform_data.account", "azurerm_storage_account", 0.0),
        ("terraform_data.account.input.share", "azurerm_storage_share", share),
        ("terraform_data.resource_group", "terraform_data", 0.0),
    ]
    assert run.outcome == "succeeded"


# -- over max_monthly_cost: cost-blocked, nobody asked


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_over_max_monthly_cost_is_blocked_before_anyone_is_asked(
    platform: LocalPlatform, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv("IDP_MAX_MONTHLY_COST", str(LIMIT))
    run = platform.run(kind, example(kind, name="too-dear"))

    assert (run.phase, run.outcome) == ("Failed", "cost-blocked")
    assert run.output("reason") == (
        f"over budget: the estimated monthly cost after the change, {money(MONTHLY[kind])}, "
        f"is over max_monthly_cost {money(LIMIT)}"
    )
    asked_nobody(run, platform)
    final = notice(platform, "cost-blocked")
    assert (final["reason"], final["cost"]) == (run.output("reason"), priced(kind))


def test_a_blocked_change_leaves_nothing_beside_the_state(
    platform: LocalPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDP_MAX_MONTHLY_COST", str(LIMIT))
    request = example("database", name="too-dear")
    platform.run("database", request)

    stack = platform.tmp / "state" / "database" / request["environment"]
    assert list(stack.glob("too-dear.plans/*")) == []
    assert platform.arm.resources() == []


def test_an_environments_own_limit_overrides_the_top_level_one(
    platform: LocalPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDP_MAX_MONTHLY_COST", "1000")
    monkeypatch.setenv("IDP_ENVIRONMENTS", json.dumps({"dev": {"max_monthly_cost": 100}}))
    run = platform.run("compute", example("compute", name="dev-limit"))  # dev, 308.13

    assert (run.phase, run.outcome) == ("Failed", "cost-blocked")
    assert (run.output("reason") or "").endswith("is over max_monthly_cost $100.00")
    asked_nobody(run, platform)


# -- a price service that gives no usable answer changes no outcome


@pytest.mark.parametrize("kind", KINDS)
def test_a_price_service_that_is_down_changes_no_outcome_even_under_a_limit(
    platform: LocalPlatform, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv("IDP_PRICES_URL", closed_port())
    monkeypatch.setenv("IDP_MAX_MONTHLY_COST", str(LIMIT))
    run = platform.run(kind, example(kind, name="unpriced"))

    unknown = "unknown: the price service: unreachable (ConnectionError)"
    assert (run.phase, run.outcome) == ("Succeeded", "succeeded")
    assert shown_for_approval(run)["cost"] == unknown
    assert notice(platform, "succeeded")["cost"] == unknown


def test_a_price_service_answering_nonsense_changes_no_outcome(platform: LocalPlatform) -> None:
    platform.prices.raw = b"<html>Service Unavailable</html>"
    run = platform.run("database", example("database", name="unpriced"))

    unknown = "unknown: the price service: an answer that is not JSON"
    assert run.outcome == "succeeded"
    assert shown_for_approval(run)["cost"] == unknown
    assert notice(platform, "awaiting-approval")["cost"] == unknown


@pytest.mark.slow
def test_a_slow_price_service_changes_no_outcome(platform: LocalPlatform) -> None:
    # Slow on purpose: no setting lowers the estimator's deadline (DEADLINE_SECONDS, 10 s), so
    # this run waits it out once (about 10 s more than a run that is priced).
    platform.prices.delay = DEADLINE_SECONDS + 20
    run = platform.run("compute", example("compute", name="unpriced"))

    assert run.outcome == "succeeded"
    assert shown_for_approval(run)["cost"] == (
        f"unknown: the price service: no complete answer within {DEADLINE_SECONDS:g} s "
        "(all questions together)"
    )
    assert platform.prices.requests == 1  # given up on, not asked again
