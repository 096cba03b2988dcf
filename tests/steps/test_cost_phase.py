"""The plan program's cost phase, run as a pod runs it, on the compute fixture module.

The program prices its plan (the fixture module's `terraform_data` stand-ins) against the fake
Azure Retail Prices API, writes the `cost` output (one line) and `cost.json`, and ends with exit
4 over the environment's `max_monthly_cost`, before any plan is saved for approval. Preflight
and policy are stood in for (`IDP_LOCAL_STUB_PHASES`, honoured with the local backend): they need
Azure and checkov, which other tests cover. Amounts are the recorded prices, written out.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.prices import FakePrices, fake_prices
from tests.steps.conftest import Steps, compute_request, passed, recorded

# Each test runs the plan program with real Terraform: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

H = 730  # hours a month
# compute_request(): 2 nodes of Standard_D2s_v5 in eastus and their 128 GiB P10 OS disks
TWO_NODES = 2 * 0.096 * H + 2 * 19.71
SHOWN = f"${TWO_NODES:,.2f}"  # $179.58
PRICED = f"+{SHOWN}/month (from $0.00 to {SHOWN})"
EXIT_COST = 4  # workflows.steps.errors.EXIT_COST


@pytest.fixture
def prices() -> Iterator[FakePrices]:
    with fake_prices() as fake:
        yield fake


def plan(
    steps: Steps,
    out: str,
    prices: FakePrices | str,
    request: dict[str, Any] | None = None,
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """The plan program into OUT, asking `prices` (a fake, or a URL), with `settings` as IDP_*
    variables; preflight and policy stood in for."""
    env = {
        "IDP_LOCAL_STUB_PHASES": "preflight,policy",
        "IDP_PRICES_URL": prices if isinstance(prices, str) else prices.url,
        **{f"IDP_{name.upper()}": value for name, value in settings.items()},
    }
    return steps.run(
        "plan", *steps.stack(out), "--out", str(steps.out(out)), request=request, env=env
    )


def output(steps: Steps, out: str, name: str) -> str:
    return (steps.out(out) / name).read_text()


def cost_json(steps: Steps, out: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(output(steps, out, "cost.json"))
    return found


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/retail/prices"


def test_the_plan_publishes_its_cost_in_one_line(steps: Steps, prices: FakePrices) -> None:
    passed(plan(steps, "plan", prices))
    assert output(steps, "plan", "cost") == PRICED
    assert f"cost: {PRICED}" in output(steps, "plan", "phases").splitlines()


def test_the_cost_report_prices_each_resource_of_the_plan(steps: Steps, prices: FakePrices) -> None:
    passed(plan(steps, "plan", prices))
    report = cost_json(steps, "plan")
    assert (report["status"], report["before"], report["after"]) == ("ok", 0.0, round(TWO_NODES, 2))
    assert [(r["address"], r["type"], r["action"]) for r in report["resources"]] == [
        ("terraform_data.cluster", "azurerm_kubernetes_cluster", "create"),
        ("terraform_data.resource_group", "terraform_data", "create"),
    ]
    assert report["unpriced"] == []


def test_the_price_service_is_asked_for_the_requests_size_and_region(
    steps: Steps, prices: FakePrices
) -> None:
    passed(plan(steps, "plan", prices, compute_request(vm_size="Standard_D4s_v5")))
    assert (
        "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and "
        "armSkuName eq 'Standard_D4s_v5' and priceType eq 'Consumption'"
    ) in prices.queries


def test_over_max_monthly_cost_the_program_stops_at_cost_with_exit_4(
    steps: Steps, prices: FakePrices
) -> None:
    result = plan(steps, "plan", prices, max_monthly_cost="100")
    assert result.returncode == EXIT_COST
    assert result.stderr.strip().splitlines()[-1] == (
        "plan: failed at cost: over budget: the estimated monthly cost after the change, "
        f"{SHOWN}, is over max_monthly_cost $100.00"
    )


def test_a_blocked_plan_still_publishes_its_cost_and_saves_no_plan(
    steps: Steps, prices: FakePrices
) -> None:
    plan(steps, "plan", prices, max_monthly_cost="100")
    assert output(steps, "plan", "cost") == PRICED
    assert not (steps.out("plan") / "next").exists()
    assert not steps.saved_plan("plan").exists()


def test_an_environments_limit_applies_to_that_environment_only(
    steps: Steps, prices: FakePrices
) -> None:
    limits = json.dumps({"prod": {"max_monthly_cost": 100}})
    in_dev = plan(steps, "dev", prices, environments=limits)
    in_prod = plan(steps, "prod", prices, compute_request(environment="prod"), environments=limits)
    assert (in_dev.returncode, in_prod.returncode) == (0, EXIT_COST)


def test_at_or_under_the_limit_the_plan_waits_for_approval(
    steps: Steps, prices: FakePrices
) -> None:
    passed(plan(steps, "plan", prices, max_monthly_cost=f"{TWO_NODES:.2f}"))
    assert output(steps, "plan", "next") == "approve"
    assert steps.saved_plan("plan").exists()


def test_a_price_service_that_is_down_blocks_nothing(steps: Steps) -> None:
    passed(plan(steps, "plan", closed_port(), max_monthly_cost="1"))
    assert output(steps, "plan", "cost") == (
        "unknown: the price service: unreachable (ConnectionError)"
    )
    assert cost_json(steps, "plan")["status"] == "unknown"
    assert output(steps, "plan", "next") == "approve"


def test_a_price_service_answering_errors_blocks_nothing(steps: Steps, prices: FakePrices) -> None:
    prices.statuses = [503] * 5
    passed(plan(steps, "plan", prices, max_monthly_cost="1"))
    assert output(steps, "plan", "cost") == "unknown: the price service: HTTP 503"


def test_a_plan_without_changes_prices_nothing(steps: Steps, prices: FakePrices) -> None:
    never_made = compute_request(action="destroy")
    passed(plan(steps, "plan", prices, never_made, max_monthly_cost="1"))
    assert output(steps, "plan", "cost") == ""
    assert cost_json(steps, "plan") == {"status": "skipped", "reason": "the plan has no changes"}
    assert prices.requests == 0


def test_a_stubbed_cost_phase_asks_nothing_and_says_so(steps: Steps, prices: FakePrices) -> None:
    result = steps.run(
        "plan",
        *steps.stack("plan"),
        "--out",
        str(steps.out("plan")),
        env={"IDP_LOCAL_STUB_PHASES": "preflight,policy,cost", "IDP_PRICES_URL": prices.url},
    )
    passed(result)
    assert output(steps, "plan", "cost") == ""
    assert cost_json(steps, "plan") == {"status": "skipped", "reason": "stubbed by idp local"}
    assert prices.requests == 0


def test_a_destroy_shows_the_saving_and_is_never_over_the_limit(
    steps: Steps, prices: FakePrices
) -> None:
    passed(plan(steps, "first", prices))
    stub = {"IDP_LOCAL_STUB_PHASES": "verify"}
    applied = steps.run(
        "apply",
        *steps.stack("apply-pod"),
        "--out",
        str(steps.out("applied")),
        "--sha256",
        steps.sha256("first"),
        "--next",
        "approve",
        "--approval",
        "YES",
        *recorded("lee.at.example.com"),
        env=stub,
    )
    passed(applied)
    result = plan(steps, "gone", prices, compute_request(action="destroy"), max_monthly_cost="1")
    passed(result)
    assert output(steps, "gone", "cost") == f"-{SHOWN}/month (from {SHOWN} to $0.00)"
