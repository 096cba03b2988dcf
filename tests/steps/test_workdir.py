"""The work folder: state keys, backend configuration, the module copy, the plan's snapshot."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.steps.conftest import FIXTURE_MODULE
from workflows.steps.errors import StepError
from workflows.steps.workdir import (
    azurerm_backend,
    check_configuration,
    local_backend,
    prepare,
    state_key,
)


def test_state_key_is_kind_environment_name() -> None:
    assert state_key("compute", "prod", "web") == "compute/prod/web.tfstate"


def test_azurerm_backend_uses_entra_id_and_the_stack_key() -> None:
    config = azurerm_backend("rg-state", "idpstate", "tfstate", "compute/dev/a.tfstate", oidc=False)
    assert config == [
        "resource_group_name=rg-state",
        "storage_account_name=idpstate",
        "container_name=tfstate",
        "key=compute/dev/a.tfstate",
        "use_azuread_auth=true",
    ]


def test_azurerm_backend_with_workload_identity_uses_oidc() -> None:
    config = azurerm_backend("rg", "account", "tfstate", "k", oidc=True)
    assert config[-1] == "use_oidc=true"


def test_local_backend_puts_the_state_under_the_key(tmp_path: Path) -> None:
    config = local_backend(tmp_path / "state", "compute/dev/a.tfstate")
    assert config == [f"path={tmp_path / 'state' / 'compute' / 'dev' / 'a.tfstate'}"]
    assert (tmp_path / "state" / "compute" / "dev").is_dir()


def test_prepare_copies_the_module_without_local_state_or_terraform_data(tmp_path: Path) -> None:
    module = tmp_path / "module"
    (module / ".terraform" / "providers").mkdir(parents=True)
    (module / "modules" / "child").mkdir(parents=True)
    (module / "main.tf").write_text("# root\n")
    (module / "modules" / "child" / "main.tf").write_text("# child\n")
    (module / "terraform.tfstate").write_text("{}")
    stack = prepare(module, tmp_path / "work")
    copied = sorted(p.relative_to(stack).as_posix() for p in stack.rglob("*") if p.is_file())
    assert copied == ["main.tf", "modules/child/main.tf"]


def test_prepare_starts_from_a_fresh_copy(tmp_path: Path) -> None:
    stale = tmp_path / "work" / "stack" / "stale.tf"
    stale.parent.mkdir(parents=True)
    stale.write_text("# from an earlier run\n")
    prepare(FIXTURE_MODULE, tmp_path / "work")
    assert not stale.exists()


def snapshot_plan(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as plan:
        plan.writestr("tfconfig/modules.json", '[{"Key": "", "Dir": "."}]')
        for name, content in files.items():
            plan.writestr(f"tfconfig/m-/{name}", content)
    return path


def test_configuration_matching_the_snapshot_passes(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_bytes(b"# same\n")
    check_configuration(snapshot_plan(tmp_path / "p", {"main.tf": b"# same\n"}), stack)


def test_configuration_with_an_extra_file_is_refused(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_bytes(b"# same\n")
    (stack / "extra.tf").write_bytes(b"# new\n")
    plan = snapshot_plan(tmp_path / "p", {"main.tf": b"# same\n"})
    with pytest.raises(StepError, match=r"root module files differ \(extra.tf\)"):
        check_configuration(plan, stack)


def test_a_file_that_is_not_a_plan_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plan").write_bytes(b"not a zip")
    with pytest.raises(StepError, match="not a Terraform plan file"):
        check_configuration(tmp_path / "plan", tmp_path)


def test_prepare_refuses_a_module_inside_the_stack_folder_and_deletes_nothing(
    tmp_path: Path,
) -> None:
    module = tmp_path / "work" / "stack" / "mine"
    module.mkdir(parents=True)
    (module / "main.tf").write_text("# mine\n")
    with pytest.raises(StepError, match=r"lies inside .* which is emptied for every copy"):
        prepare(module, tmp_path / "work")
    assert (module / "main.tf").read_text() == "# mine\n"


def test_prepare_refuses_a_module_that_holds_the_work_folder(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("# root\n")
    with pytest.raises(StepError, match="lies inside"):
        prepare(tmp_path, tmp_path / "work")
