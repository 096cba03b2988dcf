"""A registry entry's request is a request as a body gives it: no field without a value.

A model dumps a default it computes later (a database's `sku`, per resource type) as null, and
the contract refuses null in every field; the reaper's destroy and the drift check are made of
the recorded request, so a null recorded would make both fail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from workflows.steps import registry

REQUEST = {
    "request_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    "name": "orders-db",
    "environment": "dev",
    "resource_type": "postgresql",
    "sku": None,
    "storage_gb": 128,
}


def test_a_new_entry_records_no_field_without_a_value() -> None:
    entry = registry.new_entry(
        REQUEST, "database", "lee", "0.1.0", datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert "sku" not in entry.request
    assert entry.request["storage_gb"] == 128


def test_an_entry_an_earlier_version_recorded_with_nulls_reads_without_them() -> None:
    entry = registry.new_entry(
        {k: v for k, v in REQUEST.items() if v is not None},
        "database",
        "lee",
        "0.1.0",
        datetime(2030, 1, 1, tzinfo=UTC),
    )
    document = json.loads(entry.to_json())
    document["request"]["sku"] = None
    read = registry.from_json(json.dumps(document).encode(), "database/dev/orders-db.stack.json")
    assert "sku" not in read.request
