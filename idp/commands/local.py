"""`idp local KIND FILE` and `idp local-cron NAME`: the compiled objects (compiled now, or read
back from `--compiled DIR`), the Workflow the kind's Sensor creates of a request's body, and a
run of it on this machine (`idp.local.command`).

The local runner (`idp.local`) reads compiled YAML only; compiling and the Sensor's rendering
(`events.render`) are done here, where the authoring side and the runner meet.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import hera  # noqa: F401  (the authoring extra's, which compiling needs: named first when missing)

from events.render import Dropped, TriggerFailed, event_from_text, render_all
from idp import labels
from idp.catalog import Catalog, catalog_for, model_for
from idp.commands.body import read_body
from idp.compile import build, render_files
from idp.errors import EXIT_DROPPED, EXIT_INVALID, CommandError
from idp.local import command, compiled
from idp.local.run import Inputs
from idp.manifests import Manifest, to_yaml
from idp.settings import Settings


def local(args: argparse.Namespace, settings: Settings) -> int:
    """`idp local`."""
    catalog = catalog_for(settings.catalog)
    model_for(args.kind, catalog)
    body = read_body(args.file, settings.webhook_max_payload_bytes)
    inputs = inputs_for(args.kind, body, compiled_objects(settings, catalog, args.compiled))
    return command.request_command(
        inputs, args.kind, run_arguments(args), approve=args.approve, actor=args.as_
    )


def local_cron(args: argparse.Namespace, settings: Settings) -> int:
    """`idp local-cron`."""
    objects = compiled_objects(settings, catalog_for(settings.catalog), args.compiled)
    return command.cron_command(objects, args.name, args.at, run_arguments(args))


def run_arguments(args: argparse.Namespace) -> command.RunArguments:
    """The options both commands take (`idp.cli`, `_run_options`), and `--output`."""
    return command.RunArguments(
        modules=args.modules,
        policies=args.policies,
        stubs=args.stub or [],
        argo_version=args.argo_version,
        state_dir=args.state_dir,
        run_dir=args.run_dir,
        secrets=args.secrets,
        logs=args.logs,
        output=args.output,
    )


def compiled_objects(settings: Settings, catalog: Catalog, folder: Path | None) -> list[Manifest]:
    """Every compiled object, parsed from the YAML `idp compile` writes (or wrote to `folder`)."""
    if folder is not None:
        return compiled.parse_objects(compiled.read_folder(folder))
    return compiled.parse_objects(render_files(build(settings, catalog)))


def _at(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, or None where a step is not a mapping (a hand-edited --compiled)."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _created_from(sensor: Manifest) -> set[str]:
    """The WorkflowTemplates a Sensor's triggers create Workflows from."""
    triggers = _at(sensor, "spec", "triggers")
    path = ("template", "k8s", "source", "resource", "spec", "workflowTemplateRef", "name")
    return {
        name
        for trigger in (triggers if isinstance(triggers, list) else [])
        if isinstance(name := _at(trigger, *path), str)
    }


def inputs_for(kind: str, body: bytes, objects: list[Manifest]) -> Inputs:
    """The runner's inputs: the Workflow the kind's Sensor makes of `body` (a request's, or a
    preview's), the WorkflowTemplate it names, the ConfigMaps and the artifact repository."""
    templates = {
        o["metadata"]["name"]: o
        for o in objects
        if o.get("kind") == "WorkflowTemplate" and _at(o, "metadata", "labels", labels.KIND) == kind
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
    maps = compiled.config_maps(objects)
    return Inputs(
        workflow=compiled.load_yaml(to_yaml(workflow)),
        template=templates[named],
        config_maps=maps,
        artifact_repository=compiled.artifact_repository(templates[named]["spec"], maps),
    )
