"""The Terraform variables are generated from the request models, and Terraform keeps their rules.

Every committed variables.tf (each kind's module, and its test fixture's) is what `idp.tfvars`
renders from the kind's model: after a change to a model, `idp tfvars --write` regenerates them
and the diff is reviewed like any other. Real Terraform then accepts and refuses, at each rule's
boundaries, what the model accepts and refuses.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import ConfigDict, Field, ValidationError

from idp.catalog import DEFAULT_CATALOG
from idp.cli import main
from idp.contract import (
    MAX_STRING,
    FieldRule,
    RequestBase,
    RequestError,
    field_rules,
    validate_request,
)
from idp.settings import DEFAULT_REGIONS, MAX_TTL_HOURS, Settings
from idp.tfvars import (
    MODULE_FOLDERS,
    REGION_FORM,
    TfvarsError,
    hcl_string,
    terraform_pattern,
    variable_block,
    variables_tf,
)

ROOT = Path(__file__).resolve().parents[1]
KINDS = sorted(DEFAULT_CATALOG)
needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform")


# --- the committed files are the generated ones ------------------------------------------------


@pytest.mark.parametrize("folder", MODULE_FOLDERS)
@pytest.mark.parametrize("kind", KINDS)
def test_committed_variables_are_the_ones_generated_from_the_model(kind: str, folder: str) -> None:
    path = ROOT / folder / kind / "variables.tf"
    generated = variables_tf(DEFAULT_CATALOG[kind])

    diff = "".join(
        difflib.unified_diff(
            path.read_text(encoding="utf-8").splitlines(keepends=True),
            generated.splitlines(keepends=True),
            f"{folder}/{kind}/variables.tf",
            "generated",
        )
    )
    assert not diff, f"regenerate with: idp tfvars --write\n{diff}"


def test_the_variables_are_one_per_request_field_in_model_order() -> None:
    for kind, model in DEFAULT_CATALOG.items():
        text = variables_tf(model)
        assert re.findall(r'^variable "(\w+)"', text, re.M) == list(model.model_fields), kind


def test_the_generator_loads_neither_hera_nor_the_pipeline() -> None:
    script = (
        "import sys, idp.tfvars; ours = ('hera', 'workflows', 'events'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ours))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout

    assert loaded == "[]\n"


# --- what a block says, on a small model -------------------------------------------------------


class TinyRequest(RequestBase):
    kind: ClassVar[str] = "tiny"
    resource_type: Literal["one"]
    label: Annotated[str, Field(pattern=r"^[a-z]+\.v[0-9]$", max_length=20)] = Field(
        description='A "label", not a ${template}'
    )
    note: Annotated[str, Field(max_length=30)] | None = None
    size: Annotated[int, Field(ge=1)] = 1


def block(name: str, model: type[RequestBase] = TinyRequest) -> str:
    return variable_block(name, field_rules(model)[name], model)


def test_a_required_field_has_no_default_and_refuses_null() -> None:
    text = block("label")

    assert "default" not in text
    assert "  nullable    = false\n" in text


def test_a_field_that_defaults_to_null_takes_null_and_guards_each_rule() -> None:
    text = block("note")

    assert "  nullable    = true\n  default     = null\n" in text
    assert "condition     = var.note == null ? true : length(var.note) <= 30\n" in text
    assert "note must be at most 30 characters long, or null for the default." in text


def test_a_pattern_is_the_models_written_as_an_hcl_string() -> None:
    assert 'condition     = can(regex("^[a-z]+\\\\.v[0-9]$", var.label))' in block("label")


def test_a_whole_number_is_a_number_with_its_bounds_and_no_fraction() -> None:
    text = block("size")

    assert "  type        = number\n" in text
    assert "condition     = var.size >= 1 && floor(var.size) == var.size\n" in text
    assert "size must be a whole number at least 1." in text


def test_the_description_is_the_fields_own_escaped_for_hcl() -> None:
    assert '  description = "A \\"label\\", not a $${template}."\n' in block("label")


def test_a_field_without_description_is_described_by_its_name_and_values() -> None:
    assert '  description = "The request\'s resource type: one."\n' in block("resource_type")


def test_the_region_checks_only_the_form_and_says_why() -> None:
    text = block("region")

    assert "regex(" in text
    assert "contains(" not in text
    assert "the allowed list is a platform setting (allowed_regions)" in text


def test_a_new_allowed_value_of_a_shared_field_reaches_every_kinds_variables() -> None:
    class Previewing(RequestBase):
        kind: ClassVar[str] = "previewing"
        resource_type: Literal["one"]
        action: Literal["provision", "destroy", "preview"] = "provision"

    assert 'contains(["provision", "destroy", "preview"], var.action)' in block(
        "action", Previewing
    )


def test_the_header_says_the_file_is_generated_and_how_to_regenerate() -> None:
    lines = variables_tf(DEFAULT_CATALOG["compute"]).splitlines()[:3]

    assert "do not edit" in lines[0]
    assert lines[2].endswith("regenerate: idp tfvars --write")


def test_a_kind_outside_the_built_in_catalog_is_regenerated_with_its_catalog() -> None:
    assert "idp tfvars --write --catalog idp.kinds:CATALOG\n" in variables_tf(TinyRequest)


def test_a_field_type_terraform_variables_cannot_take_is_refused() -> None:
    class Flagged(RequestBase):
        kind: ClassVar[str] = "flagged"
        resource_type: Literal["one"]
        enabled: bool = False

    with pytest.raises(TfvarsError, match=r"Flagged\.enabled: .*string or an integer"):
        variables_tf(Flagged)


def test_a_model_that_reads_patterns_with_pythons_re_is_refused() -> None:
    class PythonRe(RequestBase):
        model_config = ConfigDict(regex_engine="python-re")
        kind: ClassVar[str] = "pythonre"
        resource_type: Literal["one"]

    with pytest.raises(TfvarsError, match=r"PythonRe\.request_id: .*Python's re"):
        variables_tf(PythonRe)


def test_a_pattern_terraform_cannot_check_is_refused_with_the_field() -> None:
    class Digits(RequestBase):
        kind: ClassVar[str] = "digits"
        resource_type: Literal["one"]
        code: Annotated[str, Field(pattern=r"^\d+$")] = "1"

    with pytest.raises(TfvarsError, match=r"Digits\.code: pattern '\^\\\\d\+\$' cannot be"):
        variables_tf(Digits)


# --- patterns: pydantic's (Rust's regex crate) written for Terraform's (Go's regexp) -------------


@pytest.mark.parametrize("model", [DEFAULT_CATALOG[kind] for kind in KINDS], ids=KINDS)
def test_the_contracts_patterns_are_written_unchanged(model: type[RequestBase]) -> None:
    patterns = [rule.pattern for rule in field_rules(model).values() if rule.pattern]

    assert patterns
    assert [terraform_pattern(p) for p in patterns] == patterns


@pytest.mark.parametrize(
    ("rust", "go"),
    [
        (r"^caf\u00e9$", r"^caf\x{00e9}$"),
        (r"^caf\u{e9}$", r"^caf\x{e9}$"),
        (r"^\U0001F600$", r"^\x{0001F600}$"),
        (r"^[[:alpha:]]+$", r"^[[:alpha:]]+$"),
        (r"^[]a-]+$", r"^[]a-]+$"),
        (r"^(?i:ab)(?P<x>c)(?<y>d)$", r"^(?i:ab)(?P<x>c)(?<y>d)$"),
        (r"^a\\d$", r"^a\\d$"),
    ],
)
def test_rusts_escapes_are_written_as_gos(rust: str, go: str) -> None:
    assert terraform_pattern(rust) == go


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"^\d+$", "Unicode"),
        (r"^\w+$", "Unicode"),
        (r"^a\sb$", "Unicode"),
        (r"\bword\b", "Unicode"),
        (r"\<word\>", "Unicode"),
        (r"^\p{L}+$", "Unicode tables"),
        (r"^[a-z[^q]]+$", "a class inside a class"),
        (r"^[a-z&&q]+$", "set operation"),
        (r"^[a-z--q]+$", "set operation"),
        (r"(?x) a b", "flags x"),
        (r"(?u)^a$", "flags u"),
        (r"^a{1001}$", "Go's regexp refuses it"),
        ("a\\", "lone backslash"),
    ],
)
def test_a_pattern_that_means_something_else_to_go_is_refused(pattern: str, reason: str) -> None:
    with pytest.raises(TfvarsError, match="cannot be checked by Terraform") as caught:
        terraform_pattern(pattern)

    assert reason in str(caught.value)


def test_the_region_form_is_what_the_allowed_regions_setting_requires() -> None:
    # idp.settings, `Settings._regions_are_names`: each allowed region must have this form
    samples = [*DEFAULT_REGIONS, "West Europe", "westeurope ", "1east", "e", "a" * 31, "a" * 32]
    for region in samples:
        try:
            Settings.model_validate({"allowed_regions": [region]})
            setting_takes = True
        except ValidationError:
            setting_takes = False
        assert (re.search(REGION_FORM, region) is not None) == setting_takes, region


# --- Terraform reads the text as it was meant ----------------------------------------------------


def terraform(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["terraform", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(cwd),
            "TF_IN_AUTOMATION": "1",
            "TF_CLI_CONFIG_FILE": os.devnull,
            "CHECKPOINT_DISABLE": "1",
        },
    )


@needs_terraform
def test_generated_text_is_as_terraform_fmt_leaves_it(tmp_path: Path) -> None:
    text = variables_tf(TinyRequest)

    formatted = terraform(tmp_path, "fmt", "-", stdin=text)

    assert formatted.returncode == 0, formatted.stderr
    assert formatted.stdout == text


@needs_terraform
def test_terraform_reads_an_hcl_string_back_as_the_text(tmp_path: Path) -> None:
    texts = ['quote " backslash \\ ${var.x} %{if} $${y}', "tab\tnew\nline", "é \u200b \U0001f600"]
    listed = ", ".join(hcl_string(text) for text in texts)
    (tmp_path / "main.tf").write_text(f'output "texts" {{\n  value = [{listed}]\n}}\n')

    applied = terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    shown = terraform(tmp_path, "output", "-json", "texts")

    assert applied.returncode == 0, applied.stderr
    assert json.loads(shown.stdout) == texts


# --- Terraform accepts and refuses what the model does -------------------------------------------


def base_request(model: type[RequestBase]) -> dict[str, Any]:
    """A request every rule accepts: the examples' values, each field's first allowed value."""
    request: dict[str, Any] = {
        "request_id": "0b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
        "name": "orders-api",
        "environment": "dev",
        "region": DEFAULT_REGIONS[0],
        "requester_name": "Ada Lovelace",
        "requester_email": "ada.lovelace@example.co.uk",
    }
    for name, rule in field_rules(model).items():
        if rule.required and name not in request:
            request[name] = rule.choices[0]
    return request


# Values at the edges of the patterns, by field name (the generic edges come from the rules).
PATTERN_EDGES: dict[str, list[str]] = {
    "request_id": ["a", "a" * 36, "a" * 37, "-a", "a-", "A", "a_b"],
    "name": ["ab", "abc", "a" * 24, "a" * 25, "abc-", "1abc", "ab-c"],
    "requester_email": ["a@b.co", "ada@example", "x" * 64 + "@b.co", "x" * 65 + "@b.co", "a@b.c"],
    "vm_size": ["Standard_D2s_v5", "Standard_X", "standard_D2s", "Standard_" + "a" * 41],
    "sku": ["B_Standard_B1ms", "a" * 40, "a" * 41, "a-b"],
}


def edge_values(name: str, rule: FieldRule, valid: object) -> list[Any]:
    """Values at the boundaries of a field's rules, accepted or refused by the model."""
    values: list[Any] = []
    if rule.choices:
        values += [*rule.choices, "nope", ""]
    if rule.type == "integer":
        low = 0 if rule.minimum is None else rule.minimum
        high = low + 10 if rule.maximum is None else rule.maximum
        values += [low - 1, low, high, high + 1, low + 0.5]
    if rule.pattern:
        values += [*PATTERN_EDGES.get(name, []), "", f"{valid}\n", f" {valid}"]
    if rule.min_length is not None or rule.max_length is not None:
        most = MAX_STRING if rule.max_length is None else rule.max_length
        values += ["", "a", "a" * most, "a" * (most + 1)]
    return values


