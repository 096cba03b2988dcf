"""The sections of the settings: groups of fields a file gives as a mapping and the environment
as `IDP_<SECTION>__<FIELD>` (or the whole section as JSON), and the overrides of one environment.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from idp.settings.values import (
    BlobContainer,
    BlobEndpoint,
    BlockingSeverity,
    CronSchedule,
    EnvironmentName,
    Guid,
    Label,
    MonthlyCost,
    Name,
    ResourceGroup,
    StorageAccount,
    TtlHours,
)


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
