"""The one settings model: every name and default the platform uses, in one place.

Precedence, highest first: environment variables (`IDP_...`, nested fields joined with `__`,
for example `IDP_TERRAFORM_BACKEND__STORAGE_ACCOUNT`), then a YAML file given with `--config`,
then the defaults documented on each field. Everything else in the project derives its names
from an instance of `Settings`; nothing repeats them.

An operator can trust what is read: an `IDP_*` variable that is neither a setting nor listed in
`NOT_SETTINGS` is refused with the closest valid name; the file must be small UTF-8 YAML made of
JSON values (mappings with string keys, lists, strings, numbers, booleans, null); every
free-form value is bounded, so nothing compiles into an object over Kubernetes' limits; and
every error is one bounded line naming the setting.
"""

from __future__ import annotations

import json
import os
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeGuard, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
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


def is_object_name(text: str) -> bool:
    """True for a Kubernetes object name (DNS-1123 subdomain, at most 253 characters)."""
    return len(text) <= 253 and re.fullmatch(DNS_SUBDOMAIN, text) is not None


Label = Annotated[str, Field(pattern=DNS_LABEL)]
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
Guid = Annotated[str, Field(pattern=f"^{_GUID}$")]
OptionalGuid = Annotated[str, Field(pattern=f"^({_GUID})?$")]
_HOST_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
OptionalHost = Annotated[
    str, Field(pattern=rf"^({_HOST_LABEL}(\.{_HOST_LABEL})*)?$", max_length=253)
]
EMAIL = r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,63}"
OptionalEmail = Annotated[str, Field(pattern=f"^({EMAIL})?$", max_length=254)]
Url = Annotated[str, Field(pattern=r"^(https?://[^\s{}]+)?$", max_length=2048)]
ResourceGroup = Annotated[str, Field(pattern=r"^[-A-Za-z0-9_.()]{0,89}[-A-Za-z0-9_()]$")]
StorageAccount = Annotated[str, Field(pattern=r"^[a-z0-9]{3,24}$")]
BlobContainer = Annotated[str, Field(pattern=r"^[a-z0-9](-?[a-z0-9]){2,62}$")]
BlobEndpoint = Annotated[
    str, Field(pattern=r"^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?)?$", max_length=256)
]
CatalogSpec = Annotated[
    str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_.]{0,199}:[A-Za-z_][A-Za-z0-9_]{0,99})?$")
]
MAX_APPROVERS = 50
TEN_YEARS = 10 * 365 * 86400

ENVIRONMENTS = ("dev", "test", "staging", "prod")  # the contract's; a test holds them equal
EnvironmentName = Literal["dev", "test", "staging", "prod"]
# checkov's severities, lowest first; NONE: no severity stops a run (listed checks still do).
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
BlockingSeverity = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL", "NONE"]
CheckId = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]

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
PLACEHOLDER_IMAGE_REPOSITORY = "ghcr.io/example-org/platform-tools"
PLACEHOLDER_ARGO_UI_URL = "https://argo.example.internal"

ENV_PREFIX = "IDP_"
NESTED = "__"

# The IDP_* variables that are not settings, and who reads them. Every other IDP_* name must be
# a setting: a new variable is added here (or under a prefix below), or it is refused.
NOT_SETTINGS: Mapping[str, str] = {
    "IDP_REQUEST": "the request JSON of a step pod",
    "IDP_DEBUG": "1 shows the traceback of an internal error",
    "IDP_UPSTREAM_SCHEMAS": "tests: the folder of the official Argo schemas",
    "IDP_REQUIRE_UPSTREAM_SCHEMAS": "tests: 1 makes a missing schema a failure",
    "IDP_UPDATE_EXPECTED": "tests: 1 rewrites tests/expected",
    "IDP_TEST_CLUSTER": "tests: 1 lets the on_cluster tests write to ARGO_SERVER",
    "IDP_BENCH_RUNS": "scripts/bench: runs per figure",
    "IDP_WEBHOOK_TOKEN": "idp trigger and the drift/expiry steps: the webhook's bearer token",
    "IDP_CALLBACK_TOKEN": "notify step: the callback's bearer token",
    "IDP_SMTP_USERNAME": "notify step: SMTP login",
    "IDP_SMTP_PASSWORD": "notify step: SMTP password",
    "IDP_PLATFORM_SECRET_DIR": "step pods: where the platform Secret is mounted",
    "IDP_TERMINATION_LOG": "step pods: where a failing step leaves its reason for Argo",
    "IDP_CHECKOV": "policy step: the checkov program (default: checkov on PATH)",
    "IDP_IMAGE_ENGINE": "scripts/build-image: docker, podman or buildah",
    "IDP_IMAGE_SOURCE": "scripts/build-image: the image's source label",
}
NOT_SETTINGS_PREFIXES: Mapping[str, str] = {
    "IDP_ARG_": "validate step: one workflow argument per request field",
    "IDP_LOCAL_": "reserved for idp local",
}
MAX_FILE_BYTES = 1 << 20
MAX_VALUES = 10_000
MAX_DEPTH = 20
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 200
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = _SHOWN.maxset = 8
_SHOWN.maxlevel = 3


