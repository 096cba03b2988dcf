"""The cost estimate of a plan: priced against the fake Retail Prices API, never failing a run.

Plans are small hand-made `terraform show -json` documents (tests/fixtures/plans, or built here
with `change`); prices come from the recorded meters the fake serves (tests/fakes/prices.py),
through the real client (`RetailPrices`) over HTTP. Expected amounts are the recorded prices times
730 hours, GB or instances, written out.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.prices import FakePrices, fake_prices, recorded
from workflows.steps.cost import Estimate, RetailPrices, estimate, over_budget

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
H = 730  # hours a month


@pytest.fixture
def prices() -> Iterator[FakePrices]:
    with fake_prices() as fake:
        yield fake


def fixture_plan(name: str) -> dict[str, Any]:
    plan: dict[str, Any] = json.loads((PLANS / f"{name}.json").read_text())
    return plan


def run(plan: Any, region: str, fake: FakePrices | str, **bounds: Any) -> Estimate:
    """The estimate the plan step would make, asking the fake price service."""
    url = fake if isinstance(fake, str) else fake.url
    with RetailPrices(url, **bounds) as client:
        return estimate(plan, region, client)


def change(
    address: str,
    actions: list[str],
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    after_unknown: dict[str, Any] | None = None,
    mode: str = "managed",
) -> dict[str, Any]:
    """One entry of a plan's `resource_changes`, as `terraform show -json` writes it."""
    resource_type, name = address.split("[", maxsplit=1)[0].split(".")[-2:]
    return {
        "address": address,
        "mode": mode,
        "type": resource_type,
        "name": name,
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": after_unknown or {},
            "before_sensitive": False,
            "after_sensitive": {},
        },
    }


def totals(found: Estimate) -> tuple[str, float, float]:
    """Status, before and after, in cents (a known estimate)."""
    assert found.before is not None
    assert found.after is not None
    return found.status, round(found.before, 2), round(found.after, 2)


def cents(amount: float) -> float:
    return round(amount, 2)


def plan_of(*changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "resource_changes": list(changes),
    }


def cluster(size: str = "Standard_D2s_v5", nodes: int = 3, tier: str = "Free") -> dict[str, Any]:
    """An AKS cluster's values as the compute module plans them, in westeurope."""
    return {
        "location": "westeurope",
        "sku_tier": tier,
        "default_node_pool": [
            {"name": "system", "vm_size": size, "node_count": nodes, "os_disk_type": "Managed"}
        ],
    }


AKS = "azurerm_kubernetes_cluster.this[0]"
# 3 nodes of Standard_D2s_v5 in westeurope and their 128 GiB P10 OS disks
THREE_NODES = 3 * 0.111 * H + 3 * 21.68


def aks_create(**values: Any) -> dict[str, Any]:
    return plan_of(change(AKS, ["create"], after=cluster(**values)))


def vm(size: str = "Standard_D2s_v5") -> dict[str, Any]:
    """A Linux VM's values as the compute module plans them, in eastus."""
    return {
        "location": "eastus",
        "size": size,
        "os_disk": [{"caching": "ReadWrite", "storage_account_type": "StandardSSD_LRS"}],
    }


ONE_VM = 0.096 * H + 2.40  # Standard_D2s_v5 in eastus and its 30 GiB E4 OS disk


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/retail/prices"


# -- the three kinds, priced


def test_a_kubernetes_cluster_costs_its_nodes_and_their_os_disks(prices: FakePrices) -> None:
    found = run(fixture_plan("compute-kubernetes"), "westeurope", prices)
    assert totals(found) == ("ok", 0.0, cents(THREE_NODES))
    assert found.delta == pytest.approx(THREE_NODES)


def test_a_paid_tier_cluster_also_costs_its_control_plane(prices: FakePrices) -> None:
    found = run(aks_create(tier="Standard"), "westeurope", prices)
    assert found.after == pytest.approx(THREE_NODES + 0.10 * H)