def model_accepts(model: type[RequestBase], request: dict[str, Any]) -> bool:
    # the environment's ttl limit and the allowed regions are settings: set them wide open
    limits = {"dev": MAX_TTL_HOURS}
    try:
        validate_request(model, request, (request["region"],), max_ttl_hours=limits)
    except RequestError:
        return False
    return True


def refused_fields(module: Path, number: int, request: dict[str, Any]) -> set[str]:
    """The fields whose rules Terraform refused in a plan of `request` (none: it planned).

    Each generated error message starts with its field's name; a plan that fails in another
    way fails the test."""
    var_file = module / f"case-{number}.tfvars.json"
    var_file.write_text(json.dumps(request), encoding="utf-8")
    result = terraform(
        module, "plan", "-input=false", "-lock=false", "-json", f"-var-file={var_file.name}"
    )
    diagnostics = [
        message["diagnostic"]
        for message in map(json.loads, result.stdout.splitlines())
        if message.get("diagnostic", {}).get("severity") == "error"
    ]
    refused = {
        d["detail"].split(" ", 1)[0]
        for d in diagnostics
        if d.get("summary") == "Invalid value for variable"
    }
    assert (result.returncode == 0) == (not diagnostics), result.stdout + result.stderr
    assert all(d.get("summary") == "Invalid value for variable" for d in diagnostics), diagnostics
    return refused


