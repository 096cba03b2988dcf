"""Azure checks with azure-identity and azure-mgmt-resource: preflight (region, providers), verify.

The SDK is imported inside `connect`, so only the commands that talk to Azure pay for it.
`DefaultAzureCredential` picks up workload identity in the pod (or the platform Secret's
environment variables). The subscription's locations are read through the client's
`send_request` (the `SubscriptionClient` left azure-mgmt-resource in version 25).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

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
    from workflows.steps.credentials import environment_identity

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


@contextmanager
def connect(subscription: str) -> Iterator[Any]:
    """A ResourceManagementClient for `subscription`; Azure errors become one-line StepErrors."""
    from azure.core.exceptions import AzureError
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.resource.resources import ResourceManagementClient

    try:
        client = ResourceManagementClient(DefaultAzureCredential(), subscription)
        try:
            yield client
        finally:
            client.close()
    except AzureError as exc:
        raise StepError(f"azure: {type(exc).__name__}: {_first_line(exc)}") from exc


def locations(client: Any, subscription: str) -> set[str]:
    """Names of the locations the subscription can use."""
    from azure.core.rest import HttpRequest

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


def tagged_ids(client: Any, request_id: str) -> set[str]:
    """ARM ids of the resource groups and resources tagged `request_id=<request_id>`."""
    # request_id matched the contract's pattern ([a-z0-9-]), so it is safe inside the filter.
    query = f"tagName eq 'request_id' and tagValue eq '{request_id}'"
    found = {group.id for group in client.resource_groups.list(filter=query)}
    found.update(resource.id for resource in client.resources.list(filter=query))
    return found


def verify(client: Any, request_id: str, expected: Iterable[str], *, destroyed: bool) -> int:
    """Fail if an expected id is not tagged in Azure (or, after a destroy, if any tag remains)."""
    present = tagged_ids(client, request_id)
    if destroyed:
        if present:
            raise StepError(
                f"{len(present)} resources tagged request_id={request_id} remain"
                f" after destroy: {', '.join(sorted(present))}"
            )
        return 0
    known = {item.lower() for item in present}
    missing = sorted(item for item in expected if item.lower() not in known)
    if missing:
        raise StepError(
            f"not found in Azure with tag request_id={request_id}: " + ", ".join(missing)
        )
    return len(known)