def test_a_virtual_machine_costs_its_size_and_os_disk(prices: FakePrices) -> None:
    found = run(fixture_plan("compute-vm"), "eastus", prices)
    assert totals(found) == ("ok", 0.0, cents(ONE_VM))


def test_a_file_share_costs_its_quota_at_its_accounts_redundancy(prices: FakePrices) -> None:
    found = run(fixture_plan("storage-fileshare"), "northeurope", prices)
    assert totals(found) == ("ok", 0.0, cents(250 * 0.075))
    account = next(line for line in found.lines if line.type == "azurerm_storage_account")
    assert account.free
    assert "azurerm_storage_share.this[0]" in account.detail[0]


def account(redundancy: str) -> dict[str, Any]:
    """A standard storage account's values in eastus."""
    return {
        "location": "eastus",
        "account_tier": "Standard",
        "account_replication_type": redundancy,
    }


def configuration(reference: str) -> dict[str, Any]:
    """A plan's configuration in which the share's storage_account_id refers to `reference`."""
    share = {
        "address": "azurerm_storage_share.this",
        "mode": "managed",
        "type": "azurerm_storage_share",
        "name": "this",
        "expressions": {"storage_account_id": {"references": [reference, reference[:-3]]}},
    }
    return {"root_module": {"resources": [share]}}


def test_a_premium_file_share_costs_its_provisioned_capacity(prices: FakePrices) -> None:
    plan = plan_of(
        change(
            "azurerm_storage_account.this",
            ["create"],
            after={
                "location": "eastus",
                "account_tier": "Premium",
                "account_replication_type": "LRS",
            },
        ),
        change(
            "azurerm_storage_share.this[0]",
            ["create"],
            after={"quota": 100, "access_tier": "Premium"},
            after_unknown={"storage_account_id": True},
        ),
    )
    assert run(plan, "eastus", prices).after == pytest.approx(100 * 0.16)


def test_a_share_is_priced_at_the_redundancy_of_the_account_its_configuration_names(
    prices: FakePrices,
) -> None:
    plan = plan_of(
        change("azurerm_storage_account.logs", ["create"], after=account("ZRS")),
        change("azurerm_storage_account.files", ["create"], after=account("LRS")),
        change("azurerm_storage_share.this[0]", ["create"], after={"quota": 10}),
    )
    plan["configuration"] = configuration("azurerm_storage_account.files.id")
    found = run(plan, "eastus", prices)
    assert found.after == pytest.approx(10 * 0.06)  # Standard LRS in eastus
    assert [u.address for u in found.unpriced] == ["azurerm_storage_account.logs"]


def test_a_share_whose_account_cannot_be_told_is_named(prices: FakePrices) -> None:
    plan = plan_of(
        change("azurerm_storage_account.logs", ["create"], after=account("ZRS")),
        change("azurerm_storage_account.files", ["create"], after=account("LRS")),
        change("azurerm_storage_share.this[0]", ["create"], after={"quota": 10}),
    )
    found = run(plan, "eastus", prices)
    share = next(u for u in found.unpriced if u.address == "azurerm_storage_share.this[0]")
    assert share.reason == "cannot tell which storage account of the plan holds the share"


def test_a_blob_account_is_named_as_billed_by_use(prices: FakePrices) -> None:
    account = {"location": "eastus", "account_tier": "Standard", "account_replication_type": "LRS"}
    found = run(
        plan_of(change("azurerm_storage_account.this", ["create"], after=account)), "eastus", prices
    )
    assert (found.status, found.after, found.lines) == ("partial", 0.0, ())
    assert found.unpriced[0].address == "azurerm_storage_account.this"
    assert found.unpriced[0].reason.startswith("billed by use")


