"""The idp-admin ServiceAccount the README's `kubectl create token idp-admin` names: compiled,
with a Role of exactly what idp's calls through the Argo Server need."""

from __future__ import annotations

from idp.manifests import Manifest
from idp.settings import Settings


def admin(manifests: list[Manifest], kind: str, settings: Settings) -> Manifest:
    return next(
        m
        for m in manifests
        if m["kind"] == kind and m["metadata"]["name"] == settings.admin_service_account
    )


def test_compile_writes_the_admin_service_account_role_and_binding(
    manifests: list[Manifest], settings: Settings
) -> None:
    binding = admin(manifests, "RoleBinding", settings)
    assert binding["roleRef"]["name"] == "idp-admin"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "idp-admin", "namespace": settings.namespace}
    ]
    assert admin(manifests, "ServiceAccount", settings)["metadata"]["namespace"] == (
        settings.namespace
    )


def test_the_admin_role_grants_exactly_these_verbs(
    manifests: list[Manifest], settings: Settings
) -> None:
    granted = {
        (resource, verb)
        for rule in admin(manifests, "Role", settings)["rules"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    objects = {"workflowtemplates", "eventsources", "sensors"}
    expected = {(r, v) for r in objects for v in ("get", "list", "create", "update", "delete")}
    expected |= {("workflows", v) for v in ("get", "list", "create", "update")}
    assert granted == expected


def test_the_admin_role_grants_nothing_outside_argo(
    manifests: list[Manifest], settings: Settings
) -> None:
    rules = admin(manifests, "Role", settings)["rules"]
    assert {group for rule in rules for group in rule["apiGroups"]} == {"argoproj.io"}
    assert not any(v in ("*", "patch", "deletecollection") for r in rules for v in r["verbs"])
