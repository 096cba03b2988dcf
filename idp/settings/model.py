"""Every setting of the platform and its default, in one model, grouped by topic.

`Settings` is flat, so each setting keeps its one name (`namespace`, `IDP_NAMESPACE`); a reader
finds it by topic: each base class below (`_Cluster`, `_Events`, `_Image`, `_Argo`, `_Azure`,
`_Approvals`, `_Notices`, `_Policy`, `_Cost`, `_Cron`, `_Backstage`) holds one topic's fields,
their rules and their validators. The sections they refer to (`terraform_backend`, `drift`, ...)
are in `idp.settings.sections`, the kinds of value in `idp.settings.values`.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from idp import __version__
from idp.compat import DEFAULT_JETSTREAM_VERSION
from idp.durations import DurationError, argo_duration
from idp.settings.errors import shown
from idp.settings.sections import (
    ArtifactRepository,
    Drift,
    EnvironmentSettings,
    Expiry,
    SecretKey,
    TerraformBackend,
)
from idp.settings.values import (
    EMAIL,
    ENVIRONMENTS,
    MAX_APPROVERS,
    TEN_YEARS,
    BlockingSeverity,
    CatalogSpec,
    CheckId,
    EnvironmentName,
    JetStreamVersion,
    Label,
    MonthlyCost,
    Name,
    OptionalEmail,
    OptionalGuid,
    OptionalHost,
    Url,
)

ENV_PREFIX = "IDP_"
NESTED = "__"

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


class _Topic(BaseModel):
    """One topic's settings: a base of `Settings`, never used alone (so never built alone)."""

    model_config = ConfigDict(defer_build=True)


class _Cluster(_Topic):
    """Where the platform lives in the cluster: its namespace and the ServiceAccounts, Secret
    and ConfigMap it names."""

    namespace: Label = Field("argo-events", description="Namespace of every object")
    workflow_service_account: Name = "idp-workflow"
    sensor_service_account: Name = "idp-sensor"
    admin_service_account: Name = Field(
        "idp-admin", description="ServiceAccount whose token idp submit, run and approve use"
    )
    platform_secret: Name = Field(
        "platformsecrets", description="Secret with Azure service-principal values, if used"
    )
    step_settings_configmap: Name = Field(
        "idp-step-settings", description="ConfigMap of the IDP_* settings every step pod reads"
    )


class _Events(_Topic):
    """Argo Events: the EventBus, and the webhook EventSource that requests arrive at."""

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


class _Image(_Topic):
    """What every step runs: the platform-tools image and the catalog of kinds."""

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

    @property
    def image(self) -> str:
        """The full image reference every step runs in."""
        return f"{self.image_repository}:{self.image_tag}"


class _Argo(_Topic):
    """Argo Workflows: where artifacts go, how long finished runs are kept, where the UI is."""

    artifact_repository: ArtifactRepository = ArtifactRepository()
    ttl_after_success: Annotated[int, Field(ge=0, le=TEN_YEARS)] = Field(
        86400, description="Seconds a succeeded workflow is kept before it is deleted"
    )
    ttl_after_failure: Annotated[int, Field(ge=0, le=TEN_YEARS)] = Field(
        604800, description="Seconds a failed workflow is kept, for investigation"
    )
    argo_ui_url: Url = Field(
        PLACEHOLDER_ARGO_UI_URL, description="Base URL of the Argo UI, for links"
    )