def test_an_autoscaled_node_pool_is_priced_at_its_minimum(prices: FakePrices) -> None:
    values = cluster()
    values["default_node_pool"][0].update(node_count=None, auto_scaling_enabled=True, min_count=2)
    found = run(plan_of(change(AKS, ["create"], after=values)), "westeurope", prices)
    assert found.after == pytest.approx(2 * 0.111 * H + 2 * 21.68)
    assert "priced at its min_count, 2 nodes" in found.lines[0].detail[0]


def test_a_postgresql_server_costs_its_sku_and_storage(prices: FakePrices) -> None:
    found = run(fixture_plan("database-postgresql"), "eastus2", prices)
    assert totals(found) == ("ok", 0.0, cents(0.0207 * H + 128 * 0.115))


def test_a_general_purpose_postgresql_sku_is_priced_by_its_own_series(prices: FakePrices) -> None:
    server = {"location": "eastus2", "sku_name": "GP_Standard_D2s_v3", "storage_mb": 32768}
    plan = plan_of(change("azurerm_postgresql_flexible_server.this[0]", ["create"], after=server))
    assert run(plan, "eastus2", prices).after == pytest.approx(0.172 * H + 32 * 0.115)


@pytest.mark.parametrize(
    ("sku", "family", "capacity", "monthly"),
    [("Basic", "C", 0, 1 * 0.022 * H), ("Standard", "C", 1, 2 * 0.0625 * H)],
)
def test_a_redis_cache_costs_its_sku_per_node(
    prices: FakePrices, sku: str, family: str, capacity: int, monthly: float
) -> None:
    cache = {"location": "eastus", "sku_name": sku, "family": family, "capacity": capacity}
    plan = plan_of(change("azurerm_redis_cache.this[0]", ["create"], after=cache))
    assert run(plan, "eastus", prices).after == pytest.approx(monthly)


def test_a_serverless_cosmos_db_account_is_named_as_billed_by_use(prices: FakePrices) -> None:
    account = {"location": "eastus", "capabilities": [{"name": "EnableServerless"}]}
    found = run(
        plan_of(change("azurerm_cosmosdb_account.this[0]", ["create"], after=account)),
        "eastus",
        prices,
    )
    assert found.status == "partial"
    assert "billed by use" in found.unpriced[0].reason
    assert prices.requests == 0


# -- actions: what exists before and after the change


def test_a_destroy_costs_nothing_after_and_saves_what_it_cost(prices: FakePrices) -> None:
    found = run(plan_of(change(AKS, ["delete"], before=cluster())), "westeurope", prices)
    assert totals(found) == ("ok", cents(THREE_NODES), 0.0)
    assert found.delta == pytest.approx(-THREE_NODES)
    assert found.lines[-1].action == "destroy"


def test_an_update_costs_the_old_values_before_and_the_new_ones_after(prices: FakePrices) -> None:
    plan = plan_of(change(AKS, ["update"], before=cluster(nodes=3), after=cluster(nodes=5)))
    found = run(plan, "westeurope", prices)
    assert found.before == pytest.approx(THREE_NODES)
    assert found.after == pytest.approx(5 * 0.111 * H + 5 * 21.68)


def test_a_bigger_node_size_is_priced_by_its_own_meter(prices: FakePrices) -> None:
    plan = plan_of(change(AKS, ["update"], before=cluster(), after=cluster(size="Standard_D4s_v5")))
    assert run(plan, "westeurope", prices).delta == pytest.approx(3 * (0.222 - 0.111) * H)


def test_an_unchanged_resource_costs_the_same_before_and_after(prices: FakePrices) -> None:
    found = run(
        plan_of(change(AKS, ["no-op"], before=cluster(), after=cluster())), "westeurope", prices
    )
    assert found.before == found.after == pytest.approx(THREE_NODES)
    assert found.delta == 0


def test_a_replaced_resource_costs_its_old_self_before_and_its_new_self_after(
    prices: FakePrices,
) -> None:
    plan = plan_of(
        change(AKS, ["delete", "create"], before=cluster(nodes=3), after=cluster(nodes=1))
    )
    found = run(plan, "westeurope", prices)
    assert totals(found) == ("ok", cents(THREE_NODES), cents(0.111 * H + 21.68))
    assert found.lines[0].action == "replace"


