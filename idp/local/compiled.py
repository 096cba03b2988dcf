"""What a local run is handed, read from compiled YAML: the objects `idp compile` writes (from
memory, or read back from `--compiled DIR`), and the runner's `Inputs` for a request's body,
made of the Workflow the kind's Sensor creates of it.

Everything here is parsed back from YAML, so a run proves the compiled objects, not the Python
that built them. This module and `idp.local.command` are the local runner's only ties to the
authoring side: they reach the compiler (`idp.compile`) and the Sensor's rendering
(`events.render`) inside the functions that need them, when a command runs, never on import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from idp import labels
from idp.errors import EXIT_DROPPED, EXIT_INVALID, CommandError
from idp.manifests import Manifest, to_yaml
from idp.settings import Settings

if TYPE_CHECKING:
    from idp.local.run import Inputs


def compiled_objects(settings: Settings, catalog: Any, folder: Path | None) -> list[Manifest]:
    """Every compiled object, parsed from the YAML `idp compile` writes (or wrote to `folder`)."""
    if folder is not None:
        if not folder.is_dir():
            raise CommandError(
                f"--compiled {folder}: not a folder written by idp compile", EXIT_INVALID
            )
        texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))]
    else:
        from idp.compile import build, render_files

        texts = list(render_files(build(settings, catalog)).values())
    return [doc for doc in (load_yaml(text) for text in texts) if isinstance(doc, dict)]


def load_yaml(text: str) -> Any:
    """Safe YAML through libyaml when PyYAML has it (many times faster), else pure Python."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def _created_from(sensor: Manifest) -> set[str]:
    """The WorkflowTemplates a Sensor's triggers create Workflows from."""
    return {
        t["template"]
        .get("k8s", {})
        .get("source", {})
        .get("resource", {})
        .get("spec", {})
        .get("workflowTemplateRef", {})
        .get("name")
        for t in sensor["spec"].get("triggers", [])
    }


def inputs_for(kind: str, body: bytes, objects: list[Manifest]) -> Inputs:
    """The runner's inputs: the Workflow the kind's Sensor makes of `body` (a request's, or a
    preview's), the WorkflowTemplate it names, the ConfigMaps and the artifact repository."""
    from events.render import Dropped, TriggerFailed, event_from_text, render_all
    from idp.local.run import Inputs

    templates = {
        o["metadata"]["name"]: o
        for o in objects
        if o.get("kind") == "WorkflowTemplate"
        and o["metadata"].get("labels", {}).get(labels.KIND) == kind
    }
    if not templates:
        raise CommandError(
            f"the compiled objects hold no WorkflowTemplate of kind {kind}", EXIT_INVALID
        )
    sensors = [
        o for o in objects if o.get("kind") == "Sensor" and _created_from(o) & set(templates)
    ]
    if not sensors:
        raise CommandError(
            f"the compiled objects hold no Sensor that submits {', '.join(sorted(templates))}",
            EXIT_INVALID,
        )
    try:
        created = render_all(sensors, event_from_text(body))
    except Dropped as exc:
        raise CommandError(f"dropped by {kind}'s sensor: {exc}", EXIT_DROPPED) from None
    except TriggerFailed as exc:
        raise CommandError(f"{kind}'s sensor could not build the Workflow: {exc}") from None
    if len(created) != 1:
        names = ", ".join(str(w["metadata"].get("name")) for w in created)
        raise CommandError(f"{kind}'s sensors create {len(created)} Workflows, not one: {names}")
    workflow = created[0]
    named = workflow["spec"].get("workflowTemplateRef", {}).get("name")
    if named not in templates:
        raise CommandError(
            f"{kind}'s sensor creates from WorkflowTemplate {named!r}, which the compiled "
            "objects do not hold",
            EXIT_INVALID,
        )
    maps = config_maps(objects)
    return Inputs(
        workflow=load_yaml(to_yaml(workflow)),
        template=templates[named],
        config_maps=maps,
        artifact_repository=artifact_repository(templates[named]["spec"], maps),
    )


def config_maps(objects: list[Manifest]) -> dict[str, dict[str, str]]:
    """The compiled ConfigMaps' data, by name."""
    return {
        o["metadata"]["name"]: {k: str(v) for k, v in (o.get("data") or {}).items()}
        for o in objects
        if o.get("kind") == "ConfigMap"
    }


def artifact_repository(spec: Manifest, maps: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The repository a Workflow spec's `artifactRepositoryRef` names, from its ConfigMap."""
    ref = spec.get("artifactRepositoryRef") or {}
    text = maps.get(ref.get("configMap", ""), {}).get(ref.get("key", ""), "")
    repository = load_yaml(text) if text else {}
    return repository if isinstance(repository, dict) else {}