def _supported_jetstream(version: str) -> str:
    problem = jetstream_problem(version)
    if problem:
        raise ValueError(problem)
    return version


JetStreamVersion = Annotated[str, AfterValidator(_supported_jetstream)]


def _cost_or_none(value: Any) -> Any:
    """An empty value (an unset IDP_* variable) is no limit; a boolean is not an amount."""
    if value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("must be an amount in US dollars, not a boolean")
    return value


# US dollars a month: a positive finite number, or None for no limit.
MonthlyCost = Annotated[
    Annotated[float, Field(gt=0, allow_inf_nan=False)] | None, BeforeValidator(_cost_or_none)
]


class SettingsError(ValueError):
    """Settings that cannot be used; the message names the field and the rule."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretKey(_Section):
    """A key inside a Kubernetes Secret: the only way the platform refers to a secret value."""

    name: Name
    key: Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]{1,253}$")]


class TerraformBackend(_Section):
    """Where Terraform state lives (azurerm backend); the key is derived per stack."""

    resource_group: ResourceGroup = Field(
        "rg-idp-tfstate", description="Resource group of the state account"
    )
    storage_account: StorageAccount = Field(
        "idptfstate", description="Storage account holding the state blobs"
    )
    container: BlobContainer = Field("tfstate", description="Blob container for state files")
    blob_endpoint: BlobEndpoint = Field(
        "",
        description="The state account's blob endpoint; empty for "
        "https://<storage_account>.blob.core.windows.net (another for a sovereign cloud)",
    )

    @property
    def blob_url(self) -> str:
        """Where the state account's blobs are (the plan store uses it)."""
        return self.blob_endpoint or f"https://{self.storage_account}.blob.core.windows.net"


class BackendOverride(_Section):
    """Fields of `TerraformBackend` one environment sets differently; the rest are inherited."""

    resource_group: ResourceGroup | None = None
    storage_account: StorageAccount | None = None
    container: BlobContainer | None = None
    blob_endpoint: BlobEndpoint | None = None


class EnvironmentSettings(_Section):
    """What one request environment (dev, test, staging, prod) sets apart from the defaults."""

    subscription_id: Guid | None = Field(None, description="Azure subscription of the stacks")
    terraform_backend: BackendOverride = BackendOverride()
    azure_client_id: Guid | None = Field(
        None, description="Client id of this environment's workload identity"
    )
    policy_blocking_severity: BlockingSeverity | None = Field(
        None, description="This environment's policy_blocking_severity"
    )
    max_monthly_cost: MonthlyCost = Field(
        None, description="This environment's max_monthly_cost (unset: the top-level one)"
    )


@dataclass(frozen=True)
class Target:
    """Where one environment's stacks go: top-level settings with the environment's overrides."""

    subscription_id: str
    terraform_backend: TerraformBackend
    azure_client_id: str
    policy_blocking_severity: str
    max_monthly_cost: float | None = None


# A cron schedule as the cron controller reads it: five fields (robfig/cron's standard parser)
# or a descriptor such as @daily.
CronSchedule = Annotated[
    str,
    Field(pattern=r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+ ){4}\S+)$"),
    Field(max_length=100),
]
MAX_TTL_HOURS = 8760  # a year: the most any environment may allow (the contract's bound)
TtlHours = Annotated[int, Field(ge=1, le=MAX_TTL_HOURS)]


