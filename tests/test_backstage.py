"""`idp backstage KIND`: a Software Template whose form is the kind's request contract, whose
step POSTs the request through Backstage's proxy, and the proxy snippet that holds no token.

The template is checked against the official Template schema (tests.scaffolder), and what it
would POST is rendered as the scaffolder renders it and given to `idp validate`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from jsonschema import Draft7Validator

from idp import backstage
from idp.argo.status import ui_link
from idp.catalog import DEFAULT_CATALOG
from idp.cli import main
from idp.compile import MARKER, compile_to
from idp.contract import ComputeRequest, RequestBase
from idp.errors import EXIT_FAILURE, EXIT_USAGE
from idp.settings import Settings
from tests.scaffolder import render, schema_errors

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "requests"
KINDS = tuple(DEFAULT_CATALOG)
ARGO_UI = "https://argo.example.test"
ADA = {"spec": {"profile": {"displayName": "Ada Lovelace", "email": "ada@example.com"}}}


class NoPreviewComputeRequest(ComputeRequest):
    """An AKS cluster or a Linux VM, of a catalog whose kind takes no preview (it narrows
    `action`, as `idp.contract.takes_preview` reads it)."""

    action: Literal["provision", "destroy"] = "provision"


@pytest.fixture(autouse=True)
def plain_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No IDP_* setting of this machine reaches the commands; the Argo UI is a real-looking URL."""
    for name in list(os.environ):
        if name.startswith("IDP_") and "UPSTREAM_SCHEMAS" not in name:
            monkeypatch.delenv(name)
    monkeypatch.setenv("IDP_ARGO_UI_URL", ARGO_UI)
    yield


@pytest.fixture
def settings() -> Settings:
    return Settings.model_validate({"argo_ui_url": ARGO_UI})


def example(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text())
    return data


