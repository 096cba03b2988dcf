"""The one settings model: every name and default the platform uses, in one place.

Precedence, highest first: environment variables (`IDP_...`, nested fields joined with `__`,
for example `IDP_TERRAFORM_BACKEND__STORAGE_ACCOUNT`), then a YAML file given with `--config`,
then the defaults documented on each field. Everything else in the project derives its names
from an instance of `Settings`; nothing repeats them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from idp import __version__
from idp.compat import DEFAULT_JETSTREAM_VERSION, jetstream_problem
from idp.durations import DurationError, argo_duration

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
Name = Annotated[str, Field(pattern=DNS_SUBDOMAIN)]
Label = Annotated[str, Field(pattern=DNS_LABEL)]

DEFAULT_REGIONS = (
    "eastus",
    "eastus2",
    "centralus",
    "westus2",
    "westus3",
    "northeurope",
    "westeurope",
    "uksouth",
)


def _supported_jetstream(version: str) -> str:
    problem = jetstream_problem(version)
    if problem:
        raise ValueError(problem)
    return version


JetStreamVersion = Annotated[str, AfterValidator(_supported_jetstream)]


class SettingsError(ValueError):
    """Settings that cannot be used; the message names the field and the rule."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretKey(_Section):
    """A key inside a Kubernetes Secret: the only way the platform refers to a secret value."""

    name: Name
    key: Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$")]


class TerraformBackend(_Section):
    """Where Terraform state lives (azurerm backend); the key is derived per stack."""

    resource_group: str = Field("rg-idp-tfstate", description="Resource group of the state account")
    storage_account: Annotated[str, Field(pattern=r"^[a-z0-9]{3,24}$")] = Field(
        "idptfstate", description="Storage account holding the state blobs"
    )
    container: Annotated[str, Field(pattern=r"^[a-z0-9](-?[a-z0-9]){2,62}$")] = Field(
        "tfstate", description="Blob container for state files"
    )


class ArtifactRepository(_Section):
    """The Azure Blob artifact repository, published as the `artifact-repositories` ConfigMap."""

    configmap: Name = "artifact-repositories"
    key: Label = "azure-blob"
    endpoint: Annotated[str, Field(pattern=r"^https://[^\s{}]+$")] = (
        "https://idpartifacts.blob.core.windows.net"
    )
    container: Annotated[str, Field(pattern=r"^[a-z0-9](-?[a-z0-9]){2,62}$")] = "argo-artifacts"
    use_sdk_creds: bool = Field(
        True, description="Use the pod's Azure identity; when false, account_key_secret is used"
    )
    account_key_secret: SecretKey = SecretKey(name="artifact-storage", key="account-key")


ENV_PREFIX = "IDP_"
NESTED = "__"


