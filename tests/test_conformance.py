"""Every compiled Argo object passes its official schema, strictly."""

from __future__ import annotations

from idp.manifests import Manifest
from tests.upstream import ARGO_KINDS, conformance_errors


def test_every_argo_object_passes_its_official_schema_strictly(manifests: list[Manifest]) -> None:
    argo = [m for m in manifests if m["kind"] in ARGO_KINDS]
    assert argo, "the compiled platform holds no Argo object"
    problems = [line for manifest in argo for line in conformance_errors(manifest)]
    assert problems == []


def test_the_strict_check_rejects_a_property_the_schema_does_not_list(
    manifests: list[Manifest],
) -> None:
    template = next(m for m in manifests if m["kind"] == "WorkflowTemplate")
    tampered = {**template, "spec": {**template["spec"], "entryPoint": "typo"}}
    errors = conformance_errors(tampered)
    assert any("entryPoint" in line for line in errors)
