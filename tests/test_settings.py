"""The settings model: defaults, the file, the environment, and errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel, ValidationError

from idp import __version__
from idp.cli import main
from idp.errors import EXIT_SETTINGS
from idp.settings import (
    MAX_FILE_BYTES,
    MAX_VALUES,
    NESTED,
    NOT_SETTINGS,
    NOT_SETTINGS_PREFIXES,
    EnvironmentSettings,
    Settings,
    SettingsError,
    load_settings,
    setting_variables,
    shown,
)
from workflows.pods import step_environment


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
    with pytest.raises(
        SettingsError,
        match=r"^settings.allowed_regions: IDP_ALLOWED_REGIONS is not JSON .*must be JSON",
    ):
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


def test_a_variable_refines_a_section_of_the_file_key_by_key(tmp_path: Path) -> None:
    """pydantic-settings merges its sources key by key: a variable that sets one field of an
    environment leaves the file's other fields of that environment as they are."""
    subscription, client = (
        "00000000-0000-0000-0000-00000000000f",
        "00000000-0000-0000-0000-0000000000c1",
    )
    config = tmp_path / "idp.yaml"
    config.write_text(f"environments:\n  prod:\n    subscription_id: '{subscription}'\n")
    env = {"IDP_ENVIRONMENTS__PROD": json.dumps({"azure_client_id": client})}
    prod = load_settings(config, env=env).target("prod")
    assert (prod.subscription_id, prod.azure_client_id) == (subscription, client)