def plans(module: Path, requests: list[dict[str, Any]]) -> list[set[str]]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda case: refused_fields(module, *case), enumerate(requests)))


@needs_terraform
@pytest.mark.parametrize("kind", KINDS)
def test_terraform_accepts_and_refuses_what_the_model_does_at_each_rules_edges(
    kind: str, tmp_path: Path
) -> None:
    model = DEFAULT_CATALOG[kind]
    shutil.copy(ROOT / "terraform" / kind / "variables.tf", tmp_path / "variables.tf")
    base = base_request(model)
    edges = {
        name: edge_values(name, rule, base.get(name, rule.default) or "a")
        for name, rule in field_rules(model).items()
        if name != "region"  # checked for its form only: the next test
    }
    # Each rule reads its own variable only, so one plan tries one edge of every field.
    rounds = [
        base | {name: values[index] for name, values in edges.items() if index < len(values)}
        for index in range(max(map(len, edges.values())))
    ]

    refused = plans(tmp_path, rounds)

    disagree = [
        f"{name}={request[name]!r}: the model {'accepts' if expected else 'refuses'} it"
        for request, by_terraform in zip(rounds, refused, strict=True)
        for name in request
        if (expected := model_accepts(model, base | {name: request[name]}))
        == (name in by_terraform)
    ]
    assert sum(map(len, edges.values())) > 40
    assert disagree == []


