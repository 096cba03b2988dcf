"""Kubernetes objects the WorkflowTemplates need: the service account and its Role, the step
settings ConfigMap, and the artifact repository ConfigMap. Plain manifests: Hera has no
models for them.
"""

from __future__ import annotations

import yaml

from idp.manifests import Manifest, metadata, service_account_with_role
from idp.settings import Settings
from workflows.pods import step_environment


def workflow_rbac(settings: Settings) -> list[Manifest]:
    """A dedicated service account whose Role grants only what the Argo executor needs."""
    annotations = {}
    if settings.azure_auth == "workload-identity" and settings.azure_client_id:
        annotations["azure.workload.identity/client-id"] = settings.azure_client_id
    rule = {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflowtaskresults"],
        "verbs": ["create", "patch"],
    }
    return service_account_with_role(
        settings.workflow_service_account, settings.namespace, [rule], annotations
    )


def step_settings(settings: Settings) -> Manifest:
    """The IDP_* settings every step pod reads with envFrom: one copy, not one per step."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(settings.step_settings_configmap, settings.namespace),
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
    annotations = {"workflows.argoproj.io/default-artifact-repository": repo.key}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(repo.configmap, settings.namespace, annotations=annotations),
        "data": {repo.key: yaml.safe_dump(body, sort_keys=False)},
    }
