"""Python as the image has it: the project's `dependencies` and what they need, no extra.

No container engine runs where the tests run, so the image's venv cannot be built here; a
subprocess started with `runtime_only_env` comes close without a new venv. Every top-level package
installed here that the runtime dependencies do not bring (Hera and the rest of the authoring
extra, pytest and the test extra, pip, ...) fails to import as a missing package does: this file,
copied as `sitecustomize.py` into a folder on PYTHONPATH, wraps at the interpreter's start every
finder of `sys.meta_path` in one that does not find the packages named in `HIDDEN_ENV`.
"""

from __future__ import annotations

import functools
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from importlib import metadata
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

PROJECT = "idp-platform"
# Not IDP_*: the step programs refuse settings they do not know.
HIDDEN_ENV = "RUNTIME_ONLY_HIDDEN"


class HiddenPackages:
    """A finder of `sys.meta_path` that finds what it wraps finds, except the top-level packages
    it names (and their modules): for those it finds nothing, so `import` fails and
    `importlib.util.find_spec` answers None exactly as when a package is not installed."""

    def __init__(self, finder: Any, names: frozenset[str]) -> None:
        self.finder = finder
        self.names = names

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] in self.names:
            return None
        found: ModuleSpec | None = self.finder.find_spec(fullname, path, target)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.finder, name)


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def distribution(requirement: str) -> str:
    """The distribution a requirement line names, in its canonical form."""
    from packaging.requirements import Requirement

    return _canonical(Requirement(requirement).name)


def project_requirements(extra: str | None = None) -> list[str]:
    """pyproject.toml's `dependencies`, or the requirements of one of its extras."""
    # (here, not at import: as sitecustomize this file lies in a folder of the test's own)
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    with pyproject.open("rb") as stream:
        project = tomllib.load(stream)["project"]
    found: list[str] = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return found


def _needed(requirements: list[str]) -> list[str]:
    """The distributions these requirement lines ask for here, with no extra asked for."""
    from packaging.requirements import Requirement

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
    (folder / "sitecustomize.py").write_text(Path(__file__).read_text(encoding="utf-8"))
    full = dict(os.environ if env is None else env)
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), full.get("PYTHONPATH")]))
    full[HIDDEN_ENV] = ",".join(sorted(hidden_packages()))
    return full


def _install() -> None:
    names = frozenset(filter(None, os.environ.get(HIDDEN_ENV, "").split(",")))
    sys.meta_path[:] = [HiddenPackages(finder, names) for finder in sys.meta_path]


if __name__ == "sitecustomize":
    _install()
