"""Python as the image has it: the project's `dependencies` and what they need, no extra.

No container engine runs where the tests run, so the image's venv cannot be built here; a
subprocess started with `runtime_only_env` comes close without a new venv. Every top-level package
installed here that the runtime dependencies do not bring (Hera and the rest of the authoring
extra, pytest and the test extra, pip, ...) fails to import as a missing package does: the hook
`tests.image.hidden`, copied as `sitecustomize.py` into a folder on PYTHONPATH, hides them.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.image import hidden
from tests.image.hidden import HIDDEN_ENV

PROJECT = "idp-platform"


def _canonical(name: str) -> str:
    return str(canonicalize_name(name))


def distribution(requirement: str) -> str:
    """The distribution a requirement line names, in its canonical form."""
    return _canonical(Requirement(requirement).name)


def project_requirements(extra: str | None = None) -> list[str]:
    """pyproject.toml's `dependencies`, or the requirements of one of its extras."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    with pyproject.open("rb") as stream:
        project = tomllib.load(stream)["project"]
    found: list[str] = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return found


def _needed(requirements: list[str]) -> list[str]:
    """The distributions these requirement lines ask for here, with no extra asked for."""
    needed = []
    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            needed.append(_canonical(requirement.name))
    return needed


def runtime_distributions() -> set[str]:
    """The project and every distribution its `dependencies` need here, recursively, with no
    extra asked for anywhere: what `pip install <the project's wheel>` puts in the image."""
    wanted = _needed(project_requirements())
    found = {PROJECT}
    while wanted:
        name = wanted.pop()
        if name not in found:
            found.add(name)
            wanted += _needed(metadata.requires(name) or [])
    return found


def import_names(distributions: set[str]) -> set[str]:
    """The top-level packages the given distributions install here."""
    return {
        package
        for package, owners in metadata.packages_distributions().items()
        if {_canonical(owner) for owner in owners} & distributions
    }


@functools.cache
def hidden_packages() -> frozenset[str]:
    """Every top-level package installed here that no runtime distribution installs."""
    kept = import_names(runtime_distributions())
    return frozenset(set(metadata.packages_distributions()) - kept)


def runtime_only_env(folder: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's), for a Python that sees only the runtime distributions;
    the hook is written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(Path(hidden.__file__).read_text(encoding="utf-8"))
    full = dict(os.environ if env is None else env)
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), full.get("PYTHONPATH")]))
    full[HIDDEN_ENV] = ",".join(sorted(hidden_packages()))
    return full
