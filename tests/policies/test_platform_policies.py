"""The platform's policies (policies/) judge the real modules as the policy step judges plans.

No azurerm provider can be downloaded here, so no real plan of these modules can be made: checkov
judges the modules' code instead, with a request's values as Terraform variables (its
`terraform` framework evaluates the variables, locals and tags the way a plan would hold them).
The policy step runs the same policies on plans (`terraform_plan`); tests/steps/test_policy.py
and tests/local/test_policy.py prove that path with the fixture module and fixture policies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from idp.settings import SEVERITIES

# Each test runs checkov on real plans: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
BASE = {"request_id": "r-1", "name": "demo", "region": "eastus", "requester_email": "a@b.example"}


def idp_findings(checkov: str, module: Path, tmp: Path, **variables: object) -> set[str]:
    """The platform checks (IDP_*) that fail for `module` with `variables`."""
    var_file = tmp / "vars.json"
    var_file.write_text(json.dumps({**BASE, **variables}))
    argv = [checkov, "--framework", "terraform", "--directory", str(module)]
    argv += ["--var-file", str(var_file), "--external-checks-dir", str(POLICIES)]
    argv += ["--output", "json", "--compact", "--quiet", "--skip-download", "--soft-fail"]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout)
    reports = report if isinstance(report, list) else [report]
    return {
        item["check_id"]
        for r in reports
        for item in r.get("results", {}).get("failed_checks", [])
        if item["check_id"].startswith("IDP_")
    }


@cache
def _judged(checkov: str, kind: str, tmp: str, frozen: tuple[tuple[str, object], ...]) -> set[str]:
    return idp_findings(checkov, ROOT / "terraform" / kind, Path(tmp), **dict(frozen))


def judged(checkov: str, kind: str, tmp: Path, **variables: object) -> set[str]:
    return _judged(checkov, kind, str(tmp), tuple(sorted(variables.items())))


def test_a_prod_cluster_of_one_burstable_node_breaks_the_node_and_size_rules(
    checkov: str, tmp_path: Path
) -> None:
    found = judged(
        checkov,
        "compute",
        tmp_path,
        environment="prod",
        resource_type="kubernetes",
        node_count=1,
        vm_size="Standard_B2s",
    )
    assert found == {
        "IDP_PROD_AKS_NODES",
        "IDP_BURSTABLE_AKS_IN_DEV_ONLY",
        "IDP_BURSTABLE_VM_IN_DEV_ONLY",
    }


def test_a_prod_cluster_of_three_general_purpose_nodes_passes(checkov: str, tmp_path: Path) -> None:
    found = judged(
        checkov,
        "compute",
        tmp_path,
        environment="prod",
        resource_type="kubernetes",
        node_count=3,
        vm_size="Standard_D2s_v5",
    )
    assert found == set()


def test_dev_may_run_one_burstable_node(checkov: str, tmp_path: Path) -> None:
    found = judged(
        checkov,
        "compute",
        tmp_path,
        environment="dev",
        resource_type="kubernetes",
        node_count=1,
        vm_size="Standard_B2s",
    )
    assert found == set()


def storage_account(tmp: Path, environment: str, replication: str) -> Path:
    """A storage account as a plan of the storage module holds it. The module derives the
    replication from the sku with split(), which checkov does not evaluate in code."""
    module = tmp / f"{environment}-{replication}"
    module.mkdir()
    (module / "main.tf").write_text(
        'resource "azurerm_storage_account" "this" {\n'
        f'  account_replication_type = "{replication}"\n'
        f'  tags = {{ environment = "{environment}", "idp-stack" = "storage-{environment}-x" }}\n'
        "}\n"
    )
    return module


def test_prod_storage_must_not_be_locally_redundant(checkov: str, tmp_path: Path) -> None:
    module = storage_account(tmp_path, "prod", "LRS")
    assert idp_findings(checkov, module, tmp_path) == {"IDP_PROD_STORAGE_REDUNDANCY"}


def test_prod_storage_that_is_zone_redundant_passes(checkov: str, tmp_path: Path) -> None:
    assert idp_findings(checkov, storage_account(tmp_path, "prod", "ZRS"), tmp_path) == set()


def test_dev_storage_may_be_locally_redundant(checkov: str, tmp_path: Path) -> None:
    assert idp_findings(checkov, storage_account(tmp_path, "dev", "LRS"), tmp_path) == set()


def test_a_resource_without_the_stack_tag_is_found(checkov: str, tmp_path: Path) -> None:
    module = tmp_path / "storage"
    shutil.copytree(ROOT / "terraform" / "storage", module)
    main = module / "main.tf"
    untagged = [line for line in main.read_text().splitlines() if '"idp-stack"' not in line]
    main.write_text("\n".join(untagged) + "\n")
    found = idp_findings(checkov, module, tmp_path, environment="dev", sku="Standard_LRS")
    assert "IDP_STACK_TAG" in found


def test_every_policy_declares_an_id_a_name_and_a_severity() -> None:
    for path in sorted(POLICIES.glob("*.yaml")):
        metadata = yaml.safe_load(path.read_text())["metadata"]
        assert metadata["id"].startswith("IDP_"), path.name
        assert metadata["name"], path.name
        assert metadata["severity"] in SEVERITIES, path.name