class _Azure(_Topic):
    """Azure: how steps sign in, which subscription and regions, where Terraform state lives; and
    what one environment sets differently (`Settings.target` joins the two)."""

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
    subscription_id: OptionalGuid = Field(
        "", description="Azure subscription of every stack, unless its environment sets one"
    )
    azure_client_id: OptionalGuid = Field(
        "", description="Client id of the workload identity (annotates the service account)"
    )
    allowed_regions: Annotated[tuple[str, ...], Field(min_length=1, max_length=100)] = Field(
        DEFAULT_REGIONS, description="Azure regions a request may name"
    )
    terraform_backend: TerraformBackend = TerraformBackend()
    environments: dict[EnvironmentName, EnvironmentSettings] = Field(
        default_factory=dict,
        description="Per request environment: subscription_id, terraform_backend, "
        "azure_client_id, policy_blocking_severity and max_monthly_cost that differ from the "
        "top-level ones",
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


class _Approvals(_Topic):
    """Approvals (docs/approvals.md): who is told, who may answer and as which ServiceAccount of the
    Argo Server, and how long a run waits."""

    approval_timeout: Annotated[str, Field(max_length=32)] = Field(
        "24h",
        description="How long an approval waits before it expires (a Go duration such as 24h)",
    )
    approvers: Annotated[str, Field(max_length=MAX_APPROVERS * 256)] = Field(
        "", description="Comma-separated e-mail addresses told when an approval waits"
    )
    approvers_group: Annotated[str, Field(pattern=r"^[^'\\\x00-\x1f\x7f-\x9f]{1,256}$")] = Field(
        "platform-approvers",
        description="The SSO group whose members may answer approvals (the approver "
        "ServiceAccount's rbac-rule; with Entra ID, the group's object id); no quote, "
        "backslash or control character, since it is written inside a quoted expr string",
    )
    approver_identity: Literal["required", "optional"] = Field(
        "required",
        description="Whether apply refuses an approval the Argo Server recorded no identity for "
        "(SSO off); `optional` records the approver as unknown",
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


class _Notices(_Topic):
    """Notices of a run: the callback, e-mail over SMTP, and the Secret of their credentials."""

    callback_url: Url = Field("", description="Where notify POSTs run status; empty disables it")
    smtp_host: OptionalHost = Field(
        "", description="SMTP relay (STARTTLS) for e-mails; empty disables"
    )
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_from: OptionalEmail = Field("", description="Sender address; defaults to idp@<smtp_host>")
    notify_secret: Name = Field(
        "idp-notify",
        description="Secret with optional keys smtp-username, smtp-password, callback-token",
    )


class _Policy(_Topic):
    """The policy check before approval (docs/policy.md)."""

    policy_blocking_severity: BlockingSeverity = Field(
        "HIGH",
        description="A policy finding of this severity or higher stops the run before approval "
        "(outcome policy-failed); NONE: none does. checkov's own checks carry no severity "
        "offline: list those that must stop a run in policy_blocking_checks",
    )
    policy_blocking_checks: Annotated[tuple[CheckId, ...], Field(max_length=500)] = Field(
        (), description="Checks whose finding stops the run whatever its severity"
    )


class _Cost(_Topic):
    """The cost limit the plan step's estimate is held to (docs/cost.md)."""

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


class _Cron(_Topic):
    """The schedules (docs/day-two.md): drift detection, the expiry reaper, and how their
    CronWorkflows run."""

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

    @field_validator("cron_timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        """A zone the controller can load: it refuses a CronWorkflow whose `timezone` Go's
        `time.LoadLocation` cannot read (workflow/validate/validate.go, ValidateCronWorkflow),
        which reads the IANA database as Python's zoneinfo does. Without any database on this
        machine nothing can be told, and the name is let through."""
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            if zoneinfo.available_timezones():
                raise ValueError(
                    f"{shown(value)} is not a time zone of the IANA database (such as UTC, "
                    "Europe/Berlin or America/New_York)"
                ) from None
        return value


class _Backstage(_Topic):
    """Backstage (docs/backstage.md): what `idp compile` writes for the developer portal."""

    backstage_templates: bool = Field(
        False,
        description="idp compile also writes, into backstage/ beside the objects (not in "
        "kustomization.yaml: they are not Kubernetes objects), a Backstage Software Template "
        "per kind, a catalog Location listing them and the app-config.yaml proxy snippet "
        "they POST through (idp backstage writes one kind's)",
    )


@dataclass(frozen=True)
class Target:
    """Where one environment's stacks go: top-level settings with the environment's overrides."""

    subscription_id: str
    terraform_backend: TerraformBackend
    azure_client_id: str
    policy_blocking_severity: str
    max_monthly_cost: float | None = None


class Settings(
    _Cluster,
    _Events,
    _Image,
    _Argo,
    _Azure,
    _Approvals,
    _Notices,
    _Policy,
    _Cost,
    _Cron,
    _Backstage,
    BaseSettings,
):
    """Every name and default of the platform, one topic per base class.

    `Settings(...)` and `Settings.model_validate(...)` take only what they are given, and the
    defaults for the rest: the shell they run in changes nothing. `idp.settings.load_settings`
    adds the settings file and the `IDP_*` variables.
    """

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        defer_build=False,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given: `load_settings` hands over the file and the environment."""
        return (init_settings,)

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
