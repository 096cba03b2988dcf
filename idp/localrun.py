"""`idp local KIND FILE`, assembled: compile, render the body as the Sensor would, and run the
result with `idp.local`.

Everything handed to the runner is YAML as `idp compile` writes it (from memory, or read back
from `--compiled DIR`) and the Workflow `idp render` prints for the body, parsed back from its
YAML: the run proves the compiled objects, not the Python that built them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from idp import labels
from idp.compat import ARGO_WORKFLOWS, tags, workflows_release
from idp.contract import EMAIL_PATTERN
from idp.errors import (
    EXIT_DROPPED,
    EXIT_FAILURE,
    EXIT_INVALID,
    EXIT_USAGE,
    EXIT_WORKFLOW_FAILED,
    CommandError,
)
from idp.image import CHECKOV_ENV
from idp.manifests import Manifest, dump, to_yaml
from idp.settings import Settings

if TYPE_CHECKING:
    from idp.local.controller import Approver
    from idp.local.run import Inputs, Options, Stubs

CHECKOUT = Path(__file__).resolve().parents[1]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "idp" / "local"


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


def checkov_program() -> str:
    """The checkov the policy step runs: IDP_CHECKOV, else `checkov` on PATH, else the one
    `./scripts/test` installs in this checkout (`.tools/checkov`); ValueError when none is."""
    named = os.environ.get(CHECKOV_ENV)
    if named:
        return named
    found = shutil.which("checkov") or str(CHECKOUT / ".tools" / "checkov" / "bin" / "checkov")
    if not os.access(found, os.X_OK):
        raise ValueError(
            f"checkov not found: the policy step runs it; set {CHECKOV_ENV}, put checkov on "
            "PATH, or run ./scripts/compile once (it installs .tools/checkov)"
        )
    return found


def command(args: argparse.Namespace, settings: Settings, catalog: Any, body: bytes) -> int:
    """`idp local` from parsed arguments."""
    from idp.local import approval
    from idp.local.run import parse_stubs, task_names

    objects = compiled_objects(settings, catalog, args.compiled)
    inputs = inputs_for(args.kind, body, objects)
    name = inputs.workflow["metadata"]["name"]
    try:
        stubs = parse_stubs(args.stub or [], task_names(inputs))
        checkov = checkov_program() if "policy" not in stubs.phases else ""
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_INVALID) from None
    approver = (
        approval.Fixed(args.approve, actor=args.as_)
        if args.approve is not None
        else approval.Prompt(actor=args.as_)
    )
    options = run_options(args, name, approver, checkov, stubs)
    if not (options.modules / args.kind).is_dir():
        raise CommandError(
            f"--modules {options.modules}: no module folder {args.kind}/ (a folder holds one "
            "module per kind, as the image does)",
            EXIT_INVALID,
        )
    check_policies(options)
    return run_and_report(inputs, options, args.output)


def run_options(
    args: argparse.Namespace, name: str, approver: Approver, checkov: str, stubs: Stubs
) -> Options:
    """The runner's options from the arguments `idp local` and `idp local-cron` share."""
    from idp.local.run import Options, read_secrets

    for flag, folder in (("--state-dir", args.state_dir), ("--run-dir", args.run_dir)):
        if folder is not None and folder.exists() and not folder.is_dir():
            raise CommandError(f"{flag} {folder}: not a folder", EXIT_USAGE)
    actor: str | None = getattr(args, "as_", None)  # `idp local-cron` answers no approval
    if actor is not None and not re.fullmatch(EMAIL_PATTERN, actor):
        raise CommandError(
            f"--as {actor[:80]!r}: not an e-mail address (who answers, as an SSO login names "
            "them)",
            EXIT_USAGE,
        )
    root = cache_dir()
    try:
        release = workflows_release(args.argo_version or tags(ARGO_WORKFLOWS)[-1])
        options = Options(
            # absolute: the pods run in folders of their own, where a relative path means
            # something else
            modules=args.modules.resolve(),
            policies=args.policies.resolve(),
            checkov=checkov,
            state_dir=(args.state_dir or root / "state").resolve(),
            run_dir=(
                args.run_dir or root / "runs" / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}"
            ).resolve(),
            approver=approver,
            stubs=stubs.tasks,
            stubbed_phases=stubs.phases,
            argo_version=release,
            secrets=read_secrets(args.secrets),
            show_logs=args.logs,
        )
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_INVALID) from None
    return options


def check_policies(options: Options) -> None:
    if not options.policies.is_dir():
        raise CommandError(
            f"--policies {options.policies}: not a folder (the platform's checkov policies)",
            EXIT_INVALID,
        )


def run_and_report(inputs: Inputs, options: Options, output: str | None) -> int:
    """Run, print the finished Workflow when asked, and say how it ended as an exit code:
    0 Succeeded, 14 otherwise; 2 for a field idp local refuses, 1 when the run cannot go on."""
    from idp.local.controller import LocalRunError
    from idp.local.run import Interrupted, run
    from idp.local.spec import UnsupportedField

    received: list[int] = []

    def terminate(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        result = run(inputs, options)
    except Interrupted as exc:
        code = 128 + (received[0] if received else signal.SIGINT)
        raise CommandError(str(exc), code) from None
    except UnsupportedField as exc:
        raise CommandError(f"cannot run locally: {exc}", EXIT_INVALID) from None
    except LocalRunError as exc:
        raise CommandError(f"local run stopped: {exc}", EXIT_FAILURE) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if output:
        sys.stdout.write(dump(result, output))
    return 0 if result["status"]["phase"] == "Succeeded" else EXIT_WORKFLOW_FAILED
