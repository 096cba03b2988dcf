"""The request contract: what each kind accepts, and how bad input is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from idp.catalog import DEFAULT_CATALOG, argument_defaults
from idp.contract import (
    LONGEST_REQUEST_ID,
    ComputeRequest,
    DatabaseRequest,
    RequestError,
    StorageRequest,
    field_rules,
    parse_request,
    request_schema,
    takes_preview,
)
from idp.settings import DEFAULT_REGIONS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "requests"


def example(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text())
    return data


def problems(kind: str, data: Any) -> list[str]:
    with pytest.raises(RequestError) as caught:
        parse_request(DEFAULT_CATALOG[kind], json.dumps(data))
    return caught.value.problems


@pytest.mark.parametrize("kind", sorted(DEFAULT_CATALOG))
def test_each_example_request_is_valid(kind: str) -> None:
    request = parse_request(DEFAULT_CATALOG[kind], json.dumps(example(kind)))
    assert request.request_id == example(kind)["request_id"]


def test_defaults_fill_optional_fields() -> None:
    request = parse_request(ComputeRequest, json.dumps(example("compute")))
    assert (request.cloud_provider, request.action) == ("azure", "provision")
    assert isinstance(request, ComputeRequest)
    assert request.vm_size == "Standard_D2s_v5"


def test_missing_field_is_named() -> None:
    data = example("compute")
    del data["request_id"]
    assert problems("compute", data) == ["request_id: Field required"]


def test_wrong_type_is_rejected_not_coerced() -> None:
    lines = problems("compute", {**example("compute"), "node_count": "3"})
    assert lines == ["node_count: Input should be a valid integer (got '3')"]


def test_out_of_range_number_names_the_bound() -> None:
    (line,) = problems("storage", {**example("storage"), "quota_gb": 5121})
    assert line.startswith("quota_gb: Input should be less than or equal to 5120")


def test_value_outside_enum_lists_the_choices() -> None:
    (line,) = problems("database", {**example("database"), "resource_type": "mysql"})
    assert line.startswith("resource_type: Input should be 'postgresql', 'cosmosdb' or 'redis'")


def test_unknown_field_is_rejected() -> None:
    (line,) = problems("compute", {**example("compute"), "owner": "someone"})
    assert line == "owner: Extra inputs are not permitted (got 'someone')"


@pytest.mark.parametrize("field", ["requester_name", "name", "vm_size"])
def test_argo_template_markers_are_rejected_in_any_string(field: str) -> None:
    lines = problems("compute", {**example("compute"), field: "a{{workflow.name}}"})
    assert any(line.startswith(f"{field}:") for line in lines)


def test_control_characters_are_rejected() -> None:
    lines = problems("compute", {**example("compute"), "requester_name": "Ada\nLovelace"})
    assert lines[0].startswith("requester_name:")
    assert "control characters" in lines[0]


@pytest.mark.parametrize("name", ["web;rm -rf /", "web$(id)", "web`id`", "a b", "Web"])
def test_shell_metacharacters_in_name_are_rejected(name: str) -> None:
    (line,) = problems("compute", {**example("compute"), "name": name})
    assert line.startswith("name: String should match pattern")


def test_strings_are_capped_at_256_characters() -> None:
    (line,) = problems("database", {**example("database"), "sku": "A" * 257})
    assert line.startswith("sku:")


def test_region_must_be_allowed_by_settings() -> None:
    (line,) = problems("compute", {**example("compute"), "region": "antarctica"})
    assert line.startswith("region: Value error, must be one of the allowed regions: eastus")


def test_region_list_comes_from_settings() -> None:
    text = json.dumps({**example("compute"), "region": "westeurope"})
    with pytest.raises(RequestError, match="must be one of the allowed regions: eastus"):
        parse_request(ComputeRequest, text, regions=("eastus",))


def test_non_object_json_is_reported() -> None:
    assert problems("compute", [1, 2]) == ["(request): must be a JSON object, got list"]


def test_text_that_is_not_json_is_reported() -> None:
    with pytest.raises(RequestError) as caught:
        parse_request(StorageRequest, b"name: web")
    assert caught.value.problems[0].startswith("(request): not valid JSON")


def test_every_problem_is_reported_at_once() -> None:
    data = {**example("compute"), "node_count": 0, "environment": "qa", "extra": 1}
    fields = sorted(line.split(":")[0] for line in problems("compute", data))
    assert fields == ["environment", "extra", "node_count"]


def test_database_sku_defaults_to_none_meaning_per_type() -> None:
    request = parse_request(DatabaseRequest, json.dumps(example("database")))
    assert isinstance(request, DatabaseRequest)
    assert request.sku is None


def test_schema_lists_allowed_regions_and_forbids_unknown_fields() -> None:
    schema = request_schema(ComputeRequest, DEFAULT_REGIONS)
    assert schema["properties"]["region"]["enum"] == list(DEFAULT_REGIONS)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "request_id",
        "name",
        "environment",
        "region",
        "resource_type",
        "requester_name",
        "requester_email",
    }


def test_argument_defaults_follow_model_order_with_required_as_none() -> None:
    defaults = argument_defaults(StorageRequest)
    assert list(defaults) == list(StorageRequest.model_fields)
    assert defaults["request_id"] is None
    assert (defaults["sku"], defaults["quota_gb"]) == ("Standard_LRS", "100")


@pytest.mark.parametrize("kind", sorted(DEFAULT_CATALOG))
def test_field_rules_agree_with_the_json_schema(kind: str) -> None:
    model = DEFAULT_CATALOG[kind]
    schema = model.model_json_schema()
    rules = field_rules(model)
    assert list(rules) == list(schema["properties"])
    assert sorted(n for n, r in rules.items() if r.required) == sorted(schema["required"])
    for name, rule in rules.items():
        prop = schema["properties"][name]
        prop = next((c for c in prop.get("anyOf", []) if c != {"type": "null"}), prop)
        assert rule.type == prop.get("type", "string")
        assert rule.pattern == prop.get("pattern")
        assert rule.choices == tuple(prop.get("enum", [prop["const"]] if "const" in prop else []))
        assert rule.max_length == prop.get("maxLength")
        assert rule.min_length == prop.get("minLength")
        assert (rule.minimum, rule.maximum) == (prop.get("minimum"), prop.get("maximum"))
        assert rule.default == schema["properties"][name].get("default")


# --- action: provision, destroy or preview ---------------------------------------------------


@pytest.mark.parametrize("kind", sorted(DEFAULT_CATALOG))
def test_every_kind_takes_a_preview(kind: str) -> None:
    request = parse_request(
        DEFAULT_CATALOG[kind], json.dumps({**example(kind), "action": "preview"})
    )
    assert request.action == "preview"
    assert takes_preview(DEFAULT_CATALOG[kind])


def test_a_request_without_action_is_still_a_provision() -> None:
    data = example("storage")
    data.pop("action", None)
    assert parse_request(StorageRequest, json.dumps(data)).action == "provision"


def test_an_unknown_action_names_the_three_choices() -> None:
    (line,) = problems("compute", {**example("compute"), "action": "upgrade"})
    assert line.startswith("action: Input should be 'provision', 'destroy' or 'preview'")


def test_the_schema_offers_preview_and_keeps_provision_the_default() -> None:
    action = request_schema(ComputeRequest, DEFAULT_REGIONS)["properties"]["action"]
    assert (action["enum"], action["default"]) == (["provision", "destroy", "preview"], "provision")


def test_the_longest_request_id_is_what_the_pattern_allows() -> None:
    def accepted(request_id: str) -> bool:
        try:
            parse_request(
                ComputeRequest, json.dumps({**example("compute"), "request_id": request_id})
            )
        except RequestError:
            return False
        return True

    assert accepted("a" * LONGEST_REQUEST_ID)
    assert not accepted("a" * (LONGEST_REQUEST_ID + 1))


# --- expiry (ttl_hours) ----------------------------------------------------------------------


def test_a_request_without_ttl_hours_never_expires() -> None:
    assert parse_request(ComputeRequest, json.dumps(example("compute"))).ttl_hours == 0


def test_ttl_hours_within_the_environments_maximum_is_accepted() -> None:
    request = {**example("compute"), "environment": "dev", "ttl_hours": 168}
    assert parse_request(ComputeRequest, json.dumps(request)).ttl_hours == 168


def test_ttl_hours_over_the_environments_maximum_names_it() -> None:
    request = {**example("compute"), "environment": "dev", "ttl_hours": 169}
    assert problems("compute", request) == [
        "ttl_hours: Value error, must be at most 168 in dev (settings.expiry) (got 169)"
    ]


def test_prod_stacks_do_not_expire_by_default() -> None:
    request = {**example("compute"), "environment": "prod", "ttl_hours": 1}
    assert problems("compute", request) == [
        "ttl_hours: Value error, stacks in prod do not expire: leave ttl_hours out (or 0) (got 1)"
    ]


def test_the_maximum_comes_from_the_settings_given() -> None:
    request = json.dumps({**example("compute"), "environment": "prod", "ttl_hours": 12})
    parsed = parse_request(ComputeRequest, request, max_ttl_hours={"prod": 12})
    assert parsed.ttl_hours == 12
