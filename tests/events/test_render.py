"""`idp render`: a request walks through the compiled Sensor as Argo Events would take it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from events.objects import kind_sensor
from events.render import Dropped, event_from_text, render
from idp.catalog import DEFAULT_CATALOG, argument_defaults
from idp.cli import main
from idp.settings import Settings
from tests.upstream import conformance_errors

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "requests"
KINDS = sorted(DEFAULT_CATALOG)


def example_text(kind: str) -> str:
    return (EXAMPLES / f"{kind}.json").read_text()


def arguments_of(workflow: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}


@pytest.fixture(scope="module")
def sensors() -> dict[str, dict[str, Any]]:
    settings = Settings.model_validate({})
    return {kind: kind_sensor(DEFAULT_CATALOG[kind], settings) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_example_request_renders_a_workflow_that_passes_the_strict_schema(
    kind: str, sensors: dict[str, dict[str, Any]]
) -> None:
    workflow = render(sensors[kind], event_from_text(example_text(kind)))
    assert conformance_errors(workflow) == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_argument_carries_the_request_value_or_the_model_default(
    kind: str, sensors: dict[str, dict[str, Any]]
) -> None:
    body = json.loads(example_text(kind))
    workflow = render(sensors[kind], event_from_text(example_text(kind)))
    expected = {
        name: str(body[name]) if name in body else default
        for name, default in argument_defaults(DEFAULT_CATALOG[kind]).items()
    }
    arguments = arguments_of(workflow)
    assert json.loads(arguments.pop("request")) == body
    assert arguments == expected


def test_field_order_of_the_body_does_not_matter(sensors: dict[str, dict[str, Any]]) -> None:
    body = json.loads(example_text("database"))
    reordered = json.dumps(dict(reversed(list(body.items()))))
    first = arguments_of(render(sensors["database"], event_from_text(example_text("database"))))
    second = arguments_of(render(sensors["database"], event_from_text(reordered)))
    first.pop("request")
    second.pop("request")
    assert first == second
    assert (first["region"], first["environment"]) == ("eastus2", "prod")


def test_workflow_is_named_after_kind_and_request_id(sensors: dict[str, dict[str, Any]]) -> None:
    workflow = render(sensors["compute"], event_from_text(example_text("compute")))
    assert workflow["metadata"]["name"] == "compute-0f8fad5b-d9cb-469f-a165-70867728950e"
    assert workflow["spec"]["workflowTemplateRef"] == {"name": "compute-provision-workflow"}


def test_duplicate_delivery_renders_the_same_workflow_name(
    sensors: dict[str, dict[str, Any]],
) -> None:
    text = example_text("storage")
    again = json.dumps(dict(reversed(list(json.loads(text).items()))))
    first = render(sensors["storage"], event_from_text(text))
    retried = render(
        sensors["storage"],
        event_from_text(again, header={"X-Retry": ["1"], "Content-Type": ["application/json"]}),
    )
    assert first["metadata"]["name"] == retried["metadata"]["name"]
    assert first["metadata"]["name"] == "storage-6c3a9b1e-2f4d-4e8a-9b7c-1d2e3f4a5b6c"


@pytest.mark.parametrize(
    ("change", "filter_path"),
    [
        ({"request_id": None}, "body.request_id"),
        ({"name": "web; rm -rf /"}, "body.name"),
        ({"name": "web$(reboot)"}, "body.name"),
        ({"region": "mars-central"}, "body.region"),
        ({"environment": "production"}, "body.environment"),
        ({"request_id": "UPPER-case"}, "body.request_id"),
    ],
)
def test_malformed_requests_are_dropped_by_the_named_filter(
    change: dict[str, Any], filter_path: str, sensors: dict[str, dict[str, Any]]
) -> None:
    body = json.loads(example_text("compute"))
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    with pytest.raises(Dropped, match=f"filter {filter_path}"):
        render(sensors["compute"], event_from_text(json.dumps(body)))


def test_patterns_are_anchored_so_a_valid_prefix_does_not_pass(
    sensors: dict[str, dict[str, Any]],
) -> None:
    body = {**json.loads(example_text("compute")), "environment": "dev-and-more"}
    with pytest.raises(Dropped, match=r"body\.environment"):
        render(sensors["compute"], event_from_text(json.dumps(body)))


def test_cli_render_prints_the_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "storage", str(EXAMPLES / "storage.json")]) == 0
    workflow = yaml.safe_load(capsys.readouterr().out)
    assert arguments_of(workflow)["quota_gb"] == "250"


def test_cli_render_exits_3_naming_the_filter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {**json.loads(example_text("compute")), "region": "moon"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(body))
    assert main(["render", "compute", str(path)]) == 3
    err = capsys.readouterr().err
    assert "dropped by compute's sensor: filter body.region: 'moon' does not match" in err


def test_cli_render_notes_what_the_validate_step_will_reject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no filter can see a key given twice: the Sensor passes it, the validate step refuses it
    path = tmp_path / "twice.json"
    path.write_text(example_text("compute").replace("{", '{"name": "other-name",', 1))
    assert main(["render", "compute", str(path)]) == 0
    assert "note: the validate step will fail: name: given more than once" in (
        capsys.readouterr().err
    )


def preview_text(kind: str) -> str:
    return json.dumps({**json.loads(example_text(kind)), "action": "preview"})


@pytest.mark.parametrize("kind", KINDS)
def test_a_preview_renders_its_own_workflow_from_the_preview_template(
    kind: str, sensors: dict[str, dict[str, Any]]
) -> None:
    request = render(sensors[kind], event_from_text(example_text(kind)))
    preview = render(sensors[kind], event_from_text(preview_text(kind)))
    request_id = json.loads(example_text(kind))["request_id"]
    assert preview["metadata"]["name"] == f"{kind}-preview-{request_id}"
    assert request["metadata"]["name"] == f"{kind}-{request_id}"  # both run: neither is refused
    assert preview["spec"]["workflowTemplateRef"] == {"name": f"{kind}-preview-workflow"}
    assert arguments_of(preview)["action"] == "preview"
    assert conformance_errors(preview) == []


def test_idp_render_prints_the_preview_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "preview.json"
    body.write_text(preview_text("compute"))
    assert main(["render", "compute", str(body)]) == 0
    workflow = yaml.safe_load(capsys.readouterr().out)
    assert workflow["metadata"]["name"] == "compute-preview-0f8fad5b-d9cb-469f-a165-70867728950e"
    assert workflow["spec"]["workflowTemplateRef"] == {"name": "compute-preview-workflow"}
