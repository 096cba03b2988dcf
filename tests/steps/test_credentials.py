"""Azure credentials for both the SDK (AZURE_*) and Terraform (ARM_*), however they arrive."""

from __future__ import annotations

from pathlib import Path

from workflows.steps.credentials import azure_environment
from workflows.steps.terraform import terraform_env


def test_secret_files_become_variables_for_terraform_and_the_sdk(tmp_path: Path) -> None:
    (tmp_path / "ARM_CLIENT_SECRET").write_text("s3cret\n")
    (tmp_path / "ARM_CLIENT_ID").write_text("client")
    (tmp_path / "..data").mkdir()
    added = azure_environment({"IDP_PLATFORM_SECRET_DIR": str(tmp_path)})
    assert added == {
        "ARM_CLIENT_SECRET": "s3cret",
        "ARM_CLIENT_ID": "client",
        "AZURE_CLIENT_ID": "client",
        "AZURE_CLIENT_SECRET": "s3cret",
    }


def test_variables_already_set_are_never_overridden(tmp_path: Path) -> None:
    (tmp_path / "ARM_CLIENT_ID").write_text("from-file")
    env = {"IDP_PLATFORM_SECRET_DIR": str(tmp_path), "ARM_CLIENT_ID": "set", "AZURE_CLIENT_ID": "x"}
    assert azure_environment(env) == {}


def test_workload_identity_is_passed_to_terraform_as_oidc() -> None:
    env = {
        "AZURE_CLIENT_ID": "client",
        "AZURE_TENANT_ID": "tenant",
        "AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token",
    }
    assert azure_environment(env) == {
        "ARM_CLIENT_ID": "client",
        "ARM_TENANT_ID": "tenant",
        "ARM_OIDC_TOKEN_FILE_PATH": "/var/run/secrets/azure/tokens/azure-identity-token",
        "ARM_USE_OIDC": "true",
    }


def test_terraform_runs_without_prompts_or_version_checks() -> None:
    env = terraform_env({"PATH": "/bin", "TF_INPUT": "1"})
    assert env == {
        "PATH": "/bin",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
