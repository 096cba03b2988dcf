"""Every compiled Argo object passes its official schema, strictly."""

from __future__ import annotations

from idp.manifests import Manifest
from tests.upstream import ARGO_KINDS, KUBERNETES_KINDS, conformance_errors


def test_every_argo_object_passes_its_official_schema_strictly(manifests: list[Manifest]) -> None:
    argo = [m for m in manifests if m["kind"] in ARGO_KINDS]
    assert argo, "the compiled platform holds no Argo object"
    problems = [line for manifest in argo for line in conformance_errors(manifest)]
    assert problems == []


def test_every_kubernetes_object_passes_its_official_schema_strictly(
    manifests: list[Manifest],
) -> None:
    plain = [m for m in manifests if m["kind"] in KUBERNETES_KINDS]
    assert {m["kind"] for m in plain} == KUBERNETES_KINDS
    problems = [line for manifest in plain for line in conformance_errors(manifest)]
    assert problems == []


def test_every_compiled_object_has_a_schema_to_pass(manifests: list[Manifest]) -> None:
    assert {m["kind"] for m in manifests} <= ARGO_KINDS | KUBERNETES_KINDS


def test_the_strict_check_rejects_a_property_a_kubernetes_schema_does_not_list(
    manifests: list[Manifest],
) -> None:
    role = next(m for m in manifests if m["kind"] == "Role")
    tampered = {**role, "rule": role["rules"]}
    assert any("rule" in line for line in conformance_errors(tampered))


def test_the_check_holds_a_kubernetes_kind_to_its_api_version(
    manifests: list[Manifest],
) -> None:
    role = next(m for m in manifests if m["kind"] == "Role")
    assert conformance_errors({**role, "apiVersion": "v1"}) == [
        f"Role/{role['metadata']['name']} apiVersion: Role is rbac.authorization.k8s.io/v1"
    ]


def test_the_strict_check_rejects_a_property_the_schema_does_not_list(
    manifests: list[Manifest],
) -> None:
    template = next(m for m in manifests if m["kind"] == "WorkflowTemplate")
    tampered = {**template, "spec": {**template["spec"], "entryPoint": "typo"}}
    errors = conformance_errors(tampered)
    assert any("entryPoint" in line for line in errors)
