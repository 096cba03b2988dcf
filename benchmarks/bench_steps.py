"""Benchmark of the step programs: one step's cold start, and what they add to a Terraform cycle.

(a) `python -m workflows.steps validate` on a valid request against the floor `python -c pass`:
    target at most 0.35 s above the floor.
(b) plan + apply of the `terraform_data` fixture module through the step programs (plan and
    apply in separate work folders, as in separate pods) against the same Terraform commands,
    with the same flags, run directly in two prepared folders: target at most 0.30 s added per
    step (the difference of the medians, halved). A ratio target cannot hold on a module where
    Terraform itself takes a third of a second: two bare interpreter starts alone are a quarter
    of that cycle, which the benchmark prints for scale.

Medians of IDP_BENCH_RUNS runs (default 7), the two sides interleaved so they see the same
machine load; each cycle starts from an empty state. Exits 1 when a target is missed.
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
from collections.abc import Callable
from pathlib import Path

from idp.contract import ComputeRequest

RUNS = int(os.environ.get("IDP_BENCH_RUNS", "7"))
ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "tests" / "fixtures" / "terraform" / "compute"
START_TARGET_SECONDS = 0.35
STEP_TARGET_SECONDS = 0.30
REQUEST = {
    "request_id": "7d0c9a52-3f4e-4b8a-9c1d-0e2f4a6b8c0d",
    "name": "bench",
    "environment": "dev",
    "region": "eastus",
    "resource_type": "kubernetes",
    "requester_name": "Bench Mark",
    "requester_email": "bench@example.com",
    "node_count": 2,
}
STEPS = [sys.executable, "-m", "workflows.steps"]
# Someone other than the requester, in the form the Argo Server labels the Workflow with
APPROVER_LABEL = "lee.at.example.com"


def environment() -> dict[str, str]:
    """The machine's environment without settings or credentials, plus the request."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "AZURE_", "ARM_"))}
    env["IDP_REQUEST"] = json.dumps(REQUEST)
    return env


def run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
    """Run quietly; the exit code (a failure that is not expected stops the benchmark)."""
    return subprocess.run(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    ).returncode


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def checked(code: int, what: str, ok: tuple[int, ...] = (0,)) -> None:
    if code not in ok:
        raise SystemExit(f"bench_steps: {what} exited {code}")


def cold_start(env: dict[str, str]) -> tuple[bool, float]:
    """(a): validate against `python -c pass`; also returns the floor's median."""
    validate = [*STEPS, "validate", "--kind", "compute"]
    checked(run(validate, env), "validate")  # warm the file cache once
    measured, floor = [], []
    for _ in range(RUNS):
        measured.append(timed(lambda: checked(run(validate, env), "validate")))
        floor.append(timed(lambda: checked(run([sys.executable, "-c", "pass"], env), "floor")))
    m, f = statistics.median(measured), statistics.median(floor)
    ok = m - f <= START_TARGET_SECONDS
    print(
        f"cold start  validate {m:.3f} s  floor {f:.3f} s  +{m - f:.3f} s"
        f" (target <= +{START_TARGET_SECONDS} s)  ratio {m / f:.1f}  {'ok' if ok else 'MISSED'}"
    )
    return ok, f


def step_cycle(folder: Path, env: dict[str, str]) -> float:
    """plan then apply through the step programs, each in its own work folder."""
    common = ["--kind", "compute", "--module", str(MODULE)]
    plan = [*STEPS, "plan", *common, "--work", str(folder / "plan-pod"), "--out", str(folder)]
    plan += ["--backend", "local", "--state-dir", str(folder / "state")]
    apply = [*STEPS, "apply", *common, "--work", str(folder / "apply-pod")]
    apply += ["--backend", "local", "--state-dir", str(folder / "state"), "--approval", "YES"]
    apply += ["--labels", json.dumps({"workflows.argoproj.io/actor-email": APPROVER_LABEL})]
    apply += ["--sha256", ""]

    def cycle() -> None:
        checked(run(plan, env), "plan step")
        apply[-1] = (folder / "sha256").read_text()
        checked(run(apply, env), "apply step")

    return timed(cycle)


def direct_cycle(folder: Path, env: dict[str, str]) -> float:
    """The Terraform commands the steps issue, with the same flags, run directly.

    Plan pod: init with the backend, plan, then show -json and show -no-color side by side.
    Apply pod: a fresh copy, init without the backend, apply of the saved plan.
    """
    plan_pod, apply_pod = folder / "plan-pod", folder / "apply-pod"
    for work in (plan_pod, apply_pod):
        work.mkdir()
        for source in MODULE.glob("*.tf"):
            shutil.copyfile(source, work / source.name)
    values = ComputeRequest.model_validate(REQUEST).model_dump(mode="json")
    (plan_pod / "request.tfvars.json").write_text(json.dumps(values))
    env = {**env, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    state = folder / "state" / "compute" / "dev" / "bench.tfstate"
    state.parent.mkdir(parents=True)
    plan_file = plan_pod / "plan.tfplan"

    def terraform(work: Path, *args: str, ok: tuple[int, ...] = (0,)) -> None:
        checked(run(["terraform", *args], env, cwd=work), f"terraform {args[0]}", ok)

    def show_both() -> None:
        shows = [
            subprocess.Popen(
                ["terraform", "show", flag, str(plan_file)],
                cwd=plan_pod,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for flag in ("-json", "-no-color")
        ]
        for show in shows:
            checked(show.wait(), "terraform show")

    def cycle() -> None:
        terraform(
            plan_pod, "init", "-json", "-no-color", "-input=false", f"-backend-config=path={state}"
        )
        terraform(
            plan_pod,
            "plan",
            "-json",
            "-no-color",
            "-input=false",
            "-detailed-exitcode",
            f"-out={plan_file}",
            "-var-file=request.tfvars.json",
            ok=(0, 2),
        )
        show_both()
        terraform(apply_pod, "init", "-json", "-no-color", "-input=false", "-backend=false")
        terraform(apply_pod, "apply", "-json", "-no-color", "-input=false", str(plan_file))

    return timed(cycle)


def plan_apply(env: dict[str, str], python_floor: float) -> bool:
    """(b): the step programs' cycle against the direct one.

    Also prints what two bare interpreter starts (the least any two Python steps cost) would
    add to the direct cycle, for scale.
    """
    steps, direct = [], []
    for number in range(RUNS + 1):
        with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as other:
            measured = step_cycle(Path(one), env)
            floor = direct_cycle(Path(other), env)
        if number:  # the first pair only warms the file cache
            steps.append(measured)
            direct.append(floor)
    s, d = statistics.median(steps), statistics.median(direct)
    per_step = (s - d) / 2
    ok = per_step <= STEP_TARGET_SECONDS
    print(
        f"plan+apply  steps {s:.3f} s  direct {d:.3f} s  ratio {s / d:.2f}  +{per_step:.3f} s per"
        f" step (target <= +{STEP_TARGET_SECONDS} s)  {'ok' if ok else 'MISSED'}"
    )
    print(
        f"            for scale: two bare `python -c pass` ({2 * python_floor:.3f} s)"
        f" are +{2 * python_floor / d * 100:.0f}% of the direct cycle"
    )
    return ok


def main() -> int:
    if shutil.which("terraform") is None:
        print("bench_steps: terraform is not on PATH", file=sys.stderr)
        return 1
    env = environment()
    started, python_floor = cold_start(env)
    cycled = plan_apply(env, python_floor)
    return 0 if started and cycled else 1


if __name__ == "__main__":
    sys.exit(main())
