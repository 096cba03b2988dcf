"""The Terraform root modules agree with the request contract and keep their promises.

Every kind of the catalog has a module in terraform/<kind>/ whose variables mirror the kind's
request model: same names, types, defaults and validation rules, read back from variables.tf
with python-hcl2 and compared with the model itself (never with a copy of it). The checker is
tested on small hand-written variables files first, so a passing comparison means something.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pytest
from pydantic import BaseModel, Field

from idp.catalog import DEFAULT_CATALOG
from idp.contract import RequestBase, validate_request
from idp.settings import DEFAULT_REGIONS
from tests.terraform_vars import (
    Aspect,
    Problem,
    TerraformVariable,
    blocks,
    compare,
    expression,
    label,
    load_hcl,
    outputs,
    read_variables,
)

TERRAFORM = Path(__file__).resolve().parents[1] / "terraform"
KINDS = sorted(DEFAULT_CATALOG)
MODULE_FILES = {"terraform.tf", "variables.tf", "main.tf", "outputs.tf"}

# The allowed regions are a platform setting (idp.settings.DEFAULT_REGIONS, overridable), checked
# by the validate step; the model validates them in code, not with a pattern. Terraform checks
# only the format of a region name, which is the one rule a variable may add to the model's.
FORMAT_ONLY = frozenset({"region"})

# azurerm resources that take no `tags` argument (see each resource's page in the azurerm 4.x
# documentation): child objects of a tagged parent, and associations.
UNTAGGABLE = frozenset(
    {
        "azurerm_storage_container",
        "azurerm_storage_share",
        "azurerm_subnet",
        "azurerm_subnet_network_security_group_association",
        "azurerm_role_assignment",
    }
)
SECRET_WORDS = ("password", "key", "secret", "connection", "kube_config")


def variables_of(kind: str) -> dict[str, TerraformVariable]:
    return read_variables(TERRAFORM / kind / "variables.tf")


def problems_of(kind: str, aspect: Aspect) -> list[str]:
    found = compare(DEFAULT_CATALOG[kind], variables_of(kind), FORMAT_ONLY)
    return [str(problem) for problem in found if problem.aspect == aspect]


def resources_of(kind: str) -> dict[str, dict[str, Any]]:
    return blocks(TERRAFORM / kind / "main.tf", "resource")


def outputs_of(kind: str) -> dict[str, dict[str, Any]]:
    return outputs(TERRAFORM / kind / "outputs.tf")


# --- the checker itself, on a tiny model ------------------------------------------------------


class TinyRequest(BaseModel):
    label: Annotated[str, Field(max_length=20, pattern=r"^[a-z]+\.v[0-9]$")]
    colour: Literal["red", "blue"] = "red"
    size: Annotated[int, Field(ge=1, le=10)] = 1
    note: Annotated[str, Field(max_length=30)] | None = None


TINY_VARIABLES = r"""
variable "label" {
  type        = string
  nullable    = false
  description = "A label."
  validation {
    condition     = can(regex("^[a-z]+\\.v[0-9]$", var.label)) && length(var.label) <= 20
    error_message = "Bad label."
  }
}

variable "colour" {
  type        = string
  nullable    = false
  default     = "red"
  description = "A colour."
  validation {
    condition     = contains(["red", "blue"], var.colour)
    error_message = "Bad colour."
  }
}

variable "size" {
  type        = number
  nullable    = false
  default     = 1
  description = "A size."
  validation {
    condition     = var.size >= 1 && var.size <= 10 && floor(var.size) == var.size
    error_message = "Bad size."
  }
}