def test_settings_made_in_code_read_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only load_settings reads IDP_* variables: a Settings built in code (a test, a compile
    of given values) is the same whatever the shell it runs in holds."""
    monkeypatch.setenv("IDP_NAMESPACE", "from-env")
    assert Settings().namespace == "argo-events"
    assert Settings.model_validate({}).namespace == "argo-events"
    assert load_settings().namespace == "from-env"


def test_the_nested_variable_names_are_these() -> None:
    """The names operators and the step settings ConfigMap use: renaming one breaks them."""
    assert sorted(name for name in setting_variables() if NESTED in name) == [
        "IDP_ARTIFACT_REPOSITORY__ACCOUNT_KEY_SECRET",
        "IDP_ARTIFACT_REPOSITORY__CONFIGMAP",
        "IDP_ARTIFACT_REPOSITORY__CONTAINER",
        "IDP_ARTIFACT_REPOSITORY__ENDPOINT",
        "IDP_ARTIFACT_REPOSITORY__KEY",
        "IDP_ARTIFACT_REPOSITORY__USE_SDK_CREDS",
        "IDP_DRIFT__MAX_STACKS",
        "IDP_DRIFT__PARALLELISM",
        "IDP_DRIFT__REMEDIATE",
        "IDP_DRIFT__SCHEDULE",
        "IDP_ENVIRONMENTS__DEV",
        "IDP_ENVIRONMENTS__PROD",
        "IDP_ENVIRONMENTS__STAGING",
        "IDP_ENVIRONMENTS__TEST",
        "IDP_EXPIRY__APPROVAL_WAIVED",
        "IDP_EXPIRY__MAX_TTL_HOURS",
        "IDP_EXPIRY__SCHEDULE",
        "IDP_EXPIRY__WARN_HOURS",
        "IDP_TERRAFORM_BACKEND__BLOB_ENDPOINT",
        "IDP_TERRAFORM_BACKEND__CONTAINER",
        "IDP_TERRAFORM_BACKEND__RESOURCE_GROUP",
        "IDP_TERRAFORM_BACKEND__STORAGE_ACCOUNT",
        "IDP_WEBHOOK_TOKEN_SECRET__KEY",
        "IDP_WEBHOOK_TOKEN_SECRET__NAME",
    ]


def test_the_step_settings_configmap_reads_back_as_the_settings_it_came_from() -> None:
    """Every IDP_* variable `idp compile` writes for the step pods is read to the same value."""
    settings = Settings.model_validate(
        {
            "namespace": "platform",
            "terraform_backend": {"storage_account": "tfstate01", "container": "state"},
            "environments": {"prod": {"terraform_backend": {"resource_group": "rg-prod"}}},
            "allowed_regions": ["westeurope", "uksouth"],
            "smtp_port": 2525,
            "approvers": "ops@example.org",
            "expiry": {"max_ttl_hours": {"dev": 24}, "warn_hours": 2, "approval_waived": ["dev"]},
            "drift": {"remediate": ["test"], "max_stacks": 7},
            "policy_blocking_checks": ["CKV_AZURE_1"],
            "max_monthly_cost": 99.5,
        }
    )
    written = step_environment(settings)
    assert step_environment(load_settings(env=written)) == written


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


# -- IDP_* variables an operator can trust


@pytest.mark.parametrize(
    ("variable", "suggested"),
    [
        ("IDP_NAMESPCE", "IDP_NAMESPACE"),
        ("IDP_ALLOWED_REGION", "IDP_ALLOWED_REGIONS"),
        ("IDP_TERRAFORM_BACKEND_CONTAINER", "IDP_TERRAFORM_BACKEND__CONTAINER"),
    ],
)
def test_a_misspelt_variable_is_refused_with_the_closest_name(
    variable: str, suggested: str
) -> None:
    message = f"^settings: {variable} is not a setting; did you mean {suggested}?"
    with pytest.raises(SettingsError, match=message):
        load_settings(env={variable: "x"})


def test_a_third_nesting_level_is_refused_naming_the_section_to_give_as_json() -> None:
    variable = "IDP_ARTIFACT_REPOSITORY__ACCOUNT_KEY_SECRET__NAME"
    with pytest.raises(
        SettingsError, match="give IDP_ARTIFACT_REPOSITORY__ACCOUNT_KEY_SECRET as a JSON object"
    ):
        load_settings(env={variable: "blob"})


def test_every_variable_that_is_not_a_setting_is_registered() -> None:
    env = {name: "x" for name in NOT_SETTINGS}
    env |= {f"{prefix}ANYTHING": "x" for prefix in NOT_SETTINGS_PREFIXES}
    assert load_settings(env=env) == Settings()


@pytest.mark.parametrize("variable", ["IDP_ALLOWED_REGIONS", "IDP_EXPIRY__APPROVAL_WAIVED"])
def test_a_list_given_as_json_null_is_refused_naming_the_variable(variable: str) -> None:
    """pydantic-settings would read JSON null at the top level as "not set", and use the
    default without a word."""
    with pytest.raises(SettingsError, match=f"{variable} is JSON null; give the value, or unset"):
        load_settings(env={variable: "null"})


def test_the_keys_of_a_section_given_as_json_are_matched_exactly() -> None:
    """As in the settings file; pydantic-settings would match them regardless of case."""
    with pytest.raises(
        SettingsError, match=r"^settings\.terraform_backend\.CONTAINER: Extra inputs are not"
    ):
        load_settings(env={"IDP_TERRAFORM_BACKEND": '{"CONTAINER": "state"}'})


def test_a_section_that_is_not_a_json_object_is_refused_beside_a_nested_variable() -> None:
    env = {"IDP_ARTIFACT_REPOSITORY": "[]", "IDP_ARTIFACT_REPOSITORY__KEY": "blob"}
    with pytest.raises(
        SettingsError,
        match=r"^settings.artifact_repository: IDP_ARTIFACT_REPOSITORY must be a JSON object",
    ):
        load_settings(env=env)


def test_a_nested_variable_refines_a_section_given_as_json() -> None:
    env = {
        "IDP_TERRAFORM_BACKEND": '{"container": "state"}',
        "IDP_TERRAFORM_BACKEND__STORAGE_ACCOUNT": "tfstate01",
    }
    backend = load_settings(env=env).terraform_backend
    assert (backend.container, backend.storage_account) == ("state", "tfstate01")


# -- the settings file: small UTF-8 YAML made of JSON values


def settings_file(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "platform.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def test_a_missing_settings_file_is_one_clear_error(tmp_path: Path) -> None:
    """pydantic-settings' YAML source would skip it, and the defaults would be used."""
    config = tmp_path / "platfrom.yaml"
    with pytest.raises(SettingsError) as refused:
        load_settings(config, env={})
    assert str(refused.value) == f"settings file {config}: No such file or directory"


