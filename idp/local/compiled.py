"""What a local run is handed, read from compiled YAML: the objects `idp compile` writes (from
memory, or read back from `--compiled DIR`), their ConfigMaps and artifact repository.

Everything is parsed back from YAML, so a run proves the compiled objects, not the Python that
built them. The runner has no tie to the authoring side: `idp.commands.local` compiles the
objects and renders the Workflow the kind's Sensor creates of a request's body
(`inputs_for`), and hands both over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from idp.errors import EXIT_INVALID, CommandError
from idp.manifests import Manifest


def read_folder(folder: Path) -> list[str]:
    """The YAML texts `idp compile` wrote to `folder` (`--compiled`), in its files' order."""
    if not folder.is_dir():
        raise CommandError(
            f"--compiled {folder}: not a folder written by idp compile", EXIT_INVALID
        )
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))]


def parse_objects(texts: list[str]) -> list[Manifest]:
    """The compiled objects in `idp compile`'s YAML texts (a text holding none is left out)."""
    return [doc for doc in (load_yaml(text) for text in texts) if isinstance(doc, dict)]


def load_yaml(text: str) -> Any:
    """Safe YAML through libyaml when PyYAML has it (many times faster), else pure Python."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


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