class Settings(BaseModel):
    """Every name and default of the platform. See the module docstring for precedence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: Label = Field("argo-events", description="Namespace of every object")
    eventbus_name: Name = Field("default", description="Argo Events EventBus name")
    eventbus_type: Literal["jetstream", "native"] = Field(
        "jetstream", description="JetStream (default) or the NATS streaming `native` bus"
    )
    jetstream_version: JetStreamVersion = Field(
        DEFAULT_JETSTREAM_VERSION,
        description="NATS JetStream version: one every supported Argo Events release knows "
        "(idp.compat), pinned (never `latest`)",
    )
    eventbus_replicas: Annotated[int, Field(ge=3, le=9)] = 3
    webhook_eventsource: Name = Field("webhook", description="Webhook EventSource name")
    webhook_port: Annotated[int, Field(ge=1024, le=65535)] = 12000
    webhook_max_payload_bytes: Annotated[int, Field(ge=1024, le=1048576)] = 65536
    webhook_token_secret: SecretKey = SecretKey(name="webhook-token", key="token")
    platform_secret: Name = Field(
        "platformsecrets", description="Secret with Azure service-principal values, if used"
    )
    workflow_service_account: Name = "idp-workflow"
    step_settings_configmap: Name = Field(
        "idp-step-settings", description="ConfigMap of the IDP_* settings every step pod reads"
    )
    sensor_service_account: Name = "idp-sensor"
    image_repository: Annotated[str, Field(pattern=r"^[a-z0-9.\-:/_]+$")] = Field(
        "ghcr.io/example-org/platform-tools",
        description="Repository of the platform-tools image (no tag)",
    )
    image_tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")] = Field(
        __version__, description="Tag of the image; defaults to the project version"
    )
    artifact_repository: ArtifactRepository = ArtifactRepository()
    terraform_backend: TerraformBackend = TerraformBackend()
    allowed_regions: tuple[str, ...] = Field(
        DEFAULT_REGIONS, min_length=1, description="Azure regions a request may name"
    )
    approval_timeout: Annotated[str, Field(max_length=32)] = Field(
        "24h",
        description="How long an approval waits before it expires (a Go duration such as 24h)",
    )
    azure_auth: Literal["workload-identity", "secret-env", "secret-volume", "azure-cli"] = Field(
        "workload-identity",
        description="How steps get Azure credentials: workload identity, the platform Secret "
        "(as variables or files), or the Azure CLI's login (for `idp local` on a laptop)",
    )
    azure_resource_manager: Annotated[
        str, Field(pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", max_length=256)
    ] = Field(
        "https://management.azure.com",
        description="The Azure Resource Manager endpoint (another for a sovereign cloud)",
    )
    azure_client_id: str = Field(
        "", description="Client id of the workload identity (annotates the service account)"
    )
    ttl_after_success: Annotated[int, Field(ge=0)] = Field(
        86400, description="Seconds a succeeded workflow is kept before it is deleted"
    )
    ttl_after_failure: Annotated[int, Field(ge=0)] = Field(
        604800, description="Seconds a failed workflow is kept, for investigation"
    )
    callback_url: Annotated[str, Field(pattern=r"^(https?://[^\s{}]+)?$")] = Field(
        "", description="Where notify POSTs run status; empty disables it"
    )
    smtp_host: str = Field("", description="SMTP relay (STARTTLS) for e-mails; empty disables")
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_from: str = Field("", description="Sender address; defaults to idp@<smtp_host>")
    approvers: str = Field(
        "", description="Comma-separated e-mail addresses told when an approval waits"
    )
    notify_secret: Name = Field(
        "idp-notify",
        description="Secret with optional keys smtp-username, smtp-password, callback-token",
    )
    argo_ui_url: Annotated[str, Field(pattern=r"^(https?://[^\s{}]+)?$")] = Field(
        "https://argo.example.internal", description="Base URL of the Argo UI, for links"
    )

    @field_validator("allowed_regions")
    @classmethod
    def _regions_are_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for region in value:
            if not re.fullmatch(r"[a-z][a-z0-9]{1,30}", region):
                raise ValueError(f"{region!r} is not an Azure region name (lowercase, no spaces)")
        if len(set(value)) != len(value):
            raise ValueError("regions must not repeat")
        return value

    @field_validator("approval_timeout")
    @classmethod
    def _go_duration(cls, value: str) -> str:
        try:
            seconds = argo_duration(value)
        except DurationError as exc:
            raise ValueError(str(exc)) from None
        if seconds <= 0:
            raise ValueError(f"{value!r} must be longer than zero")
        return value

    @property
    def image(self) -> str:
        """The full image reference every step runs in."""
        return f"{self.image_repository}:{self.image_tag}"


def format_validation_error(error: ValidationError, prefix: str = "") -> list[str]:
    """One line per problem: `field: rule (got value)`."""
    lines = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "(request)"
        got = item.get("input")
        shown = "" if item["type"] == "missing" or isinstance(got, dict) else f" (got {got!r:.60})"
        lines.append(f"{prefix}{where}: {item['msg']}{shown}")
    return lines


def _from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    """Settings named by `IDP_<FIELD>` (or `IDP_<SECTION>__<FIELD>`) variables.

    Plain values are taken as text (pydantic converts numbers and booleans); lists and whole
    sections must be JSON. Other `IDP_*` variables (the request of a step, test switches) are
    not settings and are left alone.
    """
    found: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        section = field.annotation if isinstance(field.annotation, type) else None
        is_section = section is not None and issubclass(section, BaseModel)
        text = env.get(f"{ENV_PREFIX}{name.upper()}")
        if text is not None:
            structured = is_section or get_origin(field.annotation) in (tuple, list, dict)
            found[name] = _json(name, text) if structured else text
        if is_section and section is not None:
            for sub, inner in section.model_fields.items():
                variable = f"{ENV_PREFIX}{name.upper()}{NESTED}{sub.upper()}"
                if variable in env:
                    nested = isinstance(inner.annotation, type) and issubclass(
                        inner.annotation, BaseModel
                    )
                    value = _json(f"{name}.{sub}", env[variable]) if nested else env[variable]
                    found.setdefault(name, {})[sub] = value
    return found


def _json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SettingsError(
            f"settings.{name}: {ENV_PREFIX}{name.upper().replace('.', NESTED)} is not JSON "
            "(lists and sections in IDP_* variables must be JSON)"
        ) from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def load_settings(config: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from defaults, an optional YAML file and the environment; errors name the field."""
    values: dict[str, Any] = {}
    if config is not None:
        import yaml  # only when a file is given: the step programs never pay for it

        try:
            loaded = yaml.safe_load(config.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"settings file {config}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise SettingsError(f"settings file {config}: not valid YAML ({exc})") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise SettingsError(f"settings file {config}: must be a mapping of setting names")
        values = loaded or {}
    values = _merge(values, _from_environment(os.environ if env is None else env))
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise SettingsError("; ".join(format_validation_error(exc, "settings."))) from exc