def test_a_file_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    config = settings_file(tmp_path, b"namespace: caf\xe9\n")
    with pytest.raises(SettingsError, match=r"settings file .*: not UTF-8 text \(byte 14\)$"):
        load_settings(config)


def test_a_key_that_is_not_a_string_is_one_clear_error(tmp_path: Path) -> None:
    config = settings_file(tmp_path, "1: x\n")
    with pytest.raises(SettingsError, match="key 1 is a int, not a string"):
        load_settings(config)


def test_a_yaml_set_is_refused_so_output_cannot_depend_on_hash_order(tmp_path: Path) -> None:
    config = settings_file(tmp_path, "allowed_regions: !!set {eastus: null, westus2: null}\n")
    with pytest.raises(SettingsError, match=r"allowed_regions: a YAML set \(!!set\): use a list"):
        load_settings(config)


def test_a_yaml_date_is_refused_with_the_advice_to_quote_it(tmp_path: Path) -> None:
    config = settings_file(tmp_path, "image_tag: 2024-05-01\n")
    with pytest.raises(SettingsError, match=r"image_tag: a date \(quote it"):
        load_settings(config)


ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)


def test_a_file_of_nested_aliases_is_refused_without_expanding_it(tmp_path: Path) -> None:
    assert len(ALIAS_BOMB) < 400
    config = settings_file(tmp_path, ALIAS_BOMB)
    with pytest.raises(SettingsError, match=f"more than {MAX_VALUES} values"):
        load_settings(config)


def test_an_error_message_about_a_huge_value_stays_short() -> None:
    shared: list[object] = ["x" * 1000] * 10
    for _ in range(8):
        shared = [shared] * 10
    assert len(shown(shared)) <= 60


def test_a_50_megabyte_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    config = tmp_path / "huge.yaml"
    with config.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(SettingsError, match=f"larger than {MAX_FILE_BYTES // 1024} KiB"):
        load_settings(config)


# -- every free-form value is bounded


