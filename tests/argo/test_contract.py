"""The fake's checker itself: it must reject what the Argo Server's spec does not allow.

Without these, a checker that accepts everything would let every other test pass.
"""

from __future__ import annotations

import json

import pytest
import requests

from idp.compile import build
from idp.settings import Settings
from tests.argo.contract import Contract, contract
from tests.argo.fake_argo import FakeArgo

JSON = "application/json"


@pytest.fixture(scope="module")
def spec() -> Contract:
    return contract()


def problems(
    spec: Contract, method: str, path: str, body: object = None, **query: str
) -> list[str]:
    raw = json.dumps(body).encode() if body is not None else b""
    return spec.check(method, path, {k: [v] for k, v in query.items()}, raw, JSON)[1]


def test_every_compiled_argo_object_is_a_valid_create_body(spec: Contract) -> None:
    paths = {
        "WorkflowTemplate": ("/api/v1/workflow-templates/ns", "template"),
        "EventSource": ("/api/v1/event-sources/ns", "eventSource"),
        "Sensor": ("/api/v1/sensors/ns", "sensor"),
    }
    for manifest in build(Settings.model_validate({})):
        if manifest["kind"] in paths:
            path, key = paths[manifest["kind"]]
            assert problems(spec, "POST", path, {key: manifest}) == []


def test_a_path_the_spec_lacks_is_a_violation(spec: Contract) -> None:
    assert problems(spec, "GET", "/api/v2/workflows/ns") == [
        "GET /api/v2/workflows/ns: no path of the spec matches"
    ]


def test_a_method_the_path_lacks_is_a_violation(spec: Contract) -> None:
    assert problems(spec, "PATCH", "/api/v1/workflows/ns/name") == [
        "PATCH /api/v1/workflows/ns/name: the spec has no PATCH for this path"
    ]


def test_an_undeclared_query_parameter_is_a_violation(spec: Contract) -> None:
    assert problems(spec, "GET", "/api/v1/workflows/ns/name", force="true") == [
        "GET /api/v1/workflows/{namespace}/{name}: query parameter 'force' is not declared"
    ]


def test_a_body_on_a_get_is_a_violation(spec: Contract) -> None:
    found = problems(spec, "GET", "/api/v1/workflows/ns/name", {"a": 1})
    assert found == [
        "GET /api/v1/workflows/{namespace}/{name}: the operation takes no body, got 8 bytes"
    ]


def test_a_body_field_the_schema_lacks_is_a_violation(spec: Contract) -> None:
    found = problems(spec, "PUT", "/api/v1/workflows/ns/name/resume", {"nodeSelector": "id=x"})
    assert found == [
        "PUT /api/v1/workflows/{namespace}/{name}/resume: body.(root): Additional properties are "
        "not allowed ('nodeSelector' was unexpected)"
    ]


def test_output_parameters_must_be_a_json_string_not_an_object(spec: Contract) -> None:
    body = {"nodeFieldSelector": "id=x", "outputParameters": {"approve": "YES"}}
    found = problems(spec, "PUT", "/api/v1/workflows/ns/name/set", body)
    assert len(found) == 1
    assert "body.outputParameters: {'approve': 'YES'} is not of type 'string'" in found[0]


def test_a_webhook_nested_as_hera_events_models_nest_it_is_a_violation(spec: Contract) -> None:
    event_source = {
        "metadata": {"name": "webhook"},
        "spec": {"webhook": {"compute": {"webhookContext": {"endpoint": "/compute"}}}},
    }
    found = problems(spec, "POST", "/api/v1/event-sources/ns", {"eventSource": event_source})
    assert any("'webhookContext' was unexpected" in problem for problem in found)


def test_a_request_the_spec_does_not_allow_is_recorded_by_the_fake(fake: FakeArgo) -> None:
    response = requests.get(f"{fake.url}/api/v1/workflows/ns/name?bogus=1", timeout=5)
    assert response.status_code == 400
    assert fake.violations == [
        "GET /api/v1/workflows/{namespace}/{name}: query parameter 'bogus' is not declared"
    ]
    fake.violations.clear()  # recorded as it should be; the fixture must not fail this test


def test_the_log_options_must_have_their_declared_types(spec: Contract) -> None:
    query = {"logOptions.follow": "yes", "podName": "wf-plan-1"}
    assert problems(spec, "GET", "/api/v1/workflows/ns/wf/log", **query) == [
        "GET /api/v1/workflows/{namespace}/{name}/log: logOptions.follow='yes' is not a boolean"
    ]


def test_the_workflow_events_take_list_options_and_fields(spec: Contract) -> None:
    query = {"listOptions.fieldSelector": "metadata.name=wf", "fields": "result.type"}
    assert problems(spec, "GET", "/api/v1/workflow-events/ns", **query) == []


def test_a_list_option_the_spec_lacks_is_a_violation(spec: Contract) -> None:
    assert problems(spec, "GET", "/api/v1/workflows/ns", **{"listOptions.selector": "a=b"}) == [
        "GET /api/v1/workflows/{namespace}: query parameter 'listOptions.selector' is not declared"
    ]
