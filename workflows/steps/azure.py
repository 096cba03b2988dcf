"""Azure checks with azure-identity and azure-mgmt-resource: preflight (region, providers), verify.

The SDK is imported inside the functions that call it, so only the commands that talk to Azure
pay for it (azure-identity takes some 110 ms, azure-mgmt-resource 40 more, azure-core 20 of
those). The credential is the one `settings.azure_auth` names, never a guess through a chain of
them: workload identity in the pod, the platform Secret's service principal (as variables, or
files turned into variables by `credentials`), or the Azure CLI's login for a local run. The
endpoint is `settings.azure_resource_manager` (another one for a sovereign cloud), with the token
scope that belongs to it. The subscription's locations are read through the client's
`send_request` (the `SubscriptionClient` left azure-mgmt-resource in version 25).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from workflows.steps.credentials import environment_identity
from workflows.steps.errors import StepError

LOCATIONS_API_VERSION = "2022-12-01"
REGISTERED = "Registered"
SUBSCRIPTION_ENV = ("AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID")

# Resource providers each (kind, resource_type) needs registered in the subscription.
REQUIRED_PROVIDERS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("compute", "kubernetes"): ("Microsoft.ContainerService",),
    ("compute", "vm"): ("Microsoft.Compute", "Microsoft.Network"),
    ("storage", "blob"): ("Microsoft.Storage",),
    ("storage", "fileshare"): ("Microsoft.Storage",),
    ("database", "postgresql"): ("Microsoft.DBforPostgreSQL",),
    ("database", "cosmosdb"): ("Microsoft.DocumentDB",),
    ("database", "redis"): ("Microsoft.Cache",),
}


def subscription_id(env: Mapping[str, str] | None = None) -> str:
    """The subscription of the request's environment from the settings, else
    AZURE_SUBSCRIPTION_ID, else ARM_SUBSCRIPTION_ID."""
    env = os.environ if env is None else env
    chosen = environment_identity(env).get(SUBSCRIPTION_ENV[0])
    if chosen:
        return chosen
    for name in SUBSCRIPTION_ENV:
        if env.get(name):
            return env[name]
    raise StepError(
        f"no subscription: set {' or '.join(SUBSCRIPTION_ENV)}, or subscription_id in the "
        "settings (environments.<environment>.subscription_id for one environment)"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _quiet_sdk() -> None:
    """The SDK logs a refused credential as a warning before it raises; with no handler
    configured, Python prints it on stderr, a second line beside the step's own. The step
    reports what the SDK raises, so the SDK's log goes nowhere."""
    logger = logging.getLogger("azure")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def credential(auth: str) -> Any:
    """The azure-identity credential for a `settings.azure_auth` value."""
    from azure import identity  # noqa: PLC0415  (heavy: 110 ms; only steps reaching Azure need it)

    _quiet_sdk()

    if auth == "workload-identity":
        return identity.WorkloadIdentityCredential()
    if auth == "azure-cli":
        return identity.AzureCliCredential()
    return identity.EnvironmentCredential()


@contextmanager
def connect(subscription: str, auth: str, endpoint: str) -> Iterator[Any]:
    """A ResourceManagementClient for `subscription` at `endpoint`, with the credential `auth`
    names; Azure errors become one-line StepErrors."""
    # heavy (azure-core 20 ms, azure-mgmt-resource 40 more): only preflight and verify need them
    from azure.core.exceptions import AzureError  # noqa: PLC0415
    from azure.mgmt.resource.resources import ResourceManagementClient  # noqa: PLC0415

    base = endpoint.rstrip("/")
    try:
        client = ResourceManagementClient(
            credential(auth), subscription, base_url=base, credential_scopes=[f"{base}/.default"]
        )
        try:
            yield client
        finally:
            client.close()
    except (AzureError, ValueError) as exc:
        raise StepError(f"azure: {type(exc).__name__}: {_first_line(exc)}") from exc


def locations(client: Any, subscription: str) -> set[str]:
    """Names of the locations the subscription can use."""
    from azure.core.rest import HttpRequest  # noqa: PLC0415  (heavy: 20 ms; only preflight)

    url: str | None = f"/subscriptions/{subscription}/locations"
    params: dict[str, str] | None = {"api-version": LOCATIONS_API_VERSION}
    names: set[str] = set()
    while url:
        response = client.send_request(HttpRequest("GET", url, params=params))
        response.raise_for_status()
        page = response.json()
        names.update(str(item["name"]).lower() for item in page.get("value", []))
        url, params = page.get("nextLink"), None
    return names


def preflight(client: Any, subscription: str, region: str, providers: Iterable[str]) -> list[str]:
    """Fail naming every problem: region not a location, providers not registered."""
    problems: list[str] = []
    if region.lower() not in locations(client, subscription):
        problems.append(f"region {region} is not a location of subscription {subscription}")
    missing = []
    for namespace in providers:
        state = client.providers.get(namespace).registration_state
        if state != REGISTERED:
            missing.append(f"{namespace} ({state})")
    if missing:
        problems.append(
            f"resource providers not registered in subscription {subscription}: "
            + ", ".join(missing)
        )
    if problems:
        raise StepError("; ".join(problems))
    return list(providers)


def tagged_ids(client: Any, tag: str, value: str) -> set[str]:
    """ARM ids of the resource groups and resources tagged `tag=value`."""
    # Both come from the contract's patterns ([a-z0-9-]), so they are safe inside the filter.
    query = f"tagName eq '{tag}' and tagValue eq '{value}'"
    found = {group.id for group in client.resource_groups.list(filter=query)}
    found.update(resource.id for resource in client.resources.list(filter=query))
    return found


def verify(client: Any, request_id: str, expected: Iterable[str]) -> int:
    """Fail unless every expected id is tagged with the request id; the count found."""
    present = tagged_ids(client, "request_id", request_id)
    known = {item.lower() for item in present}
    missing = sorted(item for item in expected if item.lower() not in known)
    if missing:
        raise StepError(
            f"not found in Azure with tag request_id={request_id}: " + ", ".join(missing)
        )
    return len(known)


def verify_gone(client: Any, tag: str, value: str) -> None:
    """Fail naming what is left if anything in the subscription is still tagged `tag=value`."""
    present = tagged_ids(client, tag, value)
    if present:
        raise StepError(
            f"{len(present)} resources tagged {tag}={value} remain after destroy: "
            + ", ".join(sorted(present))
        )
