"""Kubernetes manifests as plain dicts: file names, deterministic YAML, kustomization."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from idp import yamlwriter

Manifest = dict[str, Any]


def file_name(manifest: Manifest) -> str:
    """`<kind>-<name>.yaml`, lowercase: unique per object within one namespace."""
    kind = str(manifest["kind"]).lower()
    return f"{kind}-{manifest['metadata']['name']}.yaml"


def to_yaml(manifest: Manifest) -> str:
    """Deterministic block-style YAML: key order as built, no aliases, no line folding."""
    return yamlwriter.dump(manifest)


OUTPUT_FORMATS = ("yaml", "json")


def dump(value: object, output: str) -> str:
    """`value` as `-o yaml` (block style, as compiled) or `-o json` (indented) prints it."""
    if output == "json":
        return json.dumps(value, indent=2) + "\n"
    return to_yaml(value)  # type: ignore[arg-type]


def kustomization(files: Iterable[str]) -> Manifest:
    """A kustomization that lists every file, sorted."""
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(files),
    }


PART_OF = {"app.kubernetes.io/part-of": "idp"}


def metadata(name: str, namespace: str, **extra: dict[str, str]) -> dict[str, object]:
    """Object metadata with the platform's label (and any non-empty extra maps)."""
    return {
        "name": name,
        "namespace": namespace,
        "labels": dict(PART_OF),
        **{key: value for key, value in extra.items() if value},
    }


def service_account(
    name: str, namespace: str, annotations: dict[str, str] | None = None
) -> Manifest:
    """A ServiceAccount with the platform's label and any annotations."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(name, namespace, annotations=annotations or {}),
    }


def role(name: str, namespace: str, rules: list[dict[str, list[str]]]) -> Manifest:
    """A Role with exactly `rules`."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(name, namespace),
        "rules": rules,
    }


def role_binding(
    name: str, namespace: str, service_account_name: str, service_account_namespace: str
) -> Manifest:
    """Binds the Role `name` of `namespace` to a ServiceAccount (which may live elsewhere)."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(name, namespace),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": service_account_name,
                "namespace": service_account_namespace,
            }
        ],
    }


def service_account_with_role(
    name: str,
    namespace: str,
    rules: list[dict[str, list[str]]],
    annotations: dict[str, str] | None = None,
) -> list[Manifest]:
    """A ServiceAccount, a Role with exactly `rules`, and the binding between them."""
    return [
        service_account(name, namespace, annotations),
        role(name, namespace, rules),
        role_binding(name, namespace, name, namespace),
    ]
