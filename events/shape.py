"""Dump Hera's Argo Events models into the shapes Argo Events v1.9 actually accepts.

Hera 7.1 generates these models from the Go types, and a few fields come out in shapes the
Argo Events API rejects. The fixes live here, in one place, and the strict schema tests judge
the dumped result, not the model:

- a webhook endpoint's `webhookContext` is an inlined struct in Go: its fields belong directly
  under the endpoint;
- `maxPayloadSize` is an int64, not a string;
- Backoff `duration`/`factor`/`jitter` and a K8s trigger's `source.resource` are typed as
  base64 byte strings in Hera; they are set here as plain values instead (see `with_path`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from idp.manifests import Manifest

API_VERSION = "argoproj.io/v1alpha1"


def dump(kind: str, model: BaseModel) -> Manifest:
    """`apiVersion`, `kind`, then the model's fields as Argo Events names them."""
    body = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    body.pop("status", None)
    manifest: Manifest = {"apiVersion": API_VERSION, "kind": kind, **body}
    for endpoint in manifest.get("spec", {}).get("webhook", {}).values():
        _inline_webhook_context(endpoint)
    return manifest


def _inline_webhook_context(endpoint: dict[str, Any]) -> None:
    context = endpoint.pop("webhookContext", {})
    if "maxPayloadSize" in context:
        context["maxPayloadSize"] = int(context["maxPayloadSize"])
    endpoint.update(context)


def with_path(manifest: Manifest, path: tuple[str | int, ...], value: object) -> Manifest:
    """Set `value` at `path` (keys and list indices) inside `manifest`, in place."""
    node: Any = manifest
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return manifest
