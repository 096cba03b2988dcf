"""The EventBus, webhook EventSource and Sensors: shape, security and derivation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from events.eventbus import event_bus
from events.filters import SPACES, data_filters
from idp.catalog import DEFAULT_CATALOG
from idp.compile import build
from idp.manifests import Manifest
from idp.settings import Settings
from tests.upstream import conformance_errors


def only(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def by_name(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    (found,) = [m for m in only(manifests, kind) if m["metadata"]["name"] == name]
    return found


def test_jetstream_bus_is_pinned_replicated_and_persistent(settings: Settings) -> None:
    spec = event_bus(settings).manifest()["spec"]["jetstream"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", spec["version"])
    assert spec["replicas"] == 3
    assert spec["persistence"]["volumeSize"]
    assert spec["containerTemplate"]["resources"]["requests"]


def test_native_bus_uses_token_auth_and_passes_the_schema() -> None:
    native = Settings.model_validate({"eventbus_type": "native"})
    bus = event_bus(native).manifest()
    assert bus["spec"]["nats"]["native"]["auth"] == "token"
    assert conformance_errors(bus) == []


def test_webhook_has_one_protected_capped_post_endpoint_per_kind(
    manifests: list[Manifest], settings: Settings
) -> None:
    source = by_name(manifests, "EventSource", settings.webhook_eventsource)
    webhook = source["spec"]["webhook"]
    assert sorted(webhook) == sorted(DEFAULT_CATALOG)
    for kind, endpoint in webhook.items():
        assert endpoint["endpoint"] == f"/{kind}"
        assert endpoint["method"] == "POST"
        assert endpoint["port"] == "12000"
        assert endpoint["maxPayloadSize"] == 65536
        assert endpoint["authSecret"] == {"name": "webhook-token", "key": "token"}
    assert source["spec"]["service"]["ports"][0]["port"] == 12000


def test_every_event_object_names_the_bus(manifests: list[Manifest], settings: Settings) -> None:
    for manifest in only(manifests, "EventSource") + only(manifests, "Sensor"):
        assert manifest["spec"]["eventBusName"] == settings.eventbus_name


def trigger(sensor: Manifest) -> dict[str, Any]:
    found: dict[str, Any] = sensor["spec"]["triggers"][0]
    return found


@pytest.mark.parametrize("kind", sorted(DEFAULT_CATALOG))
def test_sensor_parameters_land_on_the_same_named_template_argument(
    kind: str, manifests: list[Manifest]
) -> None:
    template = by_name(manifests, "WorkflowTemplate", f"{kind}-provision-workflow")
    names = [p["name"] for p in template["spec"]["arguments"]["parameters"]]
    sensor = by_name(manifests, "Sensor", f"{kind}-provision-sensor")
    for parameter in trigger(sensor)["template"]["k8s"]["parameters"][1:]:
        index = int(parameter["dest"].split(".")[3])
        key = parameter["src"]["dataKey"]
        assert key == ("body" if names[index] == "request" else f"body.{names[index]}")


def test_sensor_retries_at_least_once_with_a_rate_limit(manifests: list[Manifest]) -> None:
    for sensor in only(manifests, "Sensor"):
        assert trigger(sensor)["atLeastOnce"] is True
        assert trigger(sensor)["retryStrategy"]["steps"] >= 1
        assert trigger(sensor)["rateLimit"]["requestsPerUnit"] > 0
        assert trigger(sensor)["template"]["k8s"]["operation"] == "create"


def test_every_content_pattern_is_anchored(settings: Settings) -> None:
    # filter.go, filterData: a string filter matches anywhere in the value unless anchored
    for model in DEFAULT_CATALOG.values():
        for rule in data_filters(model, settings):
            if rule.type != "string" or rule.comparator is not None:
                continue  # numbers, and the "must not contain" filters
            for pattern in rule.value or []:
                searched = pattern == f"[^{SPACES}]"  # "contains a character that is not space"
                assert searched or (pattern.startswith(("^", "(?s)^")) and pattern.endswith("$"))


def test_filters_cover_every_field_of_the_request(settings: Settings) -> None:
    for model in DEFAULT_CATALOG.values():
        paths = " ".join(rule.path or "" for rule in data_filters(model, settings))
        for name in model.model_fields:
            assert f"body.{name}" in paths, name


def test_sensor_account_may_only_create_and_get_workflows(
    manifests: list[Manifest], settings: Settings
) -> None:
    role = by_name(manifests, "Role", settings.sensor_service_account)
    assert role["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create", "get"]}
    ]
    for sensor in only(manifests, "Sensor"):
        assert sensor["spec"]["template"]["serviceAccountName"] == settings.sensor_service_account


def test_region_filter_follows_the_settings() -> None:
    narrow = Settings.model_validate({"allowed_regions": ["uksouth"]})
    sensor = by_name(build(narrow), "Sensor", "compute-provision-sensor")
    rules = sensor["spec"]["dependencies"][0]["filters"]["data"]
    (region,) = [r for r in rules if r["path"] == "body.region"]
    assert region["value"] == ["^(?:uksouth)$"]