def form_values(template: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """What the form holds when a developer asks for `request`: the form's defaults (the form
    fills them in), then what they type: everything but the generated request_id."""
    defaults = {
        name: prop["default"]
        for page in template["spec"]["parameters"]
        for name, prop in page["properties"].items()
        if "default" in prop
    }
    return defaults | {k: v for k, v in request.items() if k != "request_id"}


def context(
    parameters: dict[str, Any], task_id: str, user: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The scaffolder's template context: the form's values, the task, the signed-in user."""
    return {
        "parameters": parameters,
        "context": {"task": {"id": task_id}},
        "user": {"entity": user} if user is not None else {},
    }


def step(template: dict[str, Any]) -> dict[str, Any]:
    (only,) = template["spec"]["steps"]
    assert isinstance(only, dict)
    return only


def posted(template: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any] | None:
    """The body the step POSTs in `ctx`, or None when its condition skips it."""
    rendered = render(step(template), ctx)
    if rendered.get("if") is False:
        return None
    body: dict[str, Any] = rendered["input"]["body"]
    return body


def shown(template: dict[str, Any], ctx: dict[str, Any], part: str) -> list[dict[str, Any]]:
    """The output links or texts the task shows in `ctx` (an `if` that is false hides one)."""
    items = render(template["spec"]["output"], ctx)[part]
    return [item for item in items if item.get("if", True) is not False]


def validate(tmp_path: Path, kind: str, body: dict[str, Any], *catalog: str) -> int:
    path = tmp_path / f"{kind}-body.json"
    path.write_text(json.dumps(body))
    return main([*catalog, "validate", kind, str(path)])


def pages(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {page["title"]: page for page in template["spec"]["parameters"]}


# -- the official schema


@pytest.mark.parametrize("kind", KINDS)
def test_each_kinds_template_passes_the_official_template_schema_strictly(
    kind: str, settings: Settings
) -> None:
    assert schema_errors(backstage.template(DEFAULT_CATALOG[kind], settings)) == []


def test_the_strict_check_refuses_a_key_the_schema_does_not_name(settings: Settings) -> None:
    template = backstage.template(DEFAULT_CATALOG["compute"], settings)
    template["spec"]["stpes"] = []
    step(template)["inputs"] = {}
    del step(template)["action"]
    errors = schema_errors(template)
    assert any(e.startswith("spec: Additional properties") and "stpes" in e for e in errors)
    assert any(e.startswith("spec.steps.0: Additional properties") for e in errors)
    assert "spec.steps.0: 'action' is a required property" in errors


def test_the_template_without_a_preview_passes_the_schema_too(settings: Settings) -> None:
    assert schema_errors(backstage.template(NoPreviewComputeRequest, settings)) == []


def test_the_compiled_location_passes_the_entity_schema() -> None:
    assert schema_errors(backstage.location(DEFAULT_CATALOG), "Entity") == []


# -- what the step POSTs


def asked(
    model: type[RequestBase],
    settings: Settings,
    request: dict[str, Any],
    *,
    left_empty: tuple[str, ...] = (),
    user: dict[str, Any] | None = None,
    **typed: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The template, and the context of a task started from its form filled in for `request`
    (with `typed` changes and the `left_empty` fields cleared)."""
    template = backstage.template(model, settings)
    values = form_values(template, request) | typed
    for name in left_empty:
        del values[name]
    return template, context(values, request["request_id"], user)


@pytest.mark.parametrize("kind", KINDS)
def test_the_body_filled_with_the_kinds_example_passes_idp_validate(
    kind: str, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = example(kind)
    template, ctx = asked(DEFAULT_CATALOG[kind], settings, request)
    body = posted(template, ctx)
    assert body is not None
    assert body == ctx["parameters"] | {"request_id": request["request_id"]}
    assert validate(tmp_path, kind, body) == 0, capsys.readouterr().err


def test_the_request_id_is_the_scaffolder_tasks_id(settings: Settings) -> None:
    request = example("storage") | {"request_id": "5a9e64bb-7c43-4f0e-9a41-0c2b8f3c2d11"}
    body = posted(*asked(DEFAULT_CATALOG["storage"], settings, request))
    assert body is not None
    assert body["request_id"] == "5a9e64bb-7c43-4f0e-9a41-0c2b8f3c2d11"


def test_a_requester_left_empty_comes_from_the_signed_in_users_profile(
    settings: Settings, tmp_path: Path
) -> None:
    template, ctx = asked(
        DEFAULT_CATALOG["compute"],
        settings,
        example("compute"),
        left_empty=("requester_name", "requester_email"),
        user=ADA,
    )
    body = posted(template, ctx)
    assert body is not None
    assert (body["requester_name"], body["requester_email"]) == ("Ada Lovelace", "ada@example.com")
    assert validate(tmp_path, "compute", body) == 0


def test_what_the_developer_types_wins_over_the_profile(settings: Settings) -> None:
    template, ctx = asked(
        DEFAULT_CATALOG["compute"],
        settings,
        example("compute"),
        user=ADA,
        requester_email="ops@example.com",
    )
    body = posted(template, ctx)
    assert body is not None
    assert body["requester_email"] == "ops@example.com"


def test_without_any_requester_nothing_is_sent_and_the_output_says_why(
    settings: Settings,
) -> None:
    template, ctx = asked(
        DEFAULT_CATALOG["compute"],
        settings,
        example("compute"),
        left_empty=("requester_email",),
        user={"metadata": {"name": "guest"}},
    )
    assert posted(template, ctx) is None
    assert [t["title"] for t in shown(template, ctx, "text")] == ["Not sent"]
    assert shown(template, ctx, "links") == []


def test_an_optional_field_left_empty_is_left_out_of_the_body(
    settings: Settings, tmp_path: Path
) -> None:
    request = example("database")
    assert "sku" not in request
    body = posted(*asked(DEFAULT_CATALOG["database"], settings, request))
    assert body is not None
    assert "sku" not in body
    assert validate(tmp_path, "database", body) == 0


def test_the_step_posts_json_to_the_kinds_endpoint_through_the_proxy(
    settings: Settings,
) -> None:
    template = backstage.template(DEFAULT_CATALOG["database"], settings)
    action = step(template)
    assert action["action"] == "http:backstage:request"
    assert action["input"]["method"] == "POST"
    assert action["input"]["path"] == "/proxy/idp-webhook/database"
    assert action["input"]["headers"] == {"content-type": "application/json"}


@pytest.mark.parametrize("kind", KINDS)
def test_no_token_and_no_authorization_is_in_the_template(kind: str, settings: Settings) -> None:
    text = yaml.safe_dump(backstage.template(DEFAULT_CATALOG[kind], settings)).lower()
    assert "authorization" not in text
    assert "bearer" not in text
    assert "token" not in text


# -- the form


def test_the_form_has_what_where_who_and_run_pages(settings: Settings) -> None:
    found = pages(backstage.template(DEFAULT_CATALOG["compute"], settings))
    assert {title: list(page["properties"]) for title, page in found.items()} == {
        "What": ["resource_type", "node_count", "vm_size"],
        "Where": ["name", "environment", "region", "ttl_hours"],
        "Who": ["requester_name", "requester_email"],
        "Run": ["action"],
    }
    assert "required" not in found["Who"]  # the signed-in user's profile fills them in


def test_the_form_offers_the_platforms_allowed_values() -> None:
    settings = Settings.model_validate({"allowed_regions": ["uksouth", "swedencentral"]})
    found = pages(backstage.template(DEFAULT_CATALOG["storage"], settings))
    where, what = found["Where"]["properties"], found["What"]["properties"]
    assert where["region"]["enum"] == ["uksouth", "swedencentral"]
    assert where["environment"]["enum"] == ["dev", "test", "staging", "prod"]
    assert what["resource_type"]["enum"] == ["blob", "fileshare"]
    assert what["sku"]["enum"] == ["Standard_LRS", "Standard_GRS", "Standard_ZRS", "Premium_LRS"]
    assert what["sku"]["default"] == "Standard_LRS"
    assert where["name"]["pattern"] == "^[a-z][a-z0-9-]{1,22}[a-z0-9]$"


@pytest.mark.parametrize("kind", KINDS)
def test_every_page_is_a_json_schema_the_example_satisfies(kind: str, settings: Settings) -> None:
    template, ctx = asked(DEFAULT_CATALOG[kind], settings, example(kind))
    values = ctx["parameters"]
    for page in template["spec"]["parameters"]:
        Draft7Validator.check_schema(page)
        answers = {k: v for k, v in values.items() if k in page["properties"]}
        assert list(Draft7Validator(page).iter_errors(answers)) == [], page["title"]


@pytest.mark.parametrize(
    ("environment", "ttl_hours", "accepted"),
    [("dev", 168, True), ("dev", 169, False), ("staging", 720, True), ("prod", 1, False)],
)
def test_the_form_holds_ttl_hours_to_the_environments_limit(
    settings: Settings, environment: str, ttl_hours: int, accepted: bool
) -> None:
    where = pages(backstage.template(DEFAULT_CATALOG["compute"], settings))["Where"]
    answers = {
        "name": "web-frontend",
        "environment": environment,
        "region": "westeurope",
        "ttl_hours": ttl_hours,
    }
    assert Draft7Validator(where).is_valid(answers) is accepted


# -- preview, which the contract offers unless a kind narrows `action`


def test_without_preview_in_the_contract_no_preview_is_offered(settings: Settings) -> None:
    template = backstage.template(NoPreviewComputeRequest, settings)
    action = pages(template)["Run"]["properties"]["action"]
    assert (action["enum"], action["default"]) == (["provision", "destroy"], "provision")
    assert "preview" not in yaml.safe_dump(template["spec"]["output"])


def test_with_preview_in_the_contract_the_form_offers_it_first_and_by_default(
    settings: Settings,
) -> None:
    template = backstage.template(DEFAULT_CATALOG["compute"], settings)
    action = pages(template)["Run"]["properties"]["action"]
    assert (action["enum"], action["default"]) == (["preview", "provision", "destroy"], "preview")


def test_a_preview_posts_action_preview_and_links_to_the_preview_run(
    settings: Settings, tmp_path: Path
) -> None:
    request = example("compute")
    template, ctx = asked(DEFAULT_CATALOG["compute"], settings, request, action="preview")
    body = posted(template, ctx)
    assert body is not None
    assert body["action"] == "preview"
    assert validate(tmp_path, "compute", body) == 0
    name = f"compute-preview-{request['request_id']}"
    assert [link["url"] for link in shown(template, ctx, "links")] == [
        ui_link(ARGO_UI, settings.namespace, name)
    ]


def test_after_the_preview_a_provision_links_to_the_run(settings: Settings) -> None:
    request = example("compute")
    template, ctx = asked(DEFAULT_CATALOG["compute"], settings, request, action="provision")
    assert [link["url"] for link in shown(template, ctx, "links")] == [
        ui_link(ARGO_UI, settings.namespace, f"compute-{request['request_id']}")
    ]


def test_the_command_reads_the_actions_from_the_catalogs_model(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["backstage", "compute"]) == 0
    template = yaml.safe_load(capsys.readouterr().out)
    assert pages(template)["Run"]["properties"]["action"]["default"] == "preview"


# -- the output


@pytest.mark.parametrize("kind", KINDS)
def test_the_output_links_to_the_run_in_the_argo_ui(kind: str, settings: Settings) -> None:
    request = example(kind)
    links = shown(*asked(DEFAULT_CATALOG[kind], settings, request, action="provision"), "links")
    assert [link["url"] for link in links] == [
        f"{ARGO_UI}/workflows/{settings.namespace}/{kind}-{request['request_id']}"
    ]


# -- the proxy snippet


def test_the_proxy_snippet_names_the_webhook_and_a_variable_for_the_token() -> None:
    settings = Settings.model_validate({"namespace": "platform"})
    endpoint = backstage.proxy_snippet(settings)["proxy"]["endpoints"]["/idp-webhook"]
    assert endpoint == {
        "target": "http://webhook-eventsource-svc.platform.svc:12000",
        "allowedMethods": ["POST"],
        "headers": {"Authorization": "Bearer ${IDP_WEBHOOK_TOKEN}"},
    }


def test_the_proxy_snippet_targets_the_webhook_service_url_when_set() -> None:
    settings = Settings.model_validate({"webhook_service_url": "https://hooks.example.org"})
    endpoint = backstage.proxy_snippet(settings)["proxy"]["endpoints"]["/idp-webhook"]
    assert endpoint["target"] == "https://hooks.example.org"


def test_a_token_in_the_environment_never_reaches_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN", "s3cr3t-webhook-token")
    out, snippet = tmp_path / "template.yaml", tmp_path / "proxy.yaml"
    assert main(["backstage", "storage", "--out", str(out), "--proxy-snippet", str(snippet)]) == 0
    printed = capsys.readouterr()
    for text in (out.read_text(), snippet.read_text(), printed.out, printed.err):
        assert "s3cr3t" not in text
    assert "Bearer ${IDP_WEBHOOK_TOKEN}" in snippet.read_text()


# -- the command


def test_the_command_prints_the_template_and_the_snippet_apart(
    capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    assert main(["backstage", "compute"]) == 0
    printed = capsys.readouterr()
    assert yaml.safe_load(printed.out) == backstage.template(DEFAULT_CATALOG["compute"], settings)
    snippet = printed.err.split("\n", 1)[1]
    assert yaml.safe_load(snippet) == backstage.proxy_snippet(settings)


def test_the_command_writes_both_files_and_prints_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    out, snippet = tmp_path / "template.yaml", tmp_path / "proxy.yaml"
    assert main(["backstage", "compute", "--out", str(out), "--proxy-snippet", str(snippet)]) == 0
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err == f"wrote {out}\nwrote {snippet}\n"
    assert yaml.safe_load(out.read_text()) == backstage.template(ComputeRequest, settings)
    assert yaml.safe_load(snippet.read_text()) == backstage.proxy_snippet(settings)


def test_an_unknown_kind_is_one_line_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["backstage", "network"]) == EXIT_USAGE
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err == (
        "idp: kind: unknown kind 'network'; known kinds: compute, database, storage\n"
    )


def test_a_file_that_cannot_be_written_is_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snippet, out = tmp_path / "proxy.yaml", tmp_path / "missing" / "template.yaml"
    code = main(["backstage", "compute", "--out", str(out), "--proxy-snippet", str(snippet)])
    assert code == EXIT_FAILURE
    assert capsys.readouterr().err == f"idp: {out}: No such file or directory\n"
    assert list(tmp_path.iterdir()) == []


def test_the_same_file_for_both_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "both.yaml")
    assert main(["backstage", "compute", "--out", path, "--proxy-snippet", path]) == EXIT_USAGE
    assert capsys.readouterr().err == "idp: --proxy-snippet: the same file as --out; name another\n"
    assert list(tmp_path.iterdir()) == []


def test_the_placeholder_argo_ui_is_noted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("IDP_ARGO_UI_URL")
    assert main(["backstage", "compute"]) == 0
    assert "idp: note: settings.argo_ui_url: " in capsys.readouterr().err


# -- idp compile


def test_compile_writes_no_backstage_files_by_default(tmp_path: Path, settings: Settings) -> None:
    compile_to(tmp_path / "dist", settings)
    assert not (tmp_path / "dist" / "backstage").exists()


def test_compile_writes_them_beside_the_objects_when_the_setting_asks(
    tmp_path: Path, settings: Settings
) -> None:
    plain, with_templates = tmp_path / "plain", tmp_path / "with"
    compile_to(plain, settings)
    compile_to(with_templates, settings.model_copy(update={"backstage_templates": True}))
    folder = with_templates / "backstage"
    assert sorted(p.name for p in folder.iterdir()) == [
        "app-config.idp.yaml",
        "catalog-info.yaml",
        "template-compute.yaml",
        "template-database.yaml",
        "template-storage.yaml",
    ]
    # the same objects; only the marker lists the templates too
    objects = {p.name: p.read_bytes() for p in plain.iterdir() if p.name != MARKER}
    written = {p.name: p.read_bytes() for p in with_templates.iterdir() if p.is_file()}
    assert {name: data for name, data in written.items() if name != MARKER} == objects
    assert yaml.safe_load((folder / "template-storage.yaml").read_text()) == (
        backstage.template(DEFAULT_CATALOG["storage"], settings)
    )


def test_the_compiled_location_lists_every_template(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "dist"
    compile_to(out, settings.model_copy(update={"backstage_templates": True}))
    location = yaml.safe_load((out / "backstage" / "catalog-info.yaml").read_text())
    for target in location["spec"]["targets"]:
        assert yaml.safe_load((out / "backstage" / target).read_text())["kind"] == "Template"


def test_the_setting_can_be_turned_on_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDP_BACKSTAGE_TEMPLATES", "true")
    assert main(["compile", "--out", str(tmp_path / "dist")]) == 0
    assert (tmp_path / "dist" / "backstage" / "template-compute.yaml").is_file()
