"""Every `{{workflow.outputs.parameters.X}}` a compiled object uses is declared in that object.

Argo validates a WorkflowTemplate (and a CronWorkflow's workflowSpec) when it is created or
submitted: workflow/validate/validate.go, `resolveAllVariables`, refuses a tag it cannot
resolve ("failed to resolve {{...}}"), and `workflow.outputs.parameters.X` becomes resolvable
only when `addOutputsToScope` meets an output parameter with `globalName: X` in a template of
the DAG (the exit handler is validated after the entrypoint, with what the DAG declared). The
same on v4.0.10 and v4.1.2.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from idp.manifests import Manifest

TAG = re.compile(r"\{\{\s*workflow\.outputs\.parameters\.([^}\s]+)\s*\}\}")
VALIDATED = ("WorkflowTemplate", "CronWorkflow")


def _templates(manifest: Manifest) -> list[dict[str, Any]]:
    spec = manifest["spec"]
    if manifest["kind"] == "CronWorkflow":
        spec = spec["workflowSpec"]
    return list(spec["templates"])


def _declared(manifest: Manifest) -> set[str]:
    return {
        parameter["globalName"]
        for template in _templates(manifest)
        for parameter in (template.get("outputs") or {}).get("parameters") or []
        if parameter.get("globalName")
    }


def test_every_workflow_output_used_is_declared_as_a_global_output_in_the_same_object(
    manifests: list[Manifest],
) -> None:
    checked = [m for m in manifests if m["kind"] in VALIDATED]
    assert {m["kind"] for m in checked} == set(VALIDATED)
    for manifest in checked:
        used = set(TAG.findall(json.dumps(manifest["spec"])))
        undeclared = used - _declared(manifest)
        assert not undeclared, f"{manifest['kind']} {manifest['metadata']['name']}: {undeclared}"


@pytest.mark.parametrize("flag", ["--approval", "--outputs", "--verified"])
def test_a_previews_exit_handler_leaves_out_what_only_approve_and_apply_publish(
    manifests: list[Manifest], flag: str
) -> None:
    previews = [
        m
        for m in manifests
        if m["kind"] == "WorkflowTemplate" and m["metadata"]["name"].endswith("-preview-workflow")
    ]
    assert previews
    for preview in previews:
        (finish,) = [
            t for t in preview["spec"]["templates"] if t["name"] == preview["spec"]["onExit"]
        ]
        assert flag not in finish["container"]["args"]
