"""The sensors' service account: it may only create (and get) Workflows in the namespace."""

from __future__ import annotations

from idp.manifests import Manifest, service_account_with_role
from idp.settings import Settings


def sensor_rbac(settings: Settings) -> list[Manifest]:
    rule = {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create", "get"]}
    return service_account_with_role(settings.sensor_service_account, settings.namespace, [rule])
