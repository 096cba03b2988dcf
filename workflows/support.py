"""Kubernetes objects the WorkflowTemplates need: the service account, its Role, and the
artifact repository ConfigMap. Plain manifests: Hera has no models for them.
"""

from __future__ import annotations

import yaml

from idp.manifests import Manifest
from idp.settings import Settings

PART_OF = {"app.kubernetes.io/part-of": "idp"}


def _meta(name: str, settings: Settings, **extra: dict[str, str]) -> dict[str, object]:
    return {"name": name, "namespace": settings.namespace, "labels": dict(PART_OF), **extra}


def workflow_rbac(settings: Settings) -> list[Manifest]:
    """A dedicated service account whose Role grants only what the Argo executor needs."""
    account = settings.workflow_service_account
    annotations = (
        {"azure.workload.identity/client-id": settings.azure_client_id}
        if settings.azure_auth == "workload-identity" and settings.azure_client_id
        else {}
    )
    meta = (
        _meta(account, settings, annotations=annotations)
        if annotations
        else _meta(account, settings)
    )
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(account, settings),
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtaskresults"],
                    "verbs": ["create", "patch"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(account, settings),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": account},
            "subjects": [
                {"kind": "ServiceAccount", "name": account, "namespace": settings.namespace}
            ],
        },
    ]


def step_settings(settings: Settings) -> Manifest:
    """The IDP_* settings every step pod reads with envFrom: one copy, not one per step."""
    from workflows.pods import step_environment

    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(settings.step_settings_configmap, settings),
        "data": step_environment(settings),
    }


def artifact_repository(settings: Settings) -> Manifest:
    """The Azure Blob artifact repository, as the ConfigMap Argo looks up by key."""
    repo = settings.artifact_repository
    azure: dict[str, object] = {"endpoint": repo.endpoint, "container": repo.container}
    if repo.use_sdk_creds:
        azure["useSDKCreds"] = True
    else:
        azure["accountKeySecret"] = repo.account_key_secret.model_dump()
    body = {"archiveLogs": True, "azure": azure}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(
            repo.configmap,
            settings,
            annotations={"workflows.argoproj.io/default-artifact-repository": repo.key},
        ),
        "data": {repo.key: yaml.safe_dump(body, sort_keys=False)},
    }
