"""The plan summary, the outputs split and the ARM ids, from Terraform's JSON."""

from __future__ import annotations

from typing import Any

from workflows.steps.outputs import plan_summary, public_outputs, resource_ids

ARM = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-demo"


def changes(*actions: list[str]) -> dict[str, Any]:
    return {"resource_changes": [{"change": {"actions": list(a)}} for a in actions]}


def test_summary_counts_creates_updates_and_deletes() -> None:
    plan = changes(["create"], ["create"], ["update"], ["delete"], ["no-op"], ["read"])
    assert plan_summary(plan, True) == "2 to add, 1 to change, 1 to destroy"


def test_summary_counts_a_replacement_as_an_add_and_a_destroy() -> None:
    plan = changes(["delete", "create"], ["create", "delete"])
    assert plan_summary(plan, True) == "2 to add, 0 to change, 2 to destroy"


def test_summary_says_when_only_outputs_change() -> None:
    assert plan_summary(changes(), True) == "0 to add, 0 to change, 0 to destroy; outputs change"


def test_summary_of_an_empty_plan_is_all_zero() -> None:
    assert plan_summary({}, False) == "0 to add, 0 to change, 0 to destroy"


def test_public_outputs_leave_out_sensitive_values() -> None:
    outputs = {
        "name": {"sensitive": False, "value": "aks-demo"},
        "password": {"sensitive": True, "value": "hunter2"},
    }
    assert public_outputs(outputs) == {"name": "aks-demo"}


def test_resource_ids_come_from_outputs_named_id_holding_arm_ids() -> None:
    outputs = {
        "resource_group_id": {"value": ARM},
        "subnet_ids": {"value": [f"{ARM}/a"]},
        "node_pool_id": {"value": [f"{ARM}/b", f"{ARM}/c"]},
        "cluster_name": {"value": f"{ARM}/not-an-id-output"},
        "object_id": {"value": "6f1c1c4e-0000-0000-0000-000000000000"},
    }
    assert resource_ids(outputs) == {ARM, f"{ARM}/b", f"{ARM}/c"}
