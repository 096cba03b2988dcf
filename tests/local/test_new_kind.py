"""A kind added with `idp new-kind` runs through the whole pipeline on this machine.

The kind is scaffolded into a temporary copy of the repository's layout and added through a
catalog module there (as tests/test_new_kind.py does); its Terraform module for the run is the
fixture shape with the built-in provider (the scaffolded one needs azurerm).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from idp.cli import main
from tests.local.conftest import MODULES, ROOT, LocalPlatform

# Each test runs `idp local` with the real step programs: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

KIND = "widget"
CATALOG_MODULE = """
from pathlib import Path
from idp.catalog import DEFAULT_CATALOG
from idp.scaffold import load_model

CATALOG = {**DEFAULT_CATALOG, "widget": load_model(
    Path(__file__).parent / "idp" / "kinds" / "widget.py", "widget")}
"""


def fixture_module(target: Path, variables: str) -> None:
    """The compute fixture with the widget's variables instead of compute's own (the ones
    `idp new-kind` wrote), since apply refuses a plan whose variables are not the request's
    fields."""
    shutil.copytree(MODULES / "compute", target)
    main_tf = (target / "main.tf").read_text()
    main_tf = (
        main_tf.replace("    node_count = var.node_count\n", "")
        .replace("    vm_size    = var.vm_size\n", "")
        .replace("compute-", "widget-")
    )
    main_tf = re.sub(r"\n *# More than 10 nodes.*?\n    }\n", "", main_tf, flags=re.S)
    assert "var.node_count" not in main_tf and "var.vm_size" not in main_tf
    (target / "main.tf").write_text(main_tf)
    (target / "variables.tf").write_text(variables)


def test_a_scaffolded_kind_runs_through_idp_local(
    platform: LocalPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = platform.tmp / "repo"
    (repo / "idp" / "kinds").mkdir(parents=True)
    shutil.copy(ROOT / "idp" / "kinds" / "__init__.py", repo / "idp" / "kinds")
    shutil.copytree(ROOT / "terraform" / "compute", repo / "terraform" / "compute")
    (repo / "widget_catalog.py").write_text(CATALOG_MODULE)
    monkeypatch.syspath_prepend(str(repo))
    # the copy's idp/kinds must not hide the real package from the step processes
    monkeypatch.setenv("PYTHONPATH", f"{repo}:{ROOT}")
    monkeypatch.setenv("IDP_CATALOG", "widget_catalog:CATALOG")
    assert main(["new-kind", KIND, "--root", str(repo)]) == 0
    modules = platform.tmp / "modules"
    fixture_module(modules / KIND, (repo / "terraform" / KIND / "variables.tf").read_text())
    request = json.loads((repo / "examples" / "requests" / f"{KIND}.json").read_text())

    run = platform.run(KIND, request, extra=("--modules", str(modules)))

    assert (run.code, run.outcome) == (0, "succeeded"), run.log
    assert {"apply", "verify"} <= set(run.found("apply"))