def _default_ttl_limits() -> dict[EnvironmentName, int]:
    return {"dev": 168, "test": 168, "staging": 720}


class Drift(_Section):
    """Drift detection: a plan of every registered stack, on a schedule (`<kind>-drift`)."""

    schedule: CronSchedule = Field("0 3 * * *", description="When the drift check runs")
    parallelism: Annotated[int, Field(ge=1, le=32)] = Field(4, description="Stacks checked at once")
    max_stacks: Annotated[int, Field(ge=1, le=2000)] = Field(
        500, description="Most stacks one check covers (the rest are reported, not checked)"
    )
    remediate: tuple[EnvironmentName, ...] = Field(
        (),
        description="Environments whose drifted stacks get a provision run from their recorded "
        "request (through approval, like any other)",
    )


class Expiry(_Section):
    """Stacks that expire (`ttl_hours`) and the reaper that destroys them (`<kind>-expiry`)."""

    schedule: CronSchedule = Field("*/30 * * * *", description="When the reaper runs")
    max_ttl_hours: dict[EnvironmentName, TtlHours] = Field(
        default_factory=_default_ttl_limits,
        description="Per environment, the largest ttl_hours a request may ask for; an "
        "environment not listed (prod by default) takes none: its stacks never expire",
    )
    warn_hours: Annotated[int, Field(ge=0, le=720)] = Field(
        24, description="How long before its expiry the requester is told"
    )
    approval_waived: tuple[EnvironmentName, ...] = Field(
        (),
        description="Environments where the destroy of an expired stack needs no approval "
        "(elsewhere it waits for one, like any other run)",
    )

    @property
    def ttl_limits(self) -> dict[str, int]:
        """max_ttl_hours keyed by plain strings, as the contract's validation reads it."""
        return {str(environment): hours for environment, hours in self.max_ttl_hours.items()}