def string_fields(model: type[BaseModel], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every string setting, sections and one environment's overrides included."""
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        args = [a for a in get_args(annotation) if a is not type(None)]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += string_fields(annotation, (*path, name))
        elif name == "environments":
            found += string_fields(EnvironmentSettings, (*path, name, "prod"))
        elif annotation is str or args == [str]:
            found.append((*path, name))
    return found


def nested(path: tuple[str, ...], value: object) -> dict[str, object]:
    result: dict[str, object] = {path[-1]: value}
    for key in reversed(path[:-1]):
        result = {key: result}
    return result


@pytest.mark.parametrize("path", string_fields(Settings), ids=".".join)
def test_every_string_setting_refuses_a_300_kilobyte_value(path: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(nested(path, "a" * 300_000))


def test_the_client_id_must_be_a_guid() -> None:
    with pytest.raises(SettingsError, match="azure_client_id: String should match pattern"):
        load_settings(env={"IDP_AZURE_CLIENT_ID": "not-a-guid"})


def test_approvers_must_be_email_addresses() -> None:
    with pytest.raises(SettingsError, match=r"'ops at example\.org' is not an e-mail address"):
        load_settings(env={"IDP_APPROVERS": "a@example.org, ops at example.org"})


def test_a_long_list_of_regions_is_refused() -> None:
    regions = json.dumps([f"region{i}" for i in range(101)])
    with pytest.raises(SettingsError, match="allowed_regions: Tuple should have at most 100 items"):
        load_settings(env={"IDP_ALLOWED_REGIONS": regions})


# -- what the controller cannot read, refused at load (issue 17)


def test_a_key_given_twice_in_the_file_is_refused_naming_it(tmp_path: Path) -> None:
    """PyYAML keeps the last of two equal keys; a request body with a key twice is refused
    (idp.contract), and so is a settings file."""
    config = settings_file(tmp_path, "namespace: a\napproval_timeout: 12h\nnamespace: b\n")
    with pytest.raises(SettingsError) as refused:
        load_settings(config, env={})
    assert str(refused.value) == (
        f"settings file {config}: the key 'namespace' is given twice (lines 1 and 3); each "
        "setting may appear only once (as in a request body)"
    )


def test_a_key_given_twice_in_a_section_is_refused_too(tmp_path: Path) -> None:
    config = settings_file(tmp_path, "environments:\n  dev: {}\n  test: {}\n  dev: {}\n")
    with pytest.raises(SettingsError, match=r"the key 'dev' is given twice \(lines 2 and 4\)"):
        load_settings(config, env={})


def test_a_merged_mapping_may_still_be_overridden_by_its_own_keys(tmp_path: Path) -> None:
    first, second = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
    text = (
        f"environments:\n  dev: &dev\n    subscription_id: '{first}'\n"
        f"  test:\n    <<: *dev\n    subscription_id: '{second}'\n"
    )
    settings = load_settings(settings_file(tmp_path, text), env={})
    assert settings.environments["test"].subscription_id == second


def test_a_key_given_twice_in_idp_environments_is_refused_naming_it() -> None:
    env = {"IDP_ENVIRONMENTS": '{"dev": {}, "dev": {"azure_client_id": ""}}'}
    with pytest.raises(SettingsError) as refused:
        load_settings(env=env)
    assert str(refused.value) == (
        "settings.environments: IDP_ENVIRONMENTS gives the key 'dev' more than once; each key "
        "may appear only once (as in a request body)"
    )


@pytest.mark.parametrize(
    "value",
    [
        "99999999999h",
        "2562048h",
        "2562047h47m16.854775808s",
        "9223372036854775808ns",
        "99999999999999999999s",
        "9223372037",  # whole seconds: time.Duration(n) * time.Second wraps around past this
    ],
)
def test_approval_timeout_past_what_a_go_duration_holds_is_refused(value: str) -> None:
    """Go's src/time/format.go, `ParseDuration` (and `leadingInt`): a time.Duration is int64
    nanoseconds; past 1<<63 - 1 it is "time: invalid duration", and the suspend node errors."""
    with pytest.raises(SettingsError) as refused:
        load_settings(env={"IDP_APPROVAL_TIMEOUT": value})
    assert str(refused.value).startswith("settings.approval_timeout: ")
    assert "longer than a Go time.Duration holds" in str(refused.value)


@pytest.mark.parametrize(
    "value", ["2562047h47m16.854775807s", "9223372036854775807ns", "9223372036", "1.5h30m"]
)
def test_approval_timeout_up_to_the_longest_go_duration_is_taken(value: str) -> None:
    assert load_settings(env={"IDP_APPROVAL_TIMEOUT": value}).approval_timeout == value


def test_a_time_zone_outside_the_iana_database_is_refused_naming_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """workflow/validate/validate.go, `ValidateCronWorkflow`: Go's `time.LoadLocation` must
    read the CronWorkflow's timezone, or the controller refuses it."""
    monkeypatch.setenv("IDP_CRON_TIMEZONE", "Mars/Olympus")
    assert main(["schema", "compute"]) == EXIT_SETTINGS
    err = capsys.readouterr().err
    assert err.startswith("idp: settings.cron_timezone: ")
    assert "'Mars/Olympus' is not a time zone of the IANA database" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Etc/GMT+5"])
def test_a_time_zone_of_the_iana_database_is_taken(zone: str) -> None:
    assert load_settings(env={"IDP_CRON_TIMEZONE": zone}).cron_timezone == zone
