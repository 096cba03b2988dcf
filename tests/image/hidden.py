"""The hook of a Python that sees only the runtime distributions (`tests.image.runtime_only`):
copied as `sitecustomize.py` into a folder on PYTHONPATH, it wraps at the interpreter's start
every finder of `sys.meta_path` in one that does not find the packages named in `HIDDEN_ENV`.

It runs before anything else in that interpreter, so it imports only the standard library.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

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


def _install() -> None:
    names = frozenset(filter(None, os.environ.get(HIDDEN_ENV, "").split(",")))
    sys.meta_path[:] = [HiddenPackages(finder, names) for finder in sys.meta_path]


if __name__ == "sitecustomize":
    _install()
