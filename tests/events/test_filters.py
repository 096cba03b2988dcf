"""The Sensor's filters accept every request the contract accepts, and each is one `idp render`
predicts exactly (events.filters, events.sensors.check)."""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from events.filters import CONTROL, INVISIBLE, SPACES, contract_pattern
from events.objects import kind_sensor
from events.render import event_from_text, render
from events.sensors import SensorError, check
from idp.catalog import DEFAULT_CATALOG
from idp.contract import FORBIDDEN_MARKS, PersonName, field_rules, parse_request
from idp.manifests import Manifest
from idp.settings import Settings
from workflows.steps.request import argument_env, check_arguments

KINDS = sorted(DEFAULT_CATALOG)
_TOKEN = re.compile(r"\\x\{([0-9A-Fa-f]+)\}|\\x([0-9a-f]{2})|\\([tnr])|(-)|(.)")


def code_points(char_class: str) -> Iterator[int]:
    """Every code point of an RE2 character class body written as in events.filters."""
    singles: list[int] = []
    dash = False
    for braced, hex2, escape, minus, plain in _TOKEN.findall(char_class):
        if minus:
            dash = True
            continue
        if braced or hex2:
            point = int(braced or hex2, 16)
        else:
            point = ord({"t": "\t", "n": "\n", "r": "\r"}[escape] if escape else plain)
        if dash:
            singles += range(singles.pop(), point + 1)
            dash = False
        else:
            singles.append(point)
    return iter(singles)


def test_every_character_the_name_filter_refuses_is_refused_by_the_contract() -> None:
    adapter = TypeAdapter(PersonName)
    points = list(code_points(CONTROL + INVISIBLE))
    assert len(points) > 137_000  # C0, C1, format characters, private use, tags
    # all of the Basic Multilingual Plane; a sample of the 131,072 of planes 14 to 16
    refused = [chr(c) for c in points if c < 0x10000 or c % 61 == 0 or c == 0x10FFFF]
    for char in refused:
        with pytest.raises(ValidationError):
            adapter.validate_python(f"Ada{char}")


def test_every_character_the_filter_counts_as_space_is_space_to_the_contract() -> None:
    spaces = [chr(c) for c in code_points(SPACES)]
    assert " " in spaces and "\u3000" in spaces
    assert all(char.isspace() for char in spaces)


# --- every valid request passes every filter ------------------------------------------------

_PRINTABLE = [
    chr(c)
    for start, end in [
        (0x20, 0x7E),
        (0xA1, 0x17F),
        (0x300, 0x36F),
        (0x391, 0x3C9),
        (0x400, 0x45F),
        (0x5D0, 0x5EA),
        (0x627, 0x64A),
        (0x4E00, 0x4E3F),
        (0x1F600, 0x1F64F),
    ]
    for c in range(start, end + 1)
    if chr(c).isprintable() and c != 0xAD
]


def _name(chooser: random.Random) -> str:
    while True:
        text = "".join(chooser.choice(_PRINTABLE) for _ in range(chooser.randint(1, 100)))
        if not any(mark in text for mark in FORBIDDEN_MARKS) and text.strip():
            return text


def _word(chooser: random.Random, alphabet: str, low: int, high: int) -> str:
    return "".join(chooser.choice(alphabet) for _ in range(chooser.randint(low, high)))


def _request(kind: str, chooser: random.Random) -> dict[str, Any]:
    lower, alnum = "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789"
    local = _word(chooser, alnum + "ABC._%+-", 1, 64)
    domain = ".".join(_word(chooser, alnum + "-", 1, 20) for _ in range(chooser.randint(1, 3)))
    request: dict[str, Any] = {
        "request_id": chooser.choice(alnum) + _word(chooser, alnum + "-", 0, 34) + "z",
        "name": chooser.choice(lower) + _word(chooser, alnum + "-", 1, 22) + "0",
        "environment": chooser.choice(["dev", "test", "staging", "prod"]),
        "region": chooser.choice(Settings().allowed_regions),
        "resource_type": chooser.choice(
            {"compute": ["vm", "kubernetes"], "storage": ["blob", "fileshare"]}.get(
                kind, ["postgresql", "cosmosdb", "redis"]
            )
        ),
        "requester_name": _name(chooser),
        "requester_email": f"{local}@{domain}.{_word(chooser, 'abcXYZ', 2, 6)}"[:256],
        "cloud_provider": "azure",
        "action": chooser.choice(["provision", "destroy", "preview"]),
        "node_count": chooser.randint(1, 100),
        "vm_size": "Standard_" + _word(chooser, alnum + "_ABC", 2, 40),
        "quota_gb": chooser.randint(1, 5120),
        "storage_gb": chooser.randint(32, 16384),
    }
    if kind == "storage":
        request["sku"] = chooser.choice(["Standard_LRS", "Standard_GRS", "Premium_LRS"])
    if kind == "database":
        request["sku"] = _word(chooser, alnum + "_B", 1, 40)
    fields = DEFAULT_CATALOG[kind].model_fields
    return {
        name: value
        for name, value in request.items()
        if name in fields and (fields[name].is_required() or chooser.random() < 0.7)
    }


