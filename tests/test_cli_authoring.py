"""`idp` without the authoring extra: the commands that need it say so in one line; the others
(help, validate, schema) work as before.

`idp` runs in a subprocess whose Python sees only the project's runtime dependencies, as in the
platform-tools image (`tests.image.runtime_only`).
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from idp.cli import AUTHORING_IMPORTS, AUTHORING_INSTALL
from idp.errors import EXIT_FAILURE
from tests.image.runtime_only import distribution, project_requirements, runtime_only_env

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "requests" / "compute.json")


def idp(tmp_path: Path, *args: str, hidden: bool = True) -> subprocess.CompletedProcess[str]:
    """`python -m idp.cli ARGS` in `tmp_path`, with only the runtime dependencies if `hidden`."""
    env = runtime_only_env(tmp_path / "hook") if hidden else None
    return subprocess.run(
        [sys.executable, "-m", "idp.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_authoring_imports_are_what_the_authoring_extra_installs() -> None:
    names = {distribution(line) for line in project_requirements("authoring")}
    installed = {
        package
        for package, owners in metadata.packages_distributions().items()
        if {distribution(owner) for owner in owners} & names
    }
    # (a private module, as google-re2's `_re2`, is imported only through its package)
    assert set(AUTHORING_IMPORTS) == {name for name in installed if not name.startswith("_")}


@pytest.mark.parametrize(
    ("args", "missing"),
    [
        (["compile", "--out", "out"], "hera"),
        (["local", "compute", EXAMPLE], "hera"),
        (["list"], "hera"),
        (["render", "compute", EXAMPLE], "hera"),
        (["tfvars", "compute"], "re2"),
        (["completion", "bash"], "shtab"),
    ],
)
def test_a_command_that_needs_the_authoring_extra_says_to_install_it(
    tmp_path: Path, args: list[str], missing: str
) -> None:
    result = idp(tmp_path, *args)
    assert (result.returncode, result.stdout) == (EXIT_FAILURE, "")
    assert result.stderr == (
        f"idp: {args[0]} needs the authoring extra ({missing} is not installed): "
        f"{AUTHORING_INSTALL}\n"
    )


def test_compile_without_the_extra_writes_nothing(tmp_path: Path) -> None:
    idp(tmp_path, "compile", "--out", "out")
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hook"]


@pytest.mark.parametrize(
    "args",
    [["--help"], ["validate", "compute", EXAMPLE], ["schema", "storage"], ["local", "--help"]],
)
def test_help_validate_and_schema_need_no_authoring_extra(tmp_path: Path, args: list[str]) -> None:
    without, usual = idp(tmp_path, *args), idp(tmp_path, *args, hidden=False)
    assert without.returncode == 0, without.stderr
    assert (without.stdout, without.stderr) == (usual.stdout, usual.stderr)
