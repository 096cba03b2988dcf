"""The settings model: defaults, the file, the environment, and errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from idp import __version__
from idp.settings import Settings, SettingsError, load_settings


def test_defaults_match_the_design() -> None:
    settings = load_settings()
    assert (settings.namespace, settings.webhook_eventsource, settings.webhook_port) == (
        "argo-events",
        "webhook",
        12000,
    )
    assert settings.approval_timeout == "24h"
    assert "westeurope" in settings.allowed_regions


def test_image_tag_defaults_to_the_project_version() -> None:
    assert load_settings().image.endswith(f":{__version__}")


def test_file_overrides_defaults(tmp_path: Path) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text("namespace: platform\nterraform_backend:\n  storage_account: tfstate01\n")
    settings = load_settings(config)
    assert settings.namespace == "platform"
    assert settings.terraform_backend.storage_account == "tfstate01"
    assert settings.terraform_backend.container == "tfstate"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text("namespace: from-file\n")
    monkeypatch.setenv("IDP_NAMESPACE", "from-env")
    monkeypatch.setenv("IDP_TERRAFORM_BACKEND__CONTAINER", "state")
    settings = load_settings(config)
    assert (settings.namespace, settings.terraform_backend.container) == ("from-env", "state")


def test_unknown_setting_is_rejected(tmp_path: Path) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text("namespce: typo\n")
    with pytest.raises(SettingsError, match=r"settings\.namespce: Extra inputs are not permitted"):
        load_settings(config)


def test_bad_region_list_names_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_ALLOWED_REGIONS", '["West Europe"]')
    with pytest.raises(
        SettingsError, match=r"allowed_regions.*'West Europe' is not an Azure region"
    ):
        load_settings()


def test_non_json_list_in_environment_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_ALLOWED_REGIONS", "eastus,westus2")
    with pytest.raises(SettingsError, match=r"allowed_regions.*must be JSON"):
        load_settings()


def test_settings_file_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text("- a\n- b\n")
    with pytest.raises(SettingsError, match="must be a mapping"):
        load_settings(config)


def test_latest_is_not_a_pinned_jetstream_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_JETSTREAM_VERSION", "latest")
    with pytest.raises(SettingsError, match="jetstream_version"):
        load_settings()


def test_environment_values_are_converted_to_the_field_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_PORT", "13000")
    monkeypatch.setenv("IDP_ARTIFACT_REPOSITORY__USE_SDK_CREDS", "false")
    monkeypatch.setenv(
        "IDP_ARTIFACT_REPOSITORY__ACCOUNT_KEY_SECRET", '{"name": "blob", "key": "k"}'
    )
    settings = load_settings()
    assert settings.webhook_port == 13000
    assert settings.artifact_repository.use_sdk_creds is False
    assert settings.artifact_repository.account_key_secret.name == "blob"


def test_a_whole_section_can_be_given_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_WEBHOOK_TOKEN_SECRET", '{"name": "portal-token", "key": "bearer"}')
    assert load_settings().webhook_token_secret.name == "portal-token"


def test_other_idp_variables_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_REQUEST", "{}")
    monkeypatch.setenv("IDP_UPSTREAM_SCHEMAS", "/nowhere")
    assert load_settings().namespace == "argo-events"


@pytest.mark.parametrize("value", ["24h", "90m", "1h30m", "86400", "1.5h"])
def test_approval_timeout_takes_what_argo_parses(value: str) -> None:
    """pkg/apis/workflow/v1alpha1/utils.go, `ParseStringToDuration`: whole seconds or Go's
    `time.ParseDuration`."""
    assert Settings.model_validate({"approval_timeout": value}).approval_timeout == value


def test_approval_timeout_in_days_is_refused_with_the_fix() -> None:
    """Go's `time.ParseDuration` has no `d`: a suspend of `1d` would error in the cluster."""
    with pytest.raises(ValidationError, match=r"Go durations have no `d` unit: write 24h"):
        Settings.model_validate({"approval_timeout": "1d"})


@pytest.mark.parametrize("value", ["0", "0s", "soon", "-1h", "h"])
def test_approval_timeout_must_be_a_positive_duration(value: str) -> None:
    with pytest.raises(ValidationError, match="approval_timeout"):
        Settings.model_validate({"approval_timeout": value})
