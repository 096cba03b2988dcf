"""Benchmark: `idp compile` against the floor of importing Hera, in the same venv and run.

Prints the median wall time of each and their ratio, for the real catalog and for a synthetic
catalog of 60 kinds generated in a temporary folder. Exits 1 when a ratio misses its target.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from idp.catalog import catalog_for
from idp.compile import build
from idp.settings import Settings
from idp.yamlwriter import dump
from tests.pyyaml_reference import pyyaml_dump

RUNS = int(os.environ.get("IDP_BENCH_RUNS", "11"))
FLOOR = [sys.executable, "-c", "import hera.workflows, hera.events.models"]
TARGETS = {"real catalog": 1.25, "60 kinds": 1.5}
SYNTHETIC_KINDS = 60


def synthetic_catalog(folder: Path, kinds: int) -> str:
    """Write a module holding `kinds` request models; returns its `module:attribute`."""
    lines = [
        "from typing import Annotated, ClassVar, Literal",
        "from pydantic import Field",
        "from idp.contract import RequestBase",
        "",
    ]
    for number in range(kinds):
        lines += [
            f"class Kind{number:02d}(RequestBase):",
            f'    kind: ClassVar[str] = "kind{number:02d}"',
            '    resource_type: Literal["small", "large"]',
            "    size_gb: Annotated[int, Field(ge=1, le=1000)] = 10",
            '    tier: Literal["basic", "premium"] = "basic"',
            "",
        ]
    names = ", ".join(f"Kind{n:02d}" for n in range(kinds))
    lines.append(f"CATALOG = {{model.kind: model for model in ({names},)}}")
    (folder / "synthetic_catalog.py").write_text("\n".join(lines) + "\n")
    return "synthetic_catalog:CATALOG"


def wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def compare(label: str, command: list[str], env: dict[str, str]) -> bool:
    """Interleave runs of `command` and the floor so both see the same machine load."""
    wall(command, env)  # warm the file cache once
    measured, floor = [], []
    for _ in range(RUNS):
        measured.append(wall(command, env))
        floor.append(wall(FLOOR, env))
    m, f = statistics.median(measured), statistics.median(floor)
    ratio, target = m / f, TARGETS[label]
    verdict = "ok" if ratio <= target else "MISSED"
    print(
        f"compile, {label:<13} median {m:.3f} s  floor {f:.3f} s  "
        f"ratio {ratio:.2f} (target <= {target})  {verdict}"
    )
    return ratio <= target


def writers(folder: Path) -> None:
    """Why idp writes YAML itself (idp/yamlwriter.py): both writers on the 60-kind catalog's
    manifests, medians of RUNS, in this process."""
    sys.path.insert(0, str(folder))  # where catalog_for finds the synthetic catalog
    manifests = build(Settings.model_validate({}), catalog_for("synthetic_catalog:CATALOG"))
    own, pyyaml = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        for manifest in manifests:
            dump(manifest)
        middle = time.perf_counter()
        for manifest in manifests:
            pyyaml_dump(manifest)
        own.append(middle - start)
        pyyaml.append(time.perf_counter() - middle)
    o, p = statistics.median(own), statistics.median(pyyaml)
    print(
        f"yaml,    60 kinds      idp.yamlwriter {o:.3f} s  PyYAML (C emitter) {p:.3f} s"
        f"  ({p / o:.1f} times as long: why idp writes YAML itself)"
    )


def main() -> int:
    idp = str(Path(sys.executable).with_name("idp"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        env = {**os.environ, "PYTHONPATH": str(folder)}
        spec = synthetic_catalog(folder, SYNTHETIC_KINDS)
        results = [
            compare("real catalog", [idp, "compile", "--out", str(folder / "real")], env),
            compare(
                "60 kinds",
                [idp, "compile", "--out", str(folder / "many"), "--catalog", spec],
                env,
            ),
        ]
        writers(folder)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