def test_a_deposed_object_being_destroyed_still_costs_before(prices: FakePrices) -> None:
    deposed = {**change(AKS, ["delete"], before=cluster()), "deposed": "0a1b2c3d"}
    plan = plan_of(change(AKS, ["create"], after=cluster()), deposed)
    found = run(plan, "westeurope", prices)
    assert totals(found) == ("ok", cents(THREE_NODES), cents(THREE_NODES))
    assert found.lines[1].address == f"{AKS} (deposed 0a1b2c3d)"


def test_a_data_source_read_is_not_a_resource_of_the_estimate(prices: FakePrices) -> None:
    read = change("data.azurerm_client_config.current", ["read"], after={}, mode="data")
    found = run(plan_of(read), "eastus", prices)
    assert (found.status, found.lines, found.unpriced) == ("ok", (), ())


def test_a_plan_without_changes_costs_nothing(prices: FakePrices) -> None:
    found = run({"format_version": "1.2", "resource_changes": []}, "eastus", prices)
    assert (found.status, found.before, found.after) == ("ok", 0.0, 0.0)


# -- the stand-ins of the modules idp local runs (terraform_data with `stands_in_for`)

STAND_IN = "terraform_data.cluster"


def standing_in(resource_type: str, values: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A terraform_data's values whose input stands in for `resource_type` with `values`."""
    return {"input": {"stands_in_for": resource_type, **values, **more}, "triggers_replace": None}


def test_a_stand_in_is_priced_as_the_type_it_stands_in_for(prices: FakePrices) -> None:
    after = standing_in("azurerm_kubernetes_cluster", cluster(), id="/subscriptions/x")
    found = run(plan_of(change(STAND_IN, ["create"], after=after)), "westeurope", prices)
    assert totals(found) == ("ok", 0.0, cents(THREE_NODES))
    assert [(line.address, line.type) for line in found.lines] == [
        (STAND_IN, "azurerm_kubernetes_cluster")
    ]


def test_a_stand_ins_unknowns_are_those_of_its_input(prices: FakePrices) -> None:
    values = cluster()
    del values["default_node_pool"][0]["vm_size"]
    unknown = {"id": True, "input": {"default_node_pool": [{"vm_size": True}]}, "output": True}
    after = standing_in("azurerm_kubernetes_cluster", values)
    found = run(
        plan_of(change(STAND_IN, ["create"], after=after, after_unknown=unknown)),
        "westeurope",
        prices,
    )
    assert found.unpriced[0].reason == ("default_node_pool.0.vm_size is known only after apply")


def test_terraform_data_without_a_stand_in_costs_nothing(prices: FakePrices) -> None:
    plan = plan_of(
        change("terraform_data.plain", ["create"], after={"input": {"vm_size": "x"}}),
        change("terraform_data.other", ["create"], after=standing_in("aws_instance", {})),
    )
    found = run(plan, "eastus", prices)
    assert [(line.type, line.free) for line in found.lines] == [("terraform_data", True)] * 2
    assert prices.requests == 0


def test_each_side_of_a_stand_in_is_read_as_it_is(prices: FakePrices) -> None:
    before = {"input": {"vm_size": "Standard_D2s_v5", "node_count": 3}}
    after = standing_in("azurerm_kubernetes_cluster", cluster())
    found = run(
        plan_of(change(STAND_IN, ["update"], before=before, after=after)), "westeurope", prices
    )
    assert totals(found) == ("ok", 0.0, cents(THREE_NODES))


def test_a_stand_in_inside_a_stand_ins_input_is_a_resource_of_its_own(
    prices: FakePrices,
) -> None:
    share = {"stands_in_for": "azurerm_storage_share", "quota": 250}
    after = standing_in("azurerm_storage_account", account("LRS"), share=share)
    found = run(
        plan_of(change("terraform_data.account", ["create"], after=after)), "eastus", prices
    )
    assert totals(found) == ("ok", 0.0, cents(250 * 0.06))
    assert [(line.address, line.type, line.free) for line in found.lines] == [
        ("terraform_data.account", "azurerm_storage_account", True),
        ("terraform_data.account.input.share", "azurerm_storage_share", False),
    ]


@pytest.mark.parametrize(
    ("before", "after", "action"),
    [(None, 10, "create"), (10, None, "destroy"), (10, 20, "update"), (10, 10, "no-op")],
)
def test_an_inner_stand_in_is_changed_as_it_appears_goes_or_differs(
    prices: FakePrices, before: int | None, after: int | None, action: str
) -> None:
    def side(quota: int | None) -> dict[str, Any]:
        share = {"stands_in_for": "azurerm_storage_share", "quota": quota} if quota else None
        return standing_in("azurerm_storage_account", account("LRS"), share=share)

    plan = plan_of(
        change("terraform_data.account", ["update"], before=side(before), after=side(after))
    )
    found = run(plan, "eastus", prices)
    share = next(line for line in found.lines if line.address.endswith(".input.share"))
    assert share.action == action
    assert (cents(share.before), cents(share.after)) == (
        cents((before or 0) * 0.06),
        cents((after or 0) * 0.06),
    )


# -- what cannot be priced is named, never counted as zero


def test_an_unknown_size_is_named_with_why_and_left_out_of_the_totals(prices: FakePrices) -> None:
    plan = plan_of(
        change(AKS, ["create"], after=cluster(size="Standard_Z9_v9")),
        change("azurerm_linux_virtual_machine.this[0]", ["create"], after=vm()),
    )
    found = run(plan, "westeurope", prices)
    assert found.status == "partial"
    assert found.after == pytest.approx(ONE_VM)
    assert [(u.address, u.reason) for u in found.unpriced] == [
        (AKS, "no meter for nodes: 3 x Standard_Z9_v9 (Linux) in westeurope")
    ]


def test_a_resource_unpriced_after_an_update_is_left_out_before_too(prices: FakePrices) -> None:
    plan = plan_of(change(AKS, ["update"], before=cluster(), after=cluster(size="Standard_Z9_v9")))
    found = run(plan, "westeurope", prices)
    assert (found.before, found.after, found.delta) == (0.0, 0.0, 0.0)
    assert found.unpriced[0].reason.startswith("after: no meter for nodes")


def test_a_size_known_only_after_apply_is_named(prices: FakePrices) -> None:
    values = cluster()
    del values["default_node_pool"][0]["vm_size"]
    unknown = {"default_node_pool": [{"vm_size": True}]}
    found = run(
        plan_of(change(AKS, ["create"], after=values, after_unknown=unknown)), "westeurope", prices
    )
    assert found.unpriced[0].reason == "default_node_pool.0.vm_size is known only after apply"


def test_a_type_without_a_price_rule_is_named(prices: FakePrices) -> None:
    plan = plan_of(change("azurerm_service_plan.web", ["create"], after={"sku_name": "P1v3"}))
    found = run(plan, "eastus", prices)
    assert found.unpriced[0].reason == "no price rule for azurerm_service_plan"


def test_a_value_the_price_service_cannot_be_asked_for_is_named(prices: FakePrices) -> None:
    size = "Standard_" + "D" * 200
    found = run(aks_create(size=size), "westeurope", prices)
    assert found.status == "partial"
    assert found.unpriced[0].reason.startswith("cannot ask the price service for nodes: 3 x ")
    assert len(found.summary()) < 600
    assert prices.requests == 0


def test_types_that_cost_nothing_are_listed_as_free(prices: FakePrices) -> None:
    plan = plan_of(
        change("azurerm_resource_group.this", ["create"], after={"location": "eastus"}),
        change("azurerm_role_assignment.reader", ["create"], after={}),
    )
    found = run(plan, "eastus", prices)
    assert (found.status, found.unpriced) == ("ok", ())
    assert [(line.address, line.free) for line in found.lines] == [
        ("azurerm_resource_group.this", True),
        ("azurerm_role_assignment.reader", True),
    ]


# -- the price service: paged, asked once, and never a reason for a run to fail


def test_an_answer_over_several_pages_is_read_to_its_last_page(prices: FakePrices) -> None:
    prices.page_size = 2  # the Linux pay-as-you-go meter is the last of six
    found = run(
        plan_of(change("azurerm_linux_virtual_machine.this[0]", ["create"], after=vm())),
        "eastus",
        prices,
    )
    assert found.after == pytest.approx(ONE_VM)
    assert prices.requests == 3 + 1  # the size's three pages, the disk's one


def test_the_same_question_is_asked_once(prices: FakePrices) -> None:
    plan = plan_of(
        change("azurerm_linux_virtual_machine.a", ["create"], after=vm()),
        change("azurerm_linux_virtual_machine.b", ["create"], after=vm()),
    )
    with RetailPrices(prices.url) as client:
        first = estimate(plan, "eastus", client)
        again = estimate(plan, "eastus", client)
    assert first.after == again.after == pytest.approx(2 * ONE_VM)
    assert len(prices.queries) == len(set(prices.queries)) == 2


def test_the_api_version_and_the_filter_are_the_documented_ones(prices: FakePrices) -> None:
    run(
        plan_of(change("azurerm_linux_virtual_machine.this[0]", ["create"], after=vm())),
        "eastus",
        prices,
    )
    assert prices.queries[0] == (
        "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and "
        "armSkuName eq 'Standard_D2s_v5' and priceType eq 'Consumption'"
    )


def test_a_service_that_is_down_makes_the_estimate_unknown() -> None:
    found = run(aks_create(), "westeurope", closed_port())
    assert (found.status, found.before, found.after) == ("unknown", None, None)
    assert found.reason == "the price service: unreachable (ConnectionError)"


def test_an_http_error_makes_the_estimate_unknown(prices: FakePrices) -> None:
    prices.statuses = [503]
    found = run(aks_create(), "westeurope", prices)
    assert (found.status, found.reason) == ("unknown", "the price service: HTTP 503")


def test_a_slow_service_makes_the_estimate_unknown_at_the_deadline(prices: FakePrices) -> None:
    prices.delay = 5
    started = time.monotonic()
    found = run(aks_create(), "westeurope", prices, deadline_seconds=0.3)
    assert time.monotonic() - started < 2
    assert found.status == "unknown"
    assert found.reason == (
        "the price service: no complete answer within 0.3 s (all questions together)"
    )


def test_the_deadline_is_for_all_questions_together(prices: FakePrices) -> None:
    prices.delay = 0.4  # each answer alone is well within the deadline
    found = run(aks_create(), "westeurope", prices, deadline_seconds=0.6)
    assert found.status == "unknown"
    assert "no complete answer within 0.6 s" in found.reason
    assert prices.requests == 2  # the first answered; the second ran past the deadline


def test_after_one_failure_no_more_questions_are_asked(prices: FakePrices) -> None:
    prices.statuses = [500]
    run(
        plan_of(change("azurerm_linux_virtual_machine.this[0]", ["create"], after=vm())),
        "eastus",
        prices,
    )
    assert prices.requests == 1


def test_more_pages_than_the_bound_make_the_estimate_unknown(prices: FakePrices) -> None:
    prices.page_size = 1
    found = run(aks_create(), "westeurope", prices, max_pages=2)
    assert found.status == "unknown"
    assert found.reason.startswith("the price service: more than 2 pages for serviceName eq")


def test_a_page_over_the_byte_bound_makes_the_estimate_unknown(prices: FakePrices) -> None:
    found = run(aks_create(), "westeurope", prices, max_page_bytes=1000)
    assert found.reason == "the price service: a page over 1000 bytes"


def a_meter(**changes: Any) -> dict[str, Any]:
    """A recorded meter (the first), with `changes`."""
    return {**recorded()[0], **changes}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"<html>Service Unavailable</html>", "an answer that is not JSON"),
        (b'{"Items": "none"}', "an answer without an Items list"),
        (json.dumps([a_meter()]).encode(), "an answer without an Items list"),
        (
            json.dumps({"Items": [a_meter(retailPrice=-0.5)]}).encode(),
            "item 0: retailPrice -0.5 is not a finite non-negative number",
        ),
        (
            json.dumps({"Items": [a_meter(retailPrice="0.1")]}).encode(),
            "item 0: retailPrice '0.1' is not a finite non-negative number",
        ),
        (
            json.dumps({"Items": [a_meter(retailPrice=1.5)]}).replace("1.5", "1e999").encode(),
            "item 0: retailPrice 'inf' is not a finite non-negative number",
        ),
        (
            json.dumps({"Items": [a_meter(retailPrice=2e12)]}).encode(),
            "item 0: retailPrice 2e+12 is more than any price (1e+09)",
        ),
        (
            json.dumps({"Items": [a_meter(retailPrice=float("nan"))]}).encode(),
            "an answer that is not JSON",
        ),
        (
            json.dumps({"Items": [a_meter(currencyCode="EUR")]}).encode(),
            "item 0: currencyCode 'EUR', asked for USD",
        ),
        (
            json.dumps({"Items": [a_meter(meterName=None)]}).encode(),
            "item 0: meterName is missing or not a string",
        ),
        (
            json.dumps(
                {"Items": [], "NextPageLink": "https://prices.example.net/api/retail/prices"}
            ).encode(),
            "a NextPageLink that leads away from the price service",
        ),
        (
            json.dumps({"Items": [a_meter(armRegionName="eastus")]}).encode(),
            "an item with armRegionName 'eastus' answering armRegionName 'westeurope'",
        ),
    ],
)
def test_nonsense_makes_the_estimate_unknown_saying_what_was_wrong(
    prices: FakePrices, answer: bytes, reason: str
) -> None:
    prices.raw = answer
    found = run(aks_create(), "westeurope", prices)
    assert (found.status, found.reason) == ("unknown", f"the price service: {reason}")


