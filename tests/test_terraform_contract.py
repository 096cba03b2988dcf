"""The Terraform root modules keep their promises: layout, pinned versions, tags, outputs.

Every kind of the catalog has a module in terraform/<kind>/. Its variables are generated from the
kind's request model (`idp.tfvars`; tests/test_tfvars.py holds them); the other files are
written by hand and read here with python-hcl2.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2 import SerializationOptions

from idp.catalog import DEFAULT_CATALOG

TERRAFORM = Path(__file__).resolve().parents[1] / "terraform"
KINDS = sorted(DEFAULT_CATALOG)
MODULE_FILES = {"terraform.tf", "variables.tf", "main.tf", "outputs.tf"}

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


def load_hcl(path: Path) -> dict[str, Any]:
    """One .tf file as python-hcl2 returns it (strings keep their quotes, comments dropped)."""
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = hcl2.load(
            handle, serialization_options=SerializationOptions(with_comments=False)
        )
    return loaded


def label(key: str) -> str:
    """A block label as python-hcl2 returns it (`'"name"'`) without its quotes."""
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def expression(value: object) -> str:
    """The HCL source of an expression attribute, without python-hcl2's `${...}` wrapper."""
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def resources_of(kind: str) -> dict[str, dict[str, Any]]:
    """The `resource` blocks of the kind's main.tf as {"type.name": body}."""
    found: dict[str, dict[str, Any]] = {}
    for block in load_hcl(TERRAFORM / kind / "main.tf").get("resource", []):
        for type_key, named in block.items():
            for name_key, body in named.items():
                found[f"{label(type_key)}.{label(name_key)}"] = body
    return found


def outputs_of(kind: str) -> dict[str, dict[str, Any]]:
    """The `output` blocks of the kind's outputs.tf by name."""
    return {
        label(key): body
        for block in load_hcl(TERRAFORM / kind / "outputs.tf").get("output", [])
        for key, body in block.items()
    }


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_a_module_of_exactly_the_four_files(kind: str) -> None:
    files = {path.name for path in (TERRAFORM / kind).glob("*.tf")}

    assert files == MODULE_FILES


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
