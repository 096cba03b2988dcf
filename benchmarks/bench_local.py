"""Benchmark: what `idp local` adds to the step processes it runs.

One compute request through the whole compiled pipeline with the fixture module, answered YES,
the phases that reach outside stubbed but policy (preflight, cost and verify: no Azure and no
price service here; checkov runs): the wall time of `idp local`, against the sum of the step
processes it ran (each timed by the runner, `timings.json` in the run folder) plus one
`idp compile` (`idp local` compiles the platform first). Target: at most 1 s more than that.
The compile is measured in the same run. Medians of IDP_BENCH_RUNS runs (default 5), the sides
interleaved so they see the same machine load. Exits 1 when the target is missed.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("IDP_BENCH_RUNS", "5"))
ROOT = Path(__file__).resolve().parents[1]
IDP = [sys.executable, "-m", "idp.cli"]
TARGET_SECONDS = 1.0


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "AZURE_", "ARM_"))}


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, check=False, cwd=ROOT)
    took = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"bench_local: {' '.join(command[3:5])} exited {result.returncode}: "
            f"{result.stderr.decode(errors='replace')[-400:]}"
        )
    return took


def one_round(env: dict[str, str]) -> tuple[float, float, float]:
    """(idp local's wall time, the sum of its step processes, one compile)."""
    with tempfile.TemporaryDirectory() as folder:
        run_dir, state = Path(folder) / "run", Path(folder) / "state"
        local = [
            *IDP,
            "local",
            "compute",
            str(ROOT / "examples" / "requests" / "compute.json"),
            "--modules",
            str(ROOT / "tests" / "fixtures" / "terraform"),
            "--stub",
            "preflight=Succeeded",
            "--stub",
            "verify=Succeeded",
            "--stub",
            "cost=Succeeded",
            "--approve",
            "YES",
            "--as",
            "lee@example.com",
            "--state-dir",
            str(state),
            "--run-dir",
            str(run_dir),
        ]
        total = timed(local, env)
        steps = sum(json.loads((run_dir / "timings.json").read_text()).values())
        compile_time = timed([*IDP, "compile", "--out", str(Path(folder) / "dist")], env)
    return total, steps, compile_time


def main() -> int:
    if shutil.which("terraform") is None:
        print("bench_local: terraform is not on PATH", file=sys.stderr)
        return 1
    env = environment()
    one_round(env)  # warm the file cache
    rounds = [one_round(env) for _ in range(RUNS)]
    total = statistics.median(r[0] for r in rounds)
    steps = statistics.median(r[1] for r in rounds)
    compile_time = statistics.median(r[2] for r in rounds)
    added = total - steps - compile_time
    ok = added <= TARGET_SECONDS
    print(
        f"idp local   total {total:.3f} s  step processes {steps:.3f} s"
        f"  compile {compile_time:.3f} s  added {added:+.3f} s"
        f" (target <= +{TARGET_SECONDS} s beyond one compile)"
        f"  {'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