variable "note" {
  type        = string
  default     = null
  description = "A note."
  validation {
    condition     = var.note == null ? true : (length(var.note) <= 30)
    error_message = "Bad note."
  }
}
"""


def tiny_problems(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "variables.tf"
    path.write_text(text, encoding="utf-8")
    return compare(TinyRequest, read_variables(path))


def test_checker_accepts_variables_that_match_the_model(tmp_path: Path) -> None:
    assert tiny_problems(tmp_path, TINY_VARIABLES) == []


def test_checker_reports_a_model_field_missing_from_variables_tf(tmp_path: Path) -> None:
    without_note = TINY_VARIABLES[: TINY_VARIABLES.index('variable "note"')]

    found = tiny_problems(tmp_path, without_note)

    assert [str(p) for p in found] == ["note: in the request model but not in variables.tf"]


def test_checker_reports_a_variable_the_model_does_not_have(tmp_path: Path) -> None:
    extra = 'variable "owner" {\n  type        = string\n  description = "Extra."\n}\n'

    found = tiny_problems(tmp_path, TINY_VARIABLES + extra)

    assert [str(p) for p in found] == ["owner: in variables.tf but not in the request model"]


def test_checker_reports_a_range_that_differs_from_the_model(tmp_path: Path) -> None:
    found = tiny_problems(tmp_path, TINY_VARIABLES.replace("var.size <= 10", "var.size <= 11"))

    assert [(p.field, p.aspect) for p in found] == [("size", "range")]
    assert "1..11 in variables.tf, 1..10 in the model" in str(found[0])


def test_checker_reports_a_missing_whole_number_rule(tmp_path: Path) -> None:
    found = tiny_problems(tmp_path, TINY_VARIABLES.replace(" && floor(var.size) == var.size", ""))

    assert [(p.field, p.aspect) for p in found] == [("size", "whole")]


def test_checker_reports_enum_values_that_differ_from_the_model(tmp_path: Path) -> None:
    found = tiny_problems(tmp_path, TINY_VARIABLES.replace('"red", "blue"]', '"red", "green"]'))

    assert [(p.field, p.aspect) for p in found] == [("colour", "enum")]


def test_checker_reads_hcl_escapes_in_patterns(tmp_path: Path) -> None:
    # `\\.` in an HCL string is the regex `\.`; a single `\` would be an HCL syntax error and
    # `\\\\.` a literal backslash followed by any character.
    found = tiny_problems(tmp_path, TINY_VARIABLES.replace(r"+\\.v", r"+\\\\.v"))

    assert [(p.field, p.aspect) for p in found] == [("label", "pattern")]
    assert r"'^[a-z]+\\\\.v[0-9]$' in variables.tf" in str(found[0])


def test_checker_reports_a_default_that_differs_from_the_model(tmp_path: Path) -> None:
    found = tiny_problems(
        tmp_path, TINY_VARIABLES.replace('default     = "red"', 'default = "blue"')
    )

    assert [(p.field, p.aspect) for p in found] == [("colour", "default")]


def test_checker_reports_a_default_on_a_required_field(tmp_path: Path) -> None:
    text = TINY_VARIABLES.replace(
        'description = "A label."', 'default = "a.v1"\n  description = "A"'
    )

    found = tiny_problems(tmp_path, text)

    assert [(p.field, p.aspect) for p in found] == [("label", "default")]


def test_checker_reports_a_type_that_differs_from_the_model(tmp_path: Path) -> None:
    text = TINY_VARIABLES.replace("type        = number", "type        = string", 1)

    found = tiny_problems(tmp_path, text)

    assert ("size", "type") in [(p.field, p.aspect) for p in found]


def test_checker_reports_a_string_without_its_length_rule(tmp_path: Path) -> None:
    found = tiny_problems(tmp_path, TINY_VARIABLES.replace(" && length(var.label) <= 20", ""))

    assert [(p.field, p.aspect) for p in found] == [("label", "length")]


def test_checker_reports_a_variable_without_description(tmp_path: Path) -> None:
    found = tiny_problems(tmp_path, TINY_VARIABLES.replace('  description = "A size."\n', ""))

    assert [(p.field, p.aspect) for p in found] == [("size", "description")]


def test_checker_reports_a_nullable_variable_whose_rule_fails_on_null(tmp_path: Path) -> None:
    text = TINY_VARIABLES.replace(
        "var.note == null ? true : (length(var.note) <= 30)", "length(var.note) <= 30"
    )

    found = tiny_problems(tmp_path, text)

    assert [(p.field, p.aspect) for p in found] == [("note", "nullable")]


def test_checker_reports_a_required_variable_that_accepts_null(tmp_path: Path) -> None:
    text = TINY_VARIABLES.replace("  nullable    = false\n", "", 1)

    found = tiny_problems(tmp_path, text)

    assert [(p.field, p.aspect) for p in found] == [("label", "nullable")]


def test_checker_reports_a_condition_it_cannot_read(tmp_path: Path) -> None:
    text = TINY_VARIABLES.replace("var.size <= 10", "var.size < 11")

    found = tiny_problems(tmp_path, text)

    assert ("size", "form") in [(p.field, p.aspect) for p in found]
    assert "var.size < 11" in " ".join(str(p) for p in found)


def test_checker_allows_a_format_pattern_only_where_told(tmp_path: Path) -> None:
    text = TINY_VARIABLES.replace(
        "length(var.note) <= 30)", 'can(regex("^[a-z]+$", var.note)) && length(var.note) <= 30)'
    )
    path = tmp_path / "variables.tf"
    path.write_text(text, encoding="utf-8")

    assert [p.aspect for p in compare(TinyRequest, read_variables(path))] == ["pattern"]
    assert compare(TinyRequest, read_variables(path), frozenset({"note"})) == []


# --- every module agrees with its kind's request model -------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_a_module_of_exactly_the_four_files(kind: str) -> None:
    files = {path.name for path in (TERRAFORM / kind).glob("*.tf")}

    assert files == MODULE_FILES


@pytest.mark.parametrize("kind", KINDS)
def test_variable_names_are_the_request_fields(kind: str) -> None:
    assert problems_of(kind, "name") == []
    assert list(variables_of(kind)) == list(DEFAULT_CATALOG[kind].model_fields)


@pytest.mark.parametrize("kind", KINDS)
def test_variable_types_match_the_field_types(kind: str) -> None:
    assert problems_of(kind, "type") == []


@pytest.mark.parametrize("kind", KINDS)
def test_variable_defaults_are_the_model_defaults(kind: str) -> None:
    assert problems_of(kind, "default") == []


@pytest.mark.parametrize("kind", KINDS)
def test_only_fields_that_default_to_null_accept_null(kind: str) -> None:
    assert problems_of(kind, "nullable") == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_variable_has_a_description(kind: str) -> None:
    assert problems_of(kind, "description") == []


@pytest.mark.parametrize("kind", KINDS)
def test_enum_rules_allow_exactly_the_literal_values(kind: str) -> None:
    assert problems_of(kind, "enum") == []


@pytest.mark.parametrize("kind", KINDS)
def test_number_rules_are_the_model_ranges_of_whole_numbers(kind: str) -> None:
    assert problems_of(kind, "range") + problems_of(kind, "whole") == []


@pytest.mark.parametrize("kind", KINDS)
def test_pattern_rules_are_the_model_patterns(kind: str) -> None:
    assert problems_of(kind, "pattern") == []


@pytest.mark.parametrize("kind", KINDS)
def test_string_variables_have_the_model_length_limits(kind: str) -> None:
    assert problems_of(kind, "length") == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_validation_is_written_in_a_canonical_form(kind: str) -> None:
    assert problems_of(kind, "form") == []


@pytest.mark.parametrize("kind", KINDS)
def test_region_format_rule_accepts_every_default_region(kind: str) -> None:
    pattern = variables_of(kind)["region"].rules.pattern

    assert pattern is not None
    assert [region for region in DEFAULT_REGIONS if not re.fullmatch(pattern, region)] == []
    assert not re.fullmatch(pattern, "West Europe")


# --- Terraform itself applies the rules as the model does ----------------------------------------


def valid_request(model: type[RequestBase]) -> dict[str, Any]:
    fields = model.model_fields
    request = {
        "request_id": "0b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
        "name": "orders-api",
        "environment": "dev",
        "region": DEFAULT_REGIONS[0],
        "resource_type": get_args(fields["resource_type"].annotation)[0],
        "requester_name": "Ada Lovelace",
        "requester_email": "ada.lovelace@example.co.uk",
    }
    validate_request(model, request)
    return request


def terraform_plan(
    kind: str, tmp_path: Path, values: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    shutil.copy(TERRAFORM / kind / "variables.tf", tmp_path / "variables.tf")
    (tmp_path / "terraform.tfvars.json").write_text(json.dumps(values), encoding="utf-8")
    return subprocess.run(
        ["terraform", "plan", "-input=false", "-no-color", "-lock=false"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "TF_IN_AUTOMATION": "1"},
    )


needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform")


@needs_terraform
@pytest.mark.parametrize("kind", KINDS)
def test_terraform_accepts_a_request_the_model_accepts(kind: str, tmp_path: Path) -> None:
    result = terraform_plan(kind, tmp_path, valid_request(DEFAULT_CATALOG[kind]))

    assert result.returncode == 0, result.stderr


@needs_terraform
@pytest.mark.parametrize("kind", KINDS)
def test_terraform_rejects_an_email_the_model_rejects(kind: str, tmp_path: Path) -> None:
    request = valid_request(DEFAULT_CATALOG[kind]) | {"requester_email": "ada@example"}

    result = terraform_plan(kind, tmp_path, request)

    assert result.returncode != 0
    assert "Invalid value for variable" in result.stderr
    assert "requester_email" in result.stderr


# --- resources and outputs -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_module_pins_terraform_and_azurerm_and_leaves_the_backend_to_the_workflow(
    kind: str,
) -> None:
    (settings,) = load_hcl(TERRAFORM / kind / "terraform.tf")["terraform"]
    providers = settings["required_providers"][0]

    assert settings["required_version"] == '">= 1.9.0, < 2.0.0"'
    assert providers["azurerm"]["version"] == '">= 4.20.0, < 5.0.0"'
    assert all("<" in provider["version"] for name, provider in providers.items() if name[0] != "_")
    assert [name for backend in settings["backend"] for name in backend] == ['"azurerm"']
    assert [key for key in settings["backend"][0]['"azurerm"'] if key[0] != "_"] == []


@pytest.mark.parametrize("kind", KINDS)
def test_tags_name_the_request_requester_environment_kind_manager_stack_and_expiry(
    kind: str,
) -> None:
    (local_values,) = load_hcl(TERRAFORM / kind / "main.tf")["locals"]
    tags = {label(key): expression(value) for key, value in local_values["tags"].items()}

    assert local_values["kind"] == f'"{kind}"'
    assert tags == {
        "request_id": "var.request_id",
        "requester": "var.requester_email",
        "environment": "var.environment",
        "kind": "local.kind",
        "managed-by": '"idp-platform"',
        "idp-stack": '"${local.kind}-${var.environment}-${var.name}"',
        "idp-ttl-hours": 'var.ttl_hours == 0 ? "none" : tostring(var.ttl_hours)',
    }


@pytest.mark.parametrize("kind", KINDS)
def test_every_azurerm_resource_that_takes_tags_has_them(kind: str) -> None:
    untagged = [
        address
        for address, body in resources_of(kind).items()
        if address.startswith("azurerm_")
        and address.split(".")[0] not in UNTAGGABLE
        and expression(body.get("tags", "")) != "local.tags"
    ]

    assert untagged == []


@pytest.mark.parametrize("kind", KINDS)
def test_outputs_that_can_hold_a_secret_are_sensitive(kind: str) -> None:
    exposed = [
        name
        for name, body in outputs_of(kind).items()
        if any(word in name for word in SECRET_WORDS) and body.get("sensitive") is not True
    ]

    assert exposed == []


@pytest.mark.parametrize("kind", KINDS)
def test_id_outputs_name_resources_the_verify_step_can_find_by_tag(kind: str) -> None:
    resources = resources_of(kind)
    not_findable = []
    for name, body in outputs_of(kind).items():
        if not name.endswith("_id"):
            continue
        referenced = re.findall(r"\b(azurerm_\w+)\.(\w+)(?:\[[^\]]*\])?\.id\b", str(body["value"]))
        tagged = [f"{t}.{n}" for t, n in referenced if "tags" in resources.get(f"{t}.{n}", {})]
        if not referenced or len(tagged) != len(referenced):
            not_findable.append(name)

    assert not_findable == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_output_has_a_description(kind: str) -> None:
    assert [name for name, body in outputs_of(kind).items() if not body.get("description")] == []
