"""The EventBus, webhook EventSource and Sensors: shape, security and derivation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest

from events.eventbus import event_bus
from events.filters import SPACES, data_filters
from events.objects import kind_sensor
from events.render import event_from_text, render, render_all
from idp.catalog import DEFAULT_CATALOG
from idp.compile import CompileError, build
from idp.contract import ComputeRequest
from idp.manifests import Manifest
from idp.settings import Settings
from tests.upstream import conformance_errors

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "requests"


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


# --- a preview's route --------------------------------------------------------------------


def routes_of(sensor: Manifest) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Each trigger's name: the dependency it waits for, and the trigger."""
    dependencies = {d["name"]: d for d in sensor["spec"]["dependencies"]}
    return {
        t["template"]["name"]: (dependencies[t["template"]["conditions"]], t)
        for t in sensor["spec"]["triggers"]
    }


@pytest.mark.parametrize("kind", sorted(DEFAULT_CATALOG))
def test_a_kinds_sensor_has_a_request_route_and_a_preview_route_on_the_same_event(
    kind: str, manifests: list[Manifest], settings: Settings
) -> None:
    # listener.go, getDependencyExpression: a trigger with conditions waits for that
    # dependency alone; without them, for every dependency of the Sensor
    sensor = by_name(manifests, "Sensor", f"{kind}-provision-sensor")
    found = routes_of(sensor)
    assert sorted(found) == [f"create-{kind}-preview-workflow", f"create-{kind}-workflow"]
    for dependency, _ in found.values():
        assert (dependency["eventSourceName"], dependency["eventName"]) == (
            settings.webhook_eventsource,
            kind,
        )
    request, preview = found[f"create-{kind}-workflow"], found[f"create-{kind}-preview-workflow"]
    assert (request[0]["name"], preview[0]["name"]) == ("request", "preview")
    made = [t["template"]["k8s"]["source"]["resource"] for _, t in (request, preview)]
    assert [r["metadata"]["name"] for r in made] == [f"{kind}-", f"{kind}-preview-"]
    assert [r["spec"]["workflowTemplateRef"]["name"] for r in made] == [
        f"{kind}-provision-workflow",
        f"{kind}-preview-workflow",
    ]


@pytest.mark.parametrize("kind", sorted(DEFAULT_CATALOG))
def test_each_trigger_reads_only_the_dependency_it_waits_for(
    kind: str, manifests: list[Manifest]
) -> None:
    # triggers/params.go, ResolveParamValue: a parameter reads the event of its dependencyName
    for dependency, trigger in routes_of(
        by_name(manifests, "Sensor", f"{kind}-provision-sensor")
    ).values():
        sources = {p["src"]["dependencyName"] for p in trigger["template"]["k8s"]["parameters"]}
        assert sources == {dependency["name"]}


@pytest.mark.parametrize("kind", sorted(DEFAULT_CATALOG))
def test_the_two_dependencies_differ_only_in_the_filter_on_the_action(
    kind: str, manifests: list[Manifest]
) -> None:
    request, preview = by_name(manifests, "Sensor", f"{kind}-provision-sensor")["spec"][
        "dependencies"
    ]
    *shared, request_split = request["filters"]["data"]
    *same, preview_split = preview["filters"]["data"]
    assert shared == same
    action = '[body.action,!"provision"]|0'  # an absent action reads as provision
    assert request_split == {
        "path": action,
        "type": "string",
        "value": ["^(?:preview)$"],
        "comparator": "!=",
    }
    assert preview_split == {"path": action, "type": "string", "value": ["^(?:preview)$"]}


@pytest.mark.parametrize("kind", sorted(DEFAULT_CATALOG))
def test_the_preview_template_takes_the_same_arguments_as_the_provision_template(
    kind: str, manifests: list[Manifest]
) -> None:
    # one parameter list (positions from the provision template) fills both
    provision = by_name(manifests, "WorkflowTemplate", f"{kind}-provision-workflow")
    preview = by_name(manifests, "WorkflowTemplate", f"{kind}-preview-workflow")
    assert preview["spec"]["arguments"] == provision["spec"]["arguments"]


def test_on_the_native_bus_each_route_is_a_sensor_of_its_own() -> None:
    # reconciler/sensor/validate.go, validateDependencies: on a NATS (streaming) bus an event
    # may be referenced by one dependency of a Sensor only
    native = Settings.model_validate({"eventbus_type": "native"})
    sensors = [m for m in build(native) if m["kind"] == "Sensor"]
    assert sorted(m["metadata"]["name"] for m in sensors) == sorted(
        f"{kind}-{route}-sensor" for kind in DEFAULT_CATALOG for route in ("provision", "preview")
    )
    for sensor in sensors:
        events = [(d["eventSourceName"], d["eventName"]) for d in sensor["spec"]["dependencies"]]
        assert len(events) == len(set(events)) == 1
        assert len(sensor["spec"]["triggers"]) == 1
        assert conformance_errors(sensor) == []


@pytest.mark.parametrize("action", ["provision", "destroy", "preview", None])
def test_on_the_native_bus_the_two_sensors_create_what_the_one_sensor_creates(
    action: str | None,
) -> None:
    native = Settings.model_validate({"eventbus_type": "native"})
    model = DEFAULT_CATALOG["storage"]
    request = json.loads((EXAMPLES / "storage.json").read_text())
    if action is not None:
        request["action"] = action
    event = event_from_text(json.dumps(request))
    pair = [
        m for m in build(native) if m["kind"] == "Sensor" and "storage" in m["metadata"]["name"]
    ]
    assert render_all(pair, event) == [render(kind_sensor(model, native), event)]


class NoPreviewRequest(ComputeRequest):
    """A kind whose catalog narrows the action to what it was before previews."""

    action: Literal["provision", "destroy"] = "provision"


def test_a_kind_without_preview_has_one_route_and_no_preview_template(settings: Settings) -> None:
    built = build(settings, {"compute": NoPreviewRequest})
    sensor = by_name(built, "Sensor", "compute-provision-sensor")
    assert [d["name"] for d in sensor["spec"]["dependencies"]] == ["request"]
    assert "conditions" not in trigger(sensor)["template"]
    names = [m["metadata"]["name"] for m in only(built, "WorkflowTemplate")]
    assert names == ["compute-provision-workflow"]


def test_a_kind_whose_preview_names_could_exceed_63_characters_is_refused(
    settings: Settings,
) -> None:
    # workflow/validate/validate.go, maxCharsInObjectName: Argo refuses longer Workflow names
    class LongKind(ComputeRequest):
        kind: ClassVar[str] = "k" * 19  # 19 + len("-preview-") + 36 = 64

    with pytest.raises(CompileError, match="reach 64 characters"):
        build(settings, {LongKind.kind: LongKind})