@pytest.mark.parametrize(
    ("plan", "reason"),
    [
        ([], "not a plan: the JSON is not an object"),
        ({"resource_changes": {}}, "not a plan: resource_changes is not a list"),
        (
            {"resource_changes": [{"address": "x"}]},
            "not a plan: resource_changes[0] is not a resource change",
        ),
    ],
)
def test_a_document_that_is_not_a_plan_makes_the_estimate_unknown(
    prices: FakePrices, plan: Any, reason: str
) -> None:
    assert run(plan, "eastus", prices).reason == reason


# -- how the estimate reads


def test_the_summary_gives_the_difference_and_both_totals(prices: FakePrices) -> None:
    found = run(fixture_plan("compute-vm"), "eastus", prices)
    assert found.summary() == "+$72.48/month (from $0.00 to $72.48)"


def test_the_summary_of_a_destroy_shows_the_saving(prices: FakePrices) -> None:
    found = run(
        plan_of(change("azurerm_linux_virtual_machine.this[0]", ["delete"], before=vm())),
        "eastus",
        prices,
    )
    assert found.summary() == "-$72.48/month (from $72.48 to $0.00)"


def test_the_summary_names_what_is_not_priced(prices: FakePrices) -> None:
    plan = plan_of(
        change("azurerm_linux_virtual_machine.this[0]", ["create"], after=vm()),
        change("azurerm_linux_virtual_machine.big[0]", ["create"], after=vm("Standard_Z9_v9")),
    )
    assert run(plan, "eastus", prices).summary() == (
        "+$72.48/month (from $0.00 to $72.48); not priced: azurerm_linux_virtual_machine.big[0] "
        "(no meter for compute: 1 x Standard_Z9_v9 (Linux) in eastus)"
    )