@pytest.fixture(scope="module")
def sensors() -> dict[str, Manifest]:
    return {kind: kind_sensor(DEFAULT_CATALOG[kind], Settings()) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_every_request_the_contract_accepts_creates_a_workflow_the_validate_step_accepts(
    kind: str, sensors: dict[str, Manifest]
) -> None:
    chooser = random.Random(kind)  # noqa: S311 - a reproducible sample, not a secret
    model = DEFAULT_CATALOG[kind]
    for _ in range(150):
        request = _request(kind, chooser)
        items = list(request.items())
        chooser.shuffle(items)
        body = json.dumps(
            dict(items), ensure_ascii=chooser.random() < 0.5, indent=chooser.choice([None, 2])
        )
        valid = parse_request(model, body)  # the generator makes valid requests only
        workflow = render(sensors[kind], event_from_text(body.encode()))
        arguments = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
        step_sees = parse_request(model, arguments.pop("request"))
        assert step_sees == valid
        check_arguments(step_sees, {argument_env(k): v for k, v in arguments.items()})
        preview = "preview-" if valid.action == "preview" else ""
        assert workflow["metadata"]["name"] == f"{kind}-{preview}{valid.request_id}"


# --- the Sensor holds only what the renderer reads exactly -------------------------------------


def _tampered(sensors: dict[str, Manifest], change: dict[str, Any]) -> Manifest:
    sensor = copy.deepcopy(sensors["compute"])
    sensor["spec"]["dependencies"][0]["filters"]["data"][1].update(change)
    return sensor


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"path": "body.*"}, "wildcards"),
        ({"path": "body.request_id|@reverse"}, "modifiers"),
        ({"template": "{{ .Input }}"}, "no template"),
        ({"type": "bool"}, "type 'bool'"),
        ({"comparator": ">"}, "type 'string' with '>'"),
        ({"value": ["(?=x)"]}, "invalid perl operator"),
        ({"value": []}, "non-empty values"),
    ],
)
def test_a_sensor_the_renderer_cannot_predict_is_refused_when_built(
    sensors: dict[str, Manifest], change: dict[str, Any], why: str
) -> None:
    with pytest.raises(SensorError, match=re.escape(why)):
        check(_tampered(sensors, change))


def test_a_trigger_that_waits_for_every_dependency_is_refused(
    sensors: dict[str, Manifest],
) -> None:
    # listener.go, getDependencyExpression: without conditions, all dependencies ANDed
    sensor = copy.deepcopy(sensors["compute"])
    del sensor["spec"]["triggers"][1]["template"]["conditions"]
    with pytest.raises(SensorError, match="name the one dependency it waits for"):
        check(sensor)


@pytest.mark.parametrize("conditions", ["request && preview", "request || preview", "other"])
def test_conditions_other_than_one_dependencys_name_are_refused(
    sensors: dict[str, Manifest], conditions: str
) -> None:
    sensor = copy.deepcopy(sensors["compute"])
    sensor["spec"]["triggers"][0]["template"]["conditions"] = conditions
    with pytest.raises(SensorError, match="conditions"):
        check(sensor)


def test_a_parameter_that_reads_another_triggers_dependency_is_refused(
    sensors: dict[str, Manifest],
) -> None:
    sensor = copy.deepcopy(sensors["compute"])
    sensor["spec"]["triggers"][1]["template"]["k8s"]["parameters"][2]["src"]["dependencyName"] = (
        "request"
    )
    with pytest.raises(SensorError, match="not its trigger's 'preview'"):
        check(sensor)


def test_two_dependencies_of_one_name_are_refused(sensors: dict[str, Manifest]) -> None:
    sensor = copy.deepcopy(sensors["compute"])
    sensor["spec"]["dependencies"][1]["name"] = "request"
    with pytest.raises(SensorError, match="dependency names given twice: request"):
        check(sensor)


def test_the_compiled_sensors_pass_the_check(sensors: dict[str, Manifest]) -> None:
    for sensor in sensors.values():
        assert check(sensor) is sensor


def test_contract_patterns_are_used_as_written() -> None:
    # pydantic and filterData both search: the same pattern accepts the same strings
    rule = field_rules(DEFAULT_CATALOG["compute"])["vm_size"]
    assert rule.pattern is not None
    assert contract_pattern("vm_size", rule.pattern) == rule.pattern


@pytest.mark.parametrize("pattern", [r"^\d+$", r"^\w+$", r"\s", r"\bx"])
def test_a_contract_pattern_with_perl_classes_is_refused(pattern: str) -> None:
    # Rust's regex (pydantic) reads \d, \w, \s, \b as Unicode classes, Go's regexp as ASCII
    with pytest.raises(ValueError, match="write the class out"):
        contract_pattern("field", pattern)