class ArtifactRepository(_Section):
    """The Azure Blob artifact repository, published as the `artifact-repositories` ConfigMap."""

    configmap: Name = "artifact-repositories"
    key: Label = "azure-blob"
    endpoint: Annotated[str, Field(pattern=r"^https://[^\s{}]+$", max_length=2048)] = (
        "https://idpartifacts.blob.core.windows.net"
    )
    container: BlobContainer = "argo-artifacts"
    use_sdk_creds: bool = Field(
        True, description="Use the pod's Azure identity; when false, account_key_secret is used"
    )
    account_key_secret: SecretKey = SecretKey(name="artifact-storage", key="account-key")


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
    webhook_service_url: Url = Field(
        "",
        description="Where drift remediation and the expiry reaper POST the runs they start; "
        "empty: the webhook EventSource's Service in the namespace",
    )
    platform_secret: Name = Field(
        "platformsecrets", description="Secret with Azure service-principal values, if used"
    )
    workflow_service_account: Name = "idp-workflow"
    step_settings_configmap: Name = Field(
        "idp-step-settings", description="ConfigMap of the IDP_* settings every step pod reads"
    )
    sensor_service_account: Name = "idp-sensor"
    admin_service_account: Name = Field(
        "idp-admin", description="ServiceAccount whose token idp submit, run and approve use"
    )
    argo_server_namespace: Label = Field(
        "argo",
        description="Namespace the Argo Server runs in: SSO RBAC looks for its ServiceAccounts "
        "(the approver's) there",
    )
    approver_service_account: Name = Field(
        "idp-approver",
        description="ServiceAccount the Argo Server acts as for members of approvers_group "
        "(SSO RBAC), in argo_server_namespace; it may only read and answer Workflows",
    )
    approver_rbac_precedence: Annotated[int, Field(ge=-1000, le=1000)] = Field(
        1,
        description="The approver ServiceAccount's SSO RBAC precedence: the highest matching "
        "rule wins, so above a catch-all read-only account (0) and below an admin account",
    )
    image_repository: Annotated[str, Field(pattern=r"^[a-z0-9.\-:/_]+$", max_length=255)] = Field(
        PLACEHOLDER_IMAGE_REPOSITORY,
        description="Repository of the platform-tools image (no tag)",
    )
    image_tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")] = Field(
        __version__, description="Tag of the image; defaults to the project version"
    )
    catalog: CatalogSpec = Field(
        "",
        description="module:attribute of the catalog of kinds (empty: the built-in one); "
        "the module must be importable where idp and the step pods run",
    )
    artifact_repository: ArtifactRepository = ArtifactRepository()
    terraform_backend: TerraformBackend = TerraformBackend()
    subscription_id: OptionalGuid = Field(
        "", description="Azure subscription of every stack, unless its environment sets one"
    )
    environments: dict[EnvironmentName, EnvironmentSettings] = Field(
        default_factory=dict,
        description="Per request environment: subscription_id, terraform_backend, "
        "azure_client_id, policy_blocking_severity and max_monthly_cost that differ from the "
        "top-level ones",
    )
    allowed_regions: Annotated[tuple[str, ...], Field(min_length=1, max_length=100)] = Field(
        DEFAULT_REGIONS, description="Azure regions a request may name"
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
    azure_client_id: OptionalGuid = Field(
        "", description="Client id of the workload identity (annotates the service account)"
    )
    ttl_after_success: Annotated[int, Field(ge=0, le=TEN_YEARS)] = Field(
        86400, description="Seconds a succeeded workflow is kept before it is deleted"
    )
    ttl_after_failure: Annotated[int, Field(ge=0, le=TEN_YEARS)] = Field(
        604800, description="Seconds a failed workflow is kept, for investigation"
    )
    callback_url: Url = Field("", description="Where notify POSTs run status; empty disables it")
    smtp_host: OptionalHost = Field(
        "", description="SMTP relay (STARTTLS) for e-mails; empty disables"
    )
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_from: OptionalEmail = Field("", description="Sender address; defaults to idp@<smtp_host>")
    approvers: Annotated[str, Field(max_length=MAX_APPROVERS * 256)] = Field(
        "", description="Comma-separated e-mail addresses told when an approval waits"
    )
    notify_secret: Name = Field(
        "idp-notify",
        description="Secret with optional keys smtp-username, smtp-password, callback-token",
    )
    argo_ui_url: Url = Field(
        PLACEHOLDER_ARGO_UI_URL, description="Base URL of the Argo UI, for links"
    )
    backstage_templates: bool = Field(
        False,
        description="idp compile also writes, into backstage/ beside the objects (not in "
        "kustomization.yaml: they are not Kubernetes objects), a Backstage Software Template "
        "per kind, a catalog Location listing them and the app-config.yaml proxy snippet "
        "they POST through (idp backstage writes one kind's)",
    )
    approver_identity: Literal["required", "optional"] = Field(
        "required",
        description="Whether apply refuses an approval the Argo Server recorded no identity for "
        "(SSO off); `optional` records the approver as unknown",
    )
    policy_blocking_severity: BlockingSeverity = Field(
        "HIGH",
        description="A policy finding of this severity or higher stops the run before approval "
        "(outcome policy-failed); NONE: none does. checkov's own checks carry no severity "
        "offline: list those that must stop a run in policy_blocking_checks",
    )
    policy_blocking_checks: Annotated[tuple[CheckId, ...], Field(max_length=500)] = Field(
        (), description="Checks whose finding stops the run whatever its severity"
    )
    max_monthly_cost: MonthlyCost = Field(
        None,
        description="US dollars a month (Azure retail prices) a stack may cost after a change, "
        "by the plan step's estimate; a plan over it ends the run cost-blocked before approval. "
        "Unset (null, or an empty IDP_MAX_MONTHLY_COST): no limit; "
        "environments.<env>.max_monthly_cost sets one environment's. An estimate the price "
        "service could not make never blocks a run",
    )
    prices_url: Annotated[
        str,
        Field(
            pattern=r"^(https://[A-Za-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:[0-9]{1,5})?"
            r"(/[A-Za-z0-9._~/-]*)?$",
            max_length=256,
        ),
    ] = Field(
        "https://prices.azure.com/api/retail/prices",
        description="The Azure Retail Prices API the plan step's cost estimate asks (public, no "
        "key; plain http only on this machine's loopback, for tests)",
    )
    drift: Drift = Drift()
    expiry: Expiry = Expiry()
    cron_timezone: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_+/-]{0,63}$")] = Field(
        "UTC", description="Time zone of the drift and expiry schedules (an IANA name)"
    )
    cron_concurrency_policy: Literal["Forbid", "Replace", "Allow"] = Field(
        "Forbid", description="What a scheduled run does while the previous one still runs"
    )
    cron_starting_deadline_seconds: Annotated[int, Field(ge=0, le=86400)] = Field(
        300, description="How late a missed scheduled run may still start"
    )
    approvers_group: Annotated[str, Field(pattern=r"^[^'\\\x00-\x1f\x7f-\x9f]{1,256}$")] = Field(
        "platform-approvers",
        description="The SSO group whose members may answer approvals (the approver "
        "ServiceAccount's rbac-rule; with Entra ID, the group's object id); no quote, "
        "backslash or control character, since it is written inside a quoted expr string",
    )

    @field_validator("allowed_regions")
    @classmethod
    def _regions_are_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for region in value:
            if not re.fullmatch(r"[a-z][a-z0-9]{1,30}", region):
                raise ValueError(
                    f"{shown(region)} is not an Azure region name (lowercase, no spaces)"
                )
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

    @field_validator("cron_timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        """A zone the controller can load: it refuses a CronWorkflow whose `timezone` Go's
        `time.LoadLocation` cannot read (workflow/validate/validate.go, ValidateCronWorkflow),
        which reads the IANA database as Python's zoneinfo does. Without any database on this
        machine nothing can be told, and the name is let through."""
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            if zoneinfo.available_timezones():
                raise ValueError(
                    f"{shown(value)} is not a time zone of the IANA database (such as UTC, "
                    "Europe/Berlin or America/New_York)"
                ) from None
        return value

    @field_validator("approvers")
    @classmethod
    def _approvers_are_addresses(cls, value: str) -> str:
        addresses = [a.strip() for a in value.split(",") if a.strip()]
        if len(addresses) > MAX_APPROVERS:
            raise ValueError(f"at most {MAX_APPROVERS} addresses")
        for address in addresses:
            if not re.fullmatch(EMAIL, address):
                raise ValueError(f"{shown(address)} is not an e-mail address")
        return value

    @property
    def image(self) -> str:
        """The full image reference every step runs in."""
        return f"{self.image_repository}:{self.image_tag}"

    @property
    def webhook_url(self) -> str:
        """The webhook's base URL as the platform's own steps reach it (inside the cluster:
        Argo Events names the EventSource's Service `<name>-eventsource-svc`,
        pkg/reconciler/eventsource/resource.go, `buildService`)."""
        return self.webhook_service_url or (
            f"http://{self.webhook_eventsource}-eventsource-svc.{self.namespace}.svc:"
            f"{self.webhook_port}"
        )

    def target(self, environment: str) -> Target:
        """Subscription, backend, client id, policy and cost limit of `environment`: its
        overrides over the defaults."""
        overrides = {str(name): value for name, value in self.environments.items()}
        override = overrides.get(environment, EnvironmentSettings())
        backend = self.terraform_backend.model_copy(
            update=override.terraform_backend.model_dump(exclude_none=True)
        )
        return Target(
            subscription_id=override.subscription_id or self.subscription_id,
            terraform_backend=backend,
            azure_client_id=override.azure_client_id or self.azure_client_id,
            policy_blocking_severity=override.policy_blocking_severity
            or self.policy_blocking_severity,
            max_monthly_cost=override.max_monthly_cost
            if override.max_monthly_cost is not None
            else self.max_monthly_cost,
        )


def with_catalog(settings: Settings, spec: str | None) -> Settings:
    """`settings` with the catalog a flag names (checked like the setting), if one does."""
    if not spec:
        return settings
    try:
        return Settings.model_validate({**settings.model_dump(), "catalog": spec})
    except ValidationError as exc:
        raise SettingsError("; ".join(format_validation_error(exc, "--catalog: "))) from None


def shown(value: Any, limit: int = 60) -> str:
    """A repr of `value` for a message, bounded in the work done and in length."""
    text = _SHOWN.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_validation_error(error: ValidationError, prefix: str = "") -> list[str]:
    """One line per problem: `field: rule (got value)`."""
    lines = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "(request)"
        got = item.get("input")
        hidden = item["type"] == "missing" or isinstance(got, dict)
        lines.append(f"{prefix}{where}: {item['msg']}" + ("" if hidden else f" (got {shown(got)})"))
    return lines


def unusable(settings: Settings) -> list[str]:
    """What in `settings` cannot work on a cluster, one line each: the setting and why.

    The defaults are placeholders that compile (so a fresh clone compiles); `idp compile
    --strict` and `idp doctor` refuse them.
    """
    problems = []
    if settings.azure_auth == "workload-identity":
        for name, why in (
            ("subscription_id", "nothing else supplies the subscription"),
            ("azure_client_id", "the steps need the identity's client id"),
        ):
            without = [e for e in ENVIRONMENTS if not getattr(settings.target(e), name)]
            if without:
                problems.append(
                    f"settings.{name}: empty for {', '.join(without)}; with workload-identity "
                    f"{why} (set {name}, or environments.<env>.{name})"
                )
    if settings.image_repository == PLACEHOLDER_IMAGE_REPOSITORY:
        problems.append(
            f"settings.image_repository: {PLACEHOLDER_IMAGE_REPOSITORY} is the example "
            "placeholder; name the registry that scripts/build-image --push pushes to"
        )
    if settings.argo_ui_url == PLACEHOLDER_ARGO_UI_URL:
        problems.append(
            f"settings.argo_ui_url: {PLACEHOLDER_ARGO_UI_URL} is the example placeholder; "
            "links in notices and idp run would lead nowhere (set the Argo UI's URL)"
        )
    return problems


# -- the environment


def _is_section(annotation: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _structured(annotation: Any) -> bool:
    return _is_section(annotation) or get_origin(annotation) in (tuple, list, dict)


def setting_variables() -> list[str]:
    """Every IDP_* name that sets something: top-level fields and one level into sections."""
    names = []
    for name, field in Settings.model_fields.items():
        top = f"{ENV_PREFIX}{name.upper()}"
        names.append(top)
        annotation = field.annotation
        if _is_section(annotation):
            names += [f"{top}{NESTED}{sub.upper()}" for sub in annotation.model_fields]
        elif get_origin(annotation) is dict:
            names += [f"{top}{NESTED}{key.upper()}" for key in get_args(get_args(annotation)[0])]
    return names


def _not_a_setting(name: str) -> bool:
    return name in NOT_SETTINGS or name.startswith(tuple(NOT_SETTINGS_PREFIXES))


def _unknown(name: str, known: list[str]) -> str:
    parts = name.split(NESTED)
    if len(parts) > 2 and NESTED.join(parts[:2]) in known:
        section = NESTED.join(parts[:2])
        return (
            f"settings: {name}: IDP_* variables reach one level into a section; "
            f"give {section} as a JSON object instead"
        )
    import difflib  # only for a misspelt name: not on every step's start

    close = difflib.get_close_matches(name.upper(), [*known, *NOT_SETTINGS], n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else "no setting has a similar name"
    return f"settings: {name} is not a setting; {hint} (idp/settings.py lists every setting)"


class _Twice(Exception):
    """A key given twice in one object or mapping (the first wins nowhere: both are refused)."""

    def __init__(self, key: object, where: str = "") -> None:
        super().__init__(key)
        self.key = key
        self.where = where


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys each appear once (json's `object_pairs_hook`)."""
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise _Twice(key)
        members[key] = value
    return members


def _json(variable: str, text: str, *, mapping: bool = False) -> Any:
    where = "settings." + variable[len(ENV_PREFIX) :].lower().replace(NESTED, ".")
    try:
        value = json.loads(text, object_pairs_hook=_once)
    except _Twice as twice:
        raise SettingsError(
            f"{where}: {variable} gives the key {shown(twice.key)} more than once; each key may "
            "appear only once (as in a request body)"
        ) from None
    except ValueError:
        raise SettingsError(
            f"{where}: {variable} is not JSON (lists and sections in IDP_* variables must be JSON)"
        ) from None
    except RecursionError:
        raise SettingsError(f"{where}: {variable} holds JSON nested too deeply") from None
    if mapping and not isinstance(value, dict):
        raise SettingsError(
            f"{where}: {variable} must be a JSON object (a section), got {shown(value)}"
        )
    return value


def _from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    """Settings named by `IDP_<FIELD>` (or `IDP_<SECTION>__<FIELD>`) variables.

    Plain values are taken as text (pydantic converts numbers and booleans); lists and whole
    sections must be JSON. Names in NOT_SETTINGS are left alone; any other IDP_* name that is
    not a setting is refused, naming the closest one.
    """
    known = setting_variables()
    wanted = sorted(n for n in env if n.startswith(ENV_PREFIX) and not _not_a_setting(n))
    problems = [_unknown(n, known) for n in wanted if n not in known]
    if problems:
        raise SettingsError("; ".join(problems))
    found: dict[str, Any] = {}
    for variable in sorted(wanted, key=lambda n: n.count(NESTED)):  # sections before fields
        name, _, sub = variable[len(ENV_PREFIX) :].lower().partition(NESTED)
        annotation = Settings.model_fields[name].annotation
        text = env[variable]
        if not sub:
            is_map = _is_section(annotation) or get_origin(annotation) is dict
            found[name] = _json(variable, text, mapping=is_map) if _structured(annotation) else text
            continue
        inner: Any = (
            annotation.model_fields[sub].annotation
            if _is_section(annotation)
            else get_args(annotation)[1]  # a dict of sections: the key was checked
        )
        value = _json(variable, text, mapping=_is_section(inner)) if _structured(inner) else text
        found.setdefault(name, {})[sub] = value
    return found


# -- the file


def _plain(value: Any, where: str, budget: list[int], depth: int = 0) -> Any:
    """`value` if it is made of JSON values only; a bounded walk, even through YAML aliases."""
    budget[0] -= 1
    if budget[0] < 0:
        raise SettingsError(
            f"more than {MAX_VALUES} values (after expanding YAML aliases); "
            "a settings file holds a few dozen"
        )
    if depth > MAX_DEPTH:
        raise SettingsError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SettingsError(
                    f"{where}: key {shown(key)} is a {type(key).__name__}, not a string"
                )
            _plain(item, f"{where}.{key}" if where else key, budget, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _plain(item, f"{where}[{index}]", budget, depth + 1)
    elif not (value is None or isinstance(value, str | bool | int | float)):
        kind = {"set": "a YAML set (!!set): use a list", "bytes": "binary data (!!binary)"}.get(
            type(value).__name__, f"a {type(value).__name__} (quote it to make it a string)"
        )
        raise SettingsError(f"{where or '(top)'}: {kind}; settings take JSON values only")
    return value


def _unique_keys_loader() -> type[Any]:
    """PyYAML's SafeLoader, refusing a mapping that gives a key twice (PyYAML keeps the last).
    A merge (`<<: *base`) may still be overridden by the mapping's own keys."""
    import yaml

    class UniqueKeys(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            lines: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                    key_node, yaml.ScalarNode
                ):
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in lines:
                    raise _Twice(key, f"lines {lines[key]} and {line}")
                lines[key] = line
            return super().construct_mapping(node, deep)

    return UniqueKeys


def _from_file(config: Path) -> dict[str, Any]:
    import yaml  # only when a file is given: the step programs never pay for it

    where = f"settings file {config}"
    try:
        with config.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SettingsError(f"{where}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise SettingsError(f"{where}: larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    try:
        loaded = yaml.load(text, Loader=_unique_keys_loader())  # noqa: S506 - a SafeLoader
    except _Twice as twice:
        raise SettingsError(
            f"{where}: the key {shown(twice.key)} is given twice ({twice.where}); each setting "
            "may appear only once (as in a request body)"
        ) from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{where}: not valid YAML ({shown_text(str(exc), 200)})") from None
    except RecursionError:
        raise SettingsError(f"{where}: nested too deeply") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise SettingsError(f"{where}: must be a mapping of setting names")
    try:
        return dict(_plain(loaded, "", [MAX_VALUES]))
    except SettingsError as exc:
        raise SettingsError(f"{where}: {exc}") from None


def shown_text(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters."""
    flat = " ".join(text[: limit * 4].split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


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
    values = _from_file(config) if config is not None else {}
    values = _merge(values, _from_environment(os.environ if env is None else env))
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError("; ".join(format_validation_error(exc, "settings."))) from None