def test_the_summary_of_an_unknown_estimate_says_why(prices: FakePrices) -> None:
    prices.statuses = [503]
    assert run(aks_create(), "westeurope", prices).summary() == (
        "unknown: the price service: HTTP 503"
    )


def test_a_notice_lists_what_costs_something_and_what_is_not_priced(prices: FakePrices) -> None:
    plan = fixture_plan("storage-fileshare")
    plan["resource_changes"].append(
        change("azurerm_cosmosdb_account.this[0]", ["create"], after={"location": "northeurope"})
    )
    assert run(plan, "northeurope", prices).notice_lines() == [
        "Cost: +$18.75/month (from $0.00 to $18.75)",
        "  create azurerm_storage_share.this[0]: $0.00 -> $18.75/month",
        "Not priced: azurerm_cosmosdb_account.this[0] (billed by the throughput of its databases "
        "and containers, none of which this plan creates, and by GB stored)",
    ]


def test_the_estimate_reads_back_from_its_json(prices: FakePrices) -> None:
    found = run(fixture_plan("compute-kubernetes"), "westeurope", prices)
    document = json.loads(json.dumps(found.as_dict()))
    assert document["status"] == "ok"
    assert (document["before"], document["after"], document["delta"]) == (0.0, 308.13, 308.13)
    assert Estimate.from_dict(document).as_dict() == document


