"""What reading a name costs: the modules everyone shares load no Hera (issue: `import
idp.argo.status` loaded Hera, 0.9 s, to read string constants)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded(module: str) -> set[str]:
    """The top-level packages importing `module` loads, in a fresh interpreter."""
    code = (
        f"import sys, {module}; print('\\n'.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize(
    "module", ["idp.argo.status", "idp.pipeline", "idp.actor", "idp.tokens", "idp.compat"]
)
def test_a_shared_module_loads_neither_hera_nor_the_templates(module: str) -> None:
    found = loaded(module)
    assert "hera" not in found
    assert "workflows" not in found and "events" not in found


def test_the_check_sees_hera_where_it_is_loaded() -> None:
    assert "hera" in loaded("workflows.pipeline")
