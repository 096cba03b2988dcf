"""Azure credentials in the environment, whichever way the pod got them, for SDK and Terraform.

The platform Secret may arrive as environment variables (`secret-env`) or as files
(`secret-volume`: one file per variable in `IDP_PLATFORM_SECRET_DIR`); workload identity
injects AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE. The Azure SDK reads
AZURE_*, Terraform's azurerm provider and backend read ARM_*: each side is filled from the
other where unset. Values are never printed.

The settings choose per request environment (`environments:` in the settings, carried as
IDP_ENVIRONMENTS and IDP_SUBSCRIPTION_ID in the step settings ConfigMap): the subscription of
the request's environment, and with workload identity the client id of that environment's
identity when the settings give one. Those win over variables already set, as settings name
them explicitly; the rule is `idp.settings.Settings.target`'s, read here without pydantic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SECRET_DIR_ENV = "IDP_PLATFORM_SECRET_DIR"  # noqa: S105 - a variable name
ENVIRONMENTS_ENV = "IDP_ENVIRONMENTS"
SUBSCRIPTION_SETTING_ENV = "IDP_SUBSCRIPTION_ID"
AZURE_AUTH_ENV = "IDP_AZURE_AUTH"
REQUEST_ENV = "IDP_REQUEST"
_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_PAIRS = (
    ("AZURE_CLIENT_ID", "ARM_CLIENT_ID"),
    ("AZURE_TENANT_ID", "ARM_TENANT_ID"),
    ("AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET"),
    ("AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID"),
)


def secret_files(folder: Path) -> dict[str, str]:
    """`NAME -> value` for each file of a mounted Secret whose name is a variable name."""
    found: dict[str, str] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if _VARIABLE.fullmatch(path.name) and path.is_file():
            found[path.name] = path.read_text(encoding="utf-8").strip()
    return found


def _object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def environment_identity(env: Mapping[str, str]) -> dict[str, str]:
    """Subscription and client id the settings give the request's environment, as variables."""
    environment = _object(env.get(REQUEST_ENV)).get("environment")
    override = _object(env.get(ENVIRONMENTS_ENV)).get(environment) if environment else None
    override = override if isinstance(override, dict) else {}
    found: dict[str, str] = {}
    subscription = override.get("subscription_id") or env.get(SUBSCRIPTION_SETTING_ENV, "")
    if isinstance(subscription, str) and subscription:
        found["AZURE_SUBSCRIPTION_ID"] = found["ARM_SUBSCRIPTION_ID"] = subscription
    client_id = override.get("azure_client_id")
    if env.get(AZURE_AUTH_ENV) == "workload-identity" and isinstance(client_id, str) and client_id:
        found["AZURE_CLIENT_ID"] = found["ARM_CLIENT_ID"] = client_id
    return found


def azure_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The variables to add to `env`: the environment's identity from the settings, then the
    rest without overriding one already set."""
    added = environment_identity(env)
    merged = {**env, **added}

    def add(name: str, value: str) -> None:
        if value and not merged.get(name):
            merged[name] = added[name] = value

    if env.get(SECRET_DIR_ENV):
        for name, value in secret_files(Path(env[SECRET_DIR_ENV])).items():
            add(name, value)
    for azure_name, arm_name in _PAIRS:
        add(arm_name, merged.get(azure_name, ""))
        add(azure_name, merged.get(arm_name, ""))
    token_file = merged.get("AZURE_FEDERATED_TOKEN_FILE", "")
    if token_file:
        add("ARM_OIDC_TOKEN_FILE_PATH", token_file)
        add("ARM_USE_OIDC", "true")
    return added
