"""Webhook bodies and what Argo Events v1.9.11 makes of each, read from its source.

Every case names the upstream function that decides it:

- refused: the webhook answers 400 and makes no event (`pkg/eventsources/sources/webhook/
  start.go`: `GetBody` with `http.MaxBytesReader`, `HandleRoute` with `json.Marshal`);
- dropped: the first data filter that fails (`pkg/sensors/dependencies/filter.go`,
  `filterData`: gjson's value, Go's regexp, float64 comparisons);
- created: the Workflow the k8s trigger creates, with every argument (`pkg/sensors/triggers/
  params.go`, `ApplyParams` and `getValueByKey`; values as gjson's `Result.String` prints them).
  A preview is created by the other trigger of the Sensor, from the preview template, as
  `<kind>-preview-<request_id>`: each trigger waits for its own dependency (`pkg/sensors/
  listener.go`, `getDependencyExpression` with `conditions`), and the two dependencies' filters
  split on the action (`filterData`; an absent action reads as the default, `provision`).

Each case also says whether `idp validate` calls the body valid. The tests hold `idp render`
to the outcome, `idp validate` to the verdict, and the validate step to both: it accepts a
created Workflow exactly when the body is valid, so a valid body never fails in the cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from events.objects import kind_sensor
from events.render import Dropped, Refused, event_from_text, render, render_all
from idp.catalog import DEFAULT_CATALOG
from idp.contract import RequestError, parse_request
from idp.manifests import Manifest
from idp.settings import Settings
from workflows.steps.errors import StepError
from workflows.steps.request import argument_env, check_arguments

CAP = Settings().webhook_max_payload_bytes
SIZE = "webhook/start.go GetBody: http.MaxBytesReader(maxPayloadSize)"
MARSHAL = "webhook/start.go HandleRoute: json.Marshal of the body (Go's JSON scanner)"
FILTER = "dependencies/filter.go filterData"
REGEXP = f"{FILTER}: regexp.Compile, Match on gjson's String() ($ is the end of the text)"
NUMBER = f"{FILTER}: number filter, gjson's Float()"
MISSING = f"{FILTER}: gjson Exists() is false"
PARAMS = "triggers/params.go ApplyParams, getValueByKey: gjson Result.String"
FIRST = "gjson.go parseObject: the first member of that name"
ROUTE = (
    "listener.go getDependencyExpression: the trigger conditioned on the dependency whose "
    "filters pass (filter.go filterData on the action)"
)
ABSENT = 'gjson.go execStatic: [body.action,!"provision"]|0 reads an absent action as provision'
COMPACT = "webhook/start.go HandleRoute: json.Marshal compacts the RawMessage, HTML-escaped"

COMPUTE = [
    ("request_id", '"0f8fad5b-d9cb-469f-a165-70867728950e"'),
    ("name", '"web-frontend"'),
    ("environment", '"dev"'),
    ("region", '"westeurope"'),
    ("resource_type", '"kubernetes"'),
    ("requester_name", '"Ada Lovelace"'),
    ("requester_email", '"ada@example.com"'),
    ("node_count", "3"),
]
COMPUTE_ARGUMENTS = {
    "request_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "name": "web-frontend",
    "environment": "dev",
    "region": "westeurope",
    "cloud_provider": "azure",
    "resource_type": "kubernetes",
    "requester_name": "Ada Lovelace",
    "requester_email": "ada@example.com",
    "action": "provision",
    "ttl_hours": "0",
    "node_count": "3",
    "vm_size": "Standard_D2s_v5",
}
DATABASE = [
    ("request_id", '"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"'),
    ("name", '"orders-db"'),
    ("environment", '"prod"'),
    ("region", '"eastus2"'),
    ("resource_type", '"postgresql"'),
    ("requester_name", '"Edsger Dijkstra"'),
    ("requester_email", '"edsger@example.com"'),
    ("storage_gb", "128"),
]
DATABASE_ARGUMENTS = {
    "request_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    "name": "orders-db",
    "environment": "prod",
    "region": "eastus2",
    "cloud_provider": "azure",
    "resource_type": "postgresql",
    "requester_name": "Edsger Dijkstra",
    "requester_email": "edsger@example.com",
    "action": "provision",
    "ttl_hours": "0",
    "sku": "",
    "storage_gb": "128",
}
STORAGE = [
    ("request_id", '"6c3a9b1e-2f4d-4e8a-9b7c-1d2e3f4a5b6c"'),
    ("name", '"reports-archive"'),
    ("environment", '"staging"'),
    ("region", '"northeurope"'),
    ("resource_type", '"fileshare"'),
    ("requester_name", '"Grace Hopper"'),
    ("requester_email", '"grace.hopper@example.com"'),
]
BASES = {"compute": COMPUTE, "database": DATABASE, "storage": STORAGE}


def body(kind: str = "compute", *, drop: tuple[str, ...] = (), first: str = "", **raw: str) -> str:
    """The kind's example as compact JSON text, with members replaced, dropped or added (raw JSON
    text, exactly as given); `first` is put before all the others."""
    members = [(k, raw.pop(k, v)) for k, v in BASES[kind] if k not in drop]
    text = ",".join(f'"{k}":{v}' for k, v in [*members, *raw.items()])
    return "{" + (first + "," if first else "") + text + "}"


@dataclass(frozen=True)
class Created:
    """The Workflow `<kind>-<request_id>` from `<kind>-provision-workflow` (a preview:
    `<kind>-preview-<request_id>` from `<kind>-preview-workflow`) with exactly these arguments
    (`request`: the body's text as the Sensor passes it; None: the body as sent)."""

    changes: dict[str, str] = field(default_factory=dict)
    request: str | None = None
    preview: bool = False


@dataclass(frozen=True)
class DroppedBy:
    path: str
    why: str = ""


@dataclass(frozen=True)
class RefusedBy:
    why: str


@dataclass(frozen=True)
class Case:
    name: str
    body: str | bytes
    outcome: Created | DroppedBy | RefusedBy
    upstream: str
    valid: bool
    kind: str = "compute"


LONG_NAME = "A" * 100
EMAIL_256 = "a" * 64 + "@" + "b" * 61 + "." + "c" * 60 + "." + "d" * 60 + ".example"
EMAIL_257 = "b" + EMAIL_256[1:].replace("@", "@b", 1)
PRETTY = json.dumps(json.loads(body()), indent="\t").replace("\n", "\r\n") + "\r\n"
DEEP = "[" * 5000 + "]" * 5000

CASES = [
    # --- created -------------------------------------------------------------------------
    Case("the example", body(), Created(), PARAMS, valid=True),
    Case(
        "pretty-printed with tabs and CRLF",
        PRETTY,
        Created(request=body()),
        COMPACT,
        valid=True,
    ),
    Case(
        "exactly the maximum payload size",
        body().ljust(CAP),
        Created(request=body()),
        SIZE,
        valid=True,
    ),
    Case(
        "unicode written as UTF-8",
        body(requester_name='"Zoë Ñúñez 山田 😀"'),
        Created({"requester_name": "Zoë Ñúñez 山田 😀"}),
        PARAMS,
        valid=True,
    ),
    Case(
        "unicode written as escapes, kept as escapes in the request",
        body(requester_name='"Zo\\u00eb \\ud83d\\ude00"'),
        Created({"requester_name": "Zoë 😀"}),
        f"{PARAMS}; gjson.go unescape",
        valid=True,
    ),
    Case(
        "HTML characters arrive escaped in the request argument",
        body(requester_name='"Ada <b> & Co"'),
        Created(
            {"requester_name": "Ada <b> & Co"},
            request=body(requester_name='"Ada \\u003cb\\u003e \\u0026 Co"'),
        ),
        COMPACT,
        valid=True,
    ),
    Case(
        "escaped quote and slash",
        body(requester_name='"Ada \\"AL\\" L\\/L"'),
        Created({"requester_name": 'Ada "AL" L/L'}),
        f"{PARAMS}; gjson.go unescape",
        valid=True,
    ),
    Case(
        "every optional field given",
        body(action='"destroy"', vm_size='"Standard_E4s_v5"', cloud_provider='"azure"'),
        Created({"action": "destroy", "vm_size": "Standard_E4s_v5"}),
        PARAMS,
        valid=True,
    ),
    Case(
        "optional fields left out take the template's defaults",
        body(drop=("node_count",)),
        Created({"node_count": "1"}),
        "triggers/params.go ResolveParamValue: the parameter's value when the key is absent",
        valid=True,
    ),
    Case(
        "100-character name",
        body(requester_name=f'"{LONG_NAME}"'),
        Created({"requester_name": LONG_NAME}),
        PARAMS,
        valid=True,
    ),
    Case(
        "256-character e-mail",
        body(requester_email=f'"{EMAIL_256}"'),
        Created({"requester_email": EMAIL_256}),
        PARAMS,
        valid=True,
    ),
    Case(
        "the database example: sku left out is empty",
        body("database"),
        Created(),
        "triggers/params.go ResolveParamValue: the parameter's value when the key is absent",
        valid=True,
        kind="database",
    ),
    Case(
        "a database sku",
        body("database", sku='"B_Standard_B1ms"'),
        Created({"sku": "B_Standard_B1ms"}),
        PARAMS,
        valid=True,
        kind="database",
    ),
    Case(
        "a field given twice: the first one counts",
        body(first='"request_id":"aaa-first"'),
        Created({"request_id": "aaa-first"}),
        FIRST,
        valid=False,
    ),
    Case(
        "a number given twice: the first one counts",
        body(first='"node_count":5'),
        Created({"node_count": "5"}),
        FIRST,
        valid=False,
    ),
    # --- the action: a request, or a preview of one ---------------------------------------
    Case("action left out: a provision", body(), Created(), ABSENT, valid=True),
    Case(
        "action provision",
        body(action='"provision"'),
        Created({"action": "provision"}),
        ROUTE,
        valid=True,
    ),
    Case(
        "action destroy",
        body(action='"destroy"'),
        Created({"action": "destroy"}),
        ROUTE,
        valid=True,
    ),
    Case(
        "action preview: the preview's Workflow",
        body(action='"preview"'),
        Created({"action": "preview"}, preview=True),
        ROUTE,
        valid=True,
    ),
    Case(
        "action preview, written first",
        body(first='"action":"preview"'),
        Created({"action": "preview"}, preview=True),
        ROUTE,
        valid=True,
    ),
    Case(
        "a database preview",
        body("database", action='"preview"', sku='"GP_Standard_D2s_v3"'),
        Created({"action": "preview", "sku": "GP_Standard_D2s_v3"}, preview=True),
        ROUTE,
        valid=True,
        kind="database",
    ),
    Case(
        "action preview, then provision: the first one counts",
        body(first='"action":"preview"', action='"provision"'),
        Created({"action": "preview"}, preview=True),
        f"{FIRST}; {ROUTE}",
        valid=False,
    ),
    Case(
        "action provision, then preview: the first one counts",
        body(first='"action":"provision"', action='"preview"'),
        Created({"action": "provision"}),
        f"{FIRST}; {ROUTE}",
        valid=False,
    ),
    Case(
        "an action the contract does not know",
        body(action='"upgrade"'),
        DroppedBy('[body.action,!"provision"]|0', "'upgrade' does not match"),
        f"{REGEXP}: on both dependencies",
        valid=False,
    ),
    Case(
        "action Preview: the choices are case-sensitive",
        body(action='"Preview"'),
        DroppedBy('[body.action,!"provision"]|0', "does not match"),
        f"{REGEXP}: on both dependencies",
        valid=False,
    ),
    Case(
        "action preview with trailing text",
        body(action='"preview\\n"'),
        DroppedBy('[body.action,!"provision"]|0', "does not match"),
        f"{REGEXP}: on both dependencies",
        valid=False,
    ),
    Case(
        "an empty action",
        body(action='""'),
        DroppedBy("body", "action must be a non-empty JSON string"),
        f"{REGEXP}: on both dependencies",
        valid=False,
    ),
    Case(
        "a null action",
        body(action="null"),
        DroppedBy("body", "action"),
        f"{REGEXP}: on both dependencies",
        valid=False,
    ),
    Case(
        "a preview with a field out of range is dropped by that field's filter",
        body(action='"preview"', node_count="0"),
        DroppedBy("[body.node_count,!1]|0", "0 is not >= 1"),
        f"{NUMBER}: the preview's dependency, the furthest the event got",
        valid=False,
    ),
    Case(
        "a preview with a bad name is dropped by the name's filter",
        body(action='"preview"', name='"Web"'),
        DroppedBy("body.name"),
        f"{REGEXP}: on both dependencies",
        valid=False,
    ),
    # --- dropped by a filter ---------------------------------------------------------------
    Case(
        "trailing newline in request_id",
        body(request_id='"abc\\n"'),
        DroppedBy("body.request_id"),
        REGEXP,
        valid=False,
    ),
    Case(
        "a field given twice, the first one bad",
        body(first='"request_id":"BAD!"'),
        DroppedBy("body.request_id"),
        FIRST,
        valid=False,
    ),
    Case(
        "3.0 for a whole number",
        body(node_count="3.0"),
        DroppedBy("body", "node_count"),
        f"{REGEXP}; the body's text keeps 3.0",
        valid=False,
    ),
    Case(
        "1e5 for a whole number",
        body(node_count="1e5"),
        DroppedBy("body", "node_count"),
        f"{REGEXP}; the body's text keeps 1e5",
        valid=False,
    ),
    Case(
        "a string for a number",
        body(node_count='"3"'),
        DroppedBy("body", "node_count"),
        REGEXP,
        valid=False,
    ),
    Case(
        "a boolean for a number",
        body(node_count="true"),
        DroppedBy("body", "node_count"),
        REGEXP,
        valid=False,
    ),
    Case(
        "a number for a string",
        body(request_id="123"),
        DroppedBy("body", "request_id"),
        f"{REGEXP}; String() of 123 would pass the request_id pattern",
        valid=False,
    ),
    Case(
        "a list for a string",
        body(region='["westeurope"]'),
        DroppedBy("body", "region"),
        REGEXP,
        valid=False,
    ),
    Case(
        "an object for a string",
        body(vm_size="{}"),
        DroppedBy("body", "vm_size"),
        REGEXP,
        valid=False,
    ),
    Case(
        "null in an optional field",
        body(vm_size="null"),
        DroppedBy("body", "vm_size"),
        f"{REGEXP}; getValueByKey would pass the text null",
        valid=False,
    ),
    Case(
        "null sku",
        body("database", sku="null"),
        DroppedBy("body", "sku"),
        REGEXP,
        valid=False,
        kind="database",
    ),
    Case(
        "empty sku",
        body("database", sku='""'),
        DroppedBy("body", "sku"),
        REGEXP,
        valid=False,
        kind="database",
    ),
    Case(
        "an unknown field", body(owner='"someone"'), DroppedBy("body", "owner"), REGEXP, valid=False
    ),
    Case(
        "a field name written with escapes",
        body(drop=("request_id",), **{"request\\u005fid": '"abc"'}),
        DroppedBy("body", "request_id"),
        REGEXP,
        valid=False,
    ),
    Case(
        "deep nesting within the webhook's limit",
        body(x=DEEP),
        DroppedBy("body", "'x'"),
        REGEXP,
        valid=False,
    ),
    Case("a list body", "[]", DroppedBy("body", "not a list"), REGEXP, valid=False),
    Case("a string body", '"text"', DroppedBy("body", "not the string"), REGEXP, valid=False),
    Case(
        "a number over the range",
        body(node_count="101"),
        DroppedBy("[body.node_count,!1]|0", "101 is not <= 100"),
        NUMBER,
        valid=False,
    ),
    Case(
        "a number under the range",
        body(node_count="0"),
        DroppedBy("[body.node_count,!1]|0", "0 is not >= 1"),
        NUMBER,
        valid=False,
    ),
    Case(
        "a storage size over the range",
        body("database", storage_gb="16385"),
        DroppedBy("[body.storage_gb,!32]|0"),
        NUMBER,
        valid=False,
        kind="database",
    ),
    Case(
        "a bad sku",
        body("database", sku='"bad-sku"'),
        DroppedBy('[body.sku,!""]|0'),
        REGEXP,
        valid=False,
        kind="database",
    ),
    Case(
        "a storage sku outside the choices",
        body("storage", sku='"Ultra_LRS"'),
        DroppedBy('[body.sku,!"Standard_LRS"]|0'),
        REGEXP,
        valid=False,
        kind="storage",
    ),
    Case(
        "missing request_id",
        body(drop=("request_id",)),
        DroppedBy("body.request_id", "field is missing"),
        MISSING,
        valid=False,
    ),
    Case(
        "a region not allowed", body(region='"mars"'), DroppedBy("body.region"), REGEXP, valid=False
    ),
    Case(
        "{{ in a name",
        body(requester_name='"Ada {{workflow.name}}"'),
        DroppedBy("body.requester_name", "matches"),
        REGEXP,
        valid=False,
    ),
    Case(
        "}} in a name",
        body(requester_name='"Ada }}"'),
        DroppedBy("body.requester_name", "matches"),
        REGEXP,
        valid=False,
    ),
    Case(
        "{{ written as escapes",
        body(requester_name='"Ada \\u007b\\u007b"'),
        DroppedBy("body.requester_name", "matches"),
        f"{REGEXP}; gjson.go unescape",
        valid=False,
    ),
    Case(
        "$( in a name (Kubernetes would expand it in the env)",
        body(requester_name='"$(AZURE_CLIENT_SECRET)"'),
        DroppedBy("body.requester_name", "matches"),
        REGEXP,
        valid=False,
    ),
    Case(
        "$ written as an escape",
        body(requester_name='"Ada \\u0024"'),
        DroppedBy("body.requester_name", "matches"),
        f"{REGEXP}; gjson.go unescape",
        valid=False,
    ),
    Case(
        "{{ in vm_size",
        body(vm_size='"Standard_{{x}}"'),
        DroppedBy('[body.vm_size,!"Standard_D2s_v5"]|0'),
        REGEXP,
        valid=False,
    ),
    Case(
        "a control character",
        body(requester_name='"Ada\\u0007"'),
        DroppedBy("body.requester_name", "does not match"),
        REGEXP,
        valid=False,
    ),
    Case(
        "a zero-width space",
        body(requester_name='"Ada\u200bLovelace"'),
        DroppedBy("body.requester_name", "does not match"),
        REGEXP,
        valid=False,
    ),
    Case(
        "a bidirectional override",
        body(requester_name='"Ada \u202eecalevoL"'),
        DroppedBy("body.requester_name", "does not match"),
        REGEXP,
        valid=False,
    ),
    Case(
        "a line separator",
        body(requester_name='"Ada\u2028"'),
        DroppedBy("body.requester_name", "does not match"),
        REGEXP,
        valid=False,
    ),
    Case(
        "only spaces",
        body(requester_name='"   "'),
        DroppedBy("body.requester_name", "does not match [^"),
        REGEXP,
        valid=False,
    ),
    Case(
        "only an ideographic space",
        body(requester_name='"\u3000"'),
        DroppedBy("body.requester_name", "does not match [^"),
        REGEXP,
        valid=False,
    ),
    Case(
        "a 101-character name",
        body(requester_name=f'"{LONG_NAME}B"'),
        DroppedBy("body.requester_name", "does not match"),
        REGEXP,
        valid=False,
    ),
    Case(
        "a 257-character e-mail",
        body(requester_email=f'"{EMAIL_257}"'),
        DroppedBy("body.requester_email", "(?s)^.{0,256}$"),
        REGEXP,
        valid=False,
    ),
    Case(
        "bytes that are not UTF-8",
        body(requester_name='"Ada \udcff"').encode("utf-8", "surrogateescape"),
        DroppedBy("body", "U+FFFD"),
        f"{REGEXP}: Go reads a bad byte as U+FFFD",
        valid=False,
    ),
    Case(
        "the replacement character",
        body(requester_name='"Ada \ufffd"'),
        DroppedBy("body", "U+FFFD"),
        REGEXP,
        valid=False,
    ),
    Case(
        "the replacement character as an escape",
        body(requester_name='"Ada \\ufffd"'),
        DroppedBy("body.requester_name"),
        REGEXP,
        valid=False,
    ),
    Case(
        "a lone surrogate escape",
        body(requester_name='"Ada \\ud800"'),
        DroppedBy("body.requester_name"),
        f"{REGEXP}; gjson.go unescape gives U+FFFD",
        valid=False,
    ),
    # --- refused by the webhook -------------------------------------------------------------
    Case(
        "one byte over the maximum payload size",
        body().ljust(CAP + 1),
        RefusedBy("maxPayloadSize"),
        SIZE,
        valid=False,
    ),
    Case("NaN", body(node_count="NaN"), RefusedBy("NaN"), MARSHAL, valid=False),
    Case("Infinity", body(node_count="Infinity"), RefusedBy("Infinity"), MARSHAL, valid=False),
    Case("-Infinity", body(node_count="-Infinity"), RefusedBy("Infinity"), MARSHAL, valid=False),
    Case(
        "a UTF-8 byte order mark",
        "\ufeff" + body(),
        RefusedBy("byte order mark"),
        MARSHAL,
        valid=False,
    ),
    Case("UTF-16", body().encode("utf-16"), RefusedBy("UTF-16"), MARSHAL, valid=False),
    Case(
        "UTF-16 without a byte order mark",
        body().encode("utf-16-le"),
        RefusedBy("UTF-16"),
        MARSHAL,
        valid=False,
    ),
    Case("UTF-32", body().encode("utf-32"), RefusedBy("UTF-32"), MARSHAL, valid=False),
    Case(
        "a raw tab inside a string",
        body(requester_name='"Ada\tLovelace"'),
        RefusedBy("control character"),
        MARSHAL,
        valid=False,
    ),
    Case(
        "nesting deeper than Go's 10,000",
        body(x="[" * 10_001 + "]" * 10_001),
        RefusedBy("nested more than 10000"),
        MARSHAL,
        valid=False,
    ),
    Case("an empty body", "", RefusedBy("unexpected end"), MARSHAL, valid=False),
    Case("YAML", "name: web", RefusedBy("unexpected 'n'"), MARSHAL, valid=False),
]


@pytest.fixture(scope="module")
def sensors() -> dict[str, Manifest]:
    return {kind: kind_sensor(DEFAULT_CATALOG[kind], Settings()) for kind in BASES}


def expected_name(case: Case, request_id: str) -> tuple[str, str]:
    """The Workflow's name and the WorkflowTemplate it runs from."""
    assert isinstance(case.outcome, Created)
    if case.outcome.preview:
        return f"{case.kind}-preview-{request_id}", f"{case.kind}-preview-workflow"
    return f"{case.kind}-{request_id}", f"{case.kind}-provision-workflow"


def arguments_of(workflow: Manifest) -> dict[str, str]:
    return {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}


def expected_arguments(case: Case) -> dict[str, str]:
    assert isinstance(case.outcome, Created)
    base = {"compute": COMPUTE_ARGUMENTS, "database": DATABASE_ARGUMENTS}[case.kind]
    request = case.outcome.request if case.outcome.request is not None else case.body
    assert isinstance(request, str)
    return {**base, **case.outcome.changes, "request": request}


def as_text(body: str | bytes) -> bytes:
    return body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_render_predicts_what_argo_events_does(case: Case, sensors: dict[str, Manifest]) -> None:
    sensor = sensors[case.kind]
    outcome = case.outcome
    if isinstance(outcome, RefusedBy):
        with pytest.raises(Refused, match=outcome.why):
            render(sensor, event_from_text(as_text(case.body), max_bytes=CAP))
    elif isinstance(outcome, DroppedBy):
        with pytest.raises(Dropped) as caught:
            render(sensor, event_from_text(as_text(case.body), max_bytes=CAP))
        assert not isinstance(caught.value, Refused), caught.value
        assert str(caught.value).startswith(f"filter {outcome.path}: "), caught.value
        assert outcome.why in str(caught.value)
    else:
        workflow = render(sensor, event_from_text(as_text(case.body), max_bytes=CAP))
        arguments = arguments_of(workflow)
        assert arguments == expected_arguments(case)
        name, template = expected_name(case, arguments["request_id"])
        assert workflow["metadata"]["name"] == name
        assert workflow["spec"]["workflowTemplateRef"] == {"name": template}


@pytest.mark.parametrize(
    "case", [c for c in CASES if not isinstance(c.outcome, RefusedBy)], ids=lambda c: c.name
)
def test_no_body_fires_both_triggers(case: Case, sensors: dict[str, Manifest]) -> None:
    event = event_from_text(as_text(case.body), max_bytes=CAP)
    try:
        created = render_all([sensors[case.kind]], event)
    except Dropped:
        created = []
    assert len(created) == (1 if isinstance(case.outcome, Created) else 0)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_idp_validate_gives_the_expected_verdict(case: Case) -> None:
    model, regions = DEFAULT_CATALOG[case.kind], Settings().allowed_regions
    try:
        parse_request(model, as_text(case.body), regions, max_bytes=CAP)
    except RequestError:
        assert not case.valid
    else:
        assert case.valid


@pytest.mark.parametrize(
    "case", [c for c in CASES if isinstance(c.outcome, Created)], ids=lambda case: case.name
)
def test_the_validate_step_accepts_a_created_workflow_exactly_when_the_body_is_valid(
    case: Case, sensors: dict[str, Manifest]
) -> None:
    workflow = render(sensors[case.kind], event_from_text(as_text(case.body), max_bytes=CAP))
    arguments = arguments_of(workflow)
    try:
        request = parse_request(DEFAULT_CATALOG[case.kind], arguments.pop("request"))
        check_arguments(request, {argument_env(k): v for k, v in arguments.items()})
    except (RequestError, StepError):
        assert not case.valid
    else:
        assert case.valid


def test_every_valid_body_is_created() -> None:
    assert all(isinstance(case.outcome, Created) for case in CASES if case.valid)


def test_every_case_names_its_upstream_function() -> None:
    assert all(".go " in case.upstream for case in CASES)


def test_the_long_cases_are_as_long_as_they_say() -> None:
    assert (len(EMAIL_256), len(EMAIL_257), len(LONG_NAME)) == (256, 257, 100)