@needs_terraform
@pytest.mark.parametrize("kind", KINDS)
def test_terraform_takes_every_allowed_region_and_refuses_a_malformed_one(
    kind: str, tmp_path: Path
) -> None:
    model = DEFAULT_CATALOG[kind]
    shutil.copy(ROOT / "terraform" / kind / "variables.tf", tmp_path / "variables.tf")
    regions = [*DEFAULT_REGIONS, "West Europe", "west-europe", "a" * 32]

    refused = plans(tmp_path, [base_request(model) | {"region": region} for region in regions])

    assert refused == [set()] * len(DEFAULT_REGIONS) + [{"region"}] * 3


# --- idp tfvars --------------------------------------------------------------------------------


def test_idp_tfvars_prints_a_kinds_variables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tfvars", "storage"]) == 0
    assert capsys.readouterr().out == variables_tf(DEFAULT_CATALOG["storage"])


def test_idp_tfvars_write_writes_each_module_and_fixture_and_says_which_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind in KINDS:
        (tmp_path / "terraform" / kind).mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "terraform" / "compute").mkdir(parents=True)
    (tmp_path / "terraform" / "storage" / "variables.tf").write_text(
        variables_tf(DEFAULT_CATALOG["storage"])
    )

    assert main(["tfvars", "--write", "--root", str(tmp_path)]) == 0

    lines = sorted(capsys.readouterr().out.splitlines())
    assert lines == sorted(
        [
            f"wrote     {tmp_path}/terraform/compute/variables.tf",
            f"wrote     {tmp_path}/tests/fixtures/terraform/compute/variables.tf",
            f"unchanged {tmp_path}/terraform/storage/variables.tf",
            f"wrote     {tmp_path}/terraform/database/variables.tf",
        ]
    )
    fixture = tmp_path / "tests" / "fixtures" / "terraform" / "compute" / "variables.tf"
    assert fixture.read_text() == variables_tf(DEFAULT_CATALOG["compute"])


def test_idp_tfvars_write_writes_nothing_when_a_kind_has_no_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "terraform" / "compute").mkdir(parents=True)

    assert main(["tfvars", "--write", "--root", str(tmp_path)]) == 1

    assert "no module folder terraform/storage/, terraform/database/" in capsys.readouterr().err
    assert not (tmp_path / "terraform" / "compute" / "variables.tf").exists()


def test_idp_tfvars_write_refuses_a_folder_where_a_variables_tf_goes_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind in KINDS:
        (tmp_path / "terraform" / kind).mkdir(parents=True)
    (tmp_path / "terraform" / "storage" / "variables.tf").mkdir()

    assert main(["tfvars", "--write", "--root", str(tmp_path)]) == 1

    err = capsys.readouterr().err
    assert f"not a file, so not written: {tmp_path}/terraform/storage/variables.tf" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "terraform" / "compute" / "variables.tf").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tfvars"], "name a KIND to print, or --write"),
        (["tfvars", "nope"], "unknown kind 'nope'"),
        (["tfvars", "--write", "--root", "no-such-root"], "no terraform/ folder"),
    ],
)
def test_idp_tfvars_usage_errors_are_one_line_and_exit_64(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 64
    err = capsys.readouterr().err
    assert message in err
    assert len(err.splitlines()) == 1
