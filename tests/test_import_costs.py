"""What reading a name costs: the modules everyone shares load no Hera (issue: `import
idp.argo.status` loaded Hera, 0.9 s, to read string constants)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def loaded(module: str) -> set[str]:
    """The top-level packages importing `module` loads, in a fresh interpreter."""
    code = (
        f"import sys, {module}; print('\\n'.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize(
    "module",
    ["idp.argo.status", "idp.pipeline", "idp.actor", "idp.tokens", "idp.compat", "idp.backstage"],
)
def test_a_shared_module_loads_neither_hera_nor_the_templates(module: str) -> None:
    found = loaded(module)
    assert "hera" not in found
    assert "workflows" not in found and "events" not in found


ARGO_CLIENT = sorted(
    f"idp.argo.{path.stem}"
    for path in (Path(__file__).resolve().parents[1] / "idp" / "argo").glob("*.py")
    if path.stem != "__init__"
)


@pytest.mark.parametrize("module", ARGO_CLIENT)
def test_the_argo_client_loads_neither_the_templates_nor_the_sensors(module: str) -> None:
    """The client reads names from core (idp.pipeline, idp.labels); what builds the objects it
    sends (compile, the Sensor) is assembled in idp.commands and handed to it."""
    found = loaded(module)
    assert "workflows" not in found and "events" not in found


def test_the_check_sees_hera_where_it_is_loaded() -> None:
    assert "hera" in loaded("workflows.pipeline")


EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "requests" / "compute.json")
# What `idp --help` and the commands that need no authoring extra never load (`idp.cli`).
HEAVY = {"hera", "requests", "urllib3", "azure", "shtab", "re2", "workflows", "events"}


@pytest.mark.parametrize(
    "args",
    [["--help"], ["validate", "compute", EXAMPLE], ["schema", "storage"], ["local", "--help"]],
)
def test_the_cheap_commands_load_nothing_heavy(args: list[str]) -> None:
    """Each command's handler is imported only when it runs: help, validate and schema load
    neither Hera nor the HTTP stack, the Azure SDK, shtab, re2 or the templates."""
    code = (
        "import sys\n"
        "from idp.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stderr.splitlines()[-1].split())
    assert "idp" in loaded
    assert not loaded & HEAVY