def test_an_unknown_estimate_reads_back_from_its_json() -> None:
    document = json.loads(json.dumps(run(aks_create(), "westeurope", closed_port()).as_dict()))
    assert (document["before"], document["after"]) == (None, None)
    assert Estimate.from_dict(document).summary().startswith("unknown: the price service")


def test_json_that_is_not_an_estimate_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"cost estimate: after: must be a finite number"):
        Estimate.from_dict({"status": "ok", "before": 0, "after": "lots"})


# -- the budget


def test_an_estimate_over_the_limit_is_over_budget(prices: FakePrices) -> None:
    found = run(fixture_plan("compute-kubernetes"), "westeurope", prices)
    assert over_budget(found, 300) == (
        "the estimated monthly cost after the change, $308.13, is over max_monthly_cost $300.00"
    )


def test_an_estimate_at_or_under_the_limit_is_not_over_budget(prices: FakePrices) -> None:
    found = run(fixture_plan("compute-kubernetes"), "westeurope", prices)
    assert over_budget(found, 308.13) is None
    assert over_budget(found, 1000) is None


def test_without_a_limit_nothing_is_over_budget(prices: FakePrices) -> None:
    assert over_budget(run(fixture_plan("compute-kubernetes"), "westeurope", prices), None) is None


def test_an_unknown_estimate_is_never_over_budget() -> None:
    found = run(aks_create(nodes=100), "westeurope", closed_port())
    assert over_budget(found, 0.01) is None


def test_a_destroy_is_never_over_budget(prices: FakePrices) -> None:
    found = run(plan_of(change(AKS, ["delete"], before=cluster())), "westeurope", prices)
    assert over_budget(found, 1) is None


def test_a_partial_estimate_over_the_limit_says_what_it_left_out(prices: FakePrices) -> None:
    plan = aks_create()
    plan["resource_changes"].append(
        change("azurerm_cosmosdb_account.this[0]", ["create"], after={"location": "westeurope"})
    )
    reason = over_budget(run(plan, "westeurope", prices), 300)
    assert reason is not None
    assert reason.endswith("is over max_monthly_cost $300.00, and 1 resource is not priced")


# -- a step program's module


def test_importing_the_estimate_loads_no_http_library_and_no_hera() -> None:
    code = (
        "import sys, workflows.steps.cost; print(sorted({'requests', 'hera'} & set(sys.modules)))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]"
