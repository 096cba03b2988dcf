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

MAX_VALUES = 200_000  # an object's values; idp compile's largest holds a few thousand
MAX_FILE_BYTES = 4 << 20  # a compiled object is tens of KiB; a catalog of 60 kinds, 100 KiB each


def read_folder(folder: Path) -> dict[str, str]:
    """The YAML texts `idp compile` wrote to `folder` (`--compiled`), by file name, in order.
    Each is read within MAX_FILE_BYTES and must be UTF-8: anything else is refused, naming it."""
    if not folder.is_dir():
        raise CommandError(
            f"--compiled {folder}: not a folder written by idp compile", EXIT_INVALID
        )
    texts = {}
    for path in sorted(folder.glob("*.yaml")):
        where = f"--compiled {path}"
        if not path.is_file():
            raise CommandError(f"{where}: not a file", EXIT_INVALID)
        try:
            with path.open("rb") as stream:
                data = stream.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise CommandError(f"{where}: larger than {MAX_FILE_BYTES >> 20} MiB", EXIT_INVALID)
            texts[path.name] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CommandError(f"{where}: not UTF-8 text", EXIT_INVALID) from None
        except OSError as exc:
            raise CommandError(f"{where}: {exc.strerror or exc}", EXIT_INVALID) from None
    return texts


def parse_objects(files: dict[str, str]) -> list[Manifest]:
    """The compiled objects in `idp compile`'s YAML files (a file holding none is left out).
    A file that is not YAML, or not what idp compile writes (an object without a kind or a
    name, or more values than MAX_VALUES once its aliases are expanded), is refused, naming it."""
    objects = []
    for name, text in files.items():
        try:
            doc = load_yaml(text)
        except (yaml.YAMLError, RecursionError) as exc:
            line = " ".join(str(exc).split())[:300] or "nested too deeply"
            raise CommandError(f"{name}: not YAML: {line}", EXIT_INVALID) from None
        if isinstance(doc, dict):
            _check_object(name, doc)
            objects.append(doc)
    return objects


def _check_object(name: str, doc: dict[str, Any]) -> None:
    """Refuse what idp compile never writes and the runner would stumble on."""
    budget = MAX_VALUES
    stack: list[Any] = [doc]
    while stack:  # every value as the runner will walk it, YAML aliases expanded
        item = stack.pop()
        budget -= 1
        if budget < 0:
            raise CommandError(
                f"{name}: more than {MAX_VALUES} values (YAML aliases expanded)", EXIT_INVALID
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    metadata = doc.get("metadata")
    named = isinstance(metadata, dict) and isinstance(metadata.get("name"), str)
    if not isinstance(doc.get("kind"), str) or not (named or doc["kind"] == "Kustomization"):
        raise CommandError(
            f"{name}: not an object idp compile writes (a kind and a metadata.name)", EXIT_INVALID
        )


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
