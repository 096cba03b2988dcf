"""Benchmark of the step pods: how many a request waits on, and what each adds to Terraform.

(a) The pods on a YES request's critical path, per kind, read from the compiled
    WorkflowTemplate: the longest chain of container tasks through `depends` to the tasks the
    DAG waits for (a task that continues on failure gates nothing), plus the exit handler.
    Target: at most 3.
(b) A step program's cold start: `notify` (settings, the request's identity, the notice; no
    callback or SMTP set, so no network) against `python -c pass`: target at most +0.35 s.
(c) The plan pod against the Terraform it runs: the plan program (validate, plan; preflight,
    policy and cost stood in for) against `terraform init`, `plan` and the two `show`s with the
    same flags, run directly: target at most +0.5 s. The policy phase (checkov on the plan) is
    timed on its own and printed beside it, not hidden in it.
(d) The apply pod the same way: decide, apply, report (verify stood in for) against `init
    -backend=false`, `apply` of the saved plan, `init` with the backend and `output`: target at
    most +0.5 s.

Medians of IDP_BENCH_RUNS runs (default 7), the sides interleaved so they see the same machine
load; each cycle starts from an empty state. Exits 1 when a target is missed.
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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from idp.catalog import DEFAULT_CATALOG
from idp.compile import build
from idp.contract import ComputeRequest
from idp.image import CHECKOV_ENV, LOCAL_STUB_ENV
from idp.local.command import checkov_program
from idp.settings import Settings

RUNS = int(os.environ.get("IDP_BENCH_RUNS", "7"))
ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "tests" / "fixtures" / "terraform" / "compute"
POLICIES = ROOT / "tests" / "fixtures" / "policies"
PODS_TARGET = 3
START_TARGET_SECONDS = 0.35
POD_TARGET_SECONDS = 0.5
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
STOOD_IN = "preflight,policy,cost,verify"


def environment() -> dict[str, str]:
    """The machine's environment without settings or credentials, plus the request."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "AZURE_", "ARM_"))}
    env["IDP_REQUEST"] = json.dumps(REQUEST)
    env[LOCAL_STUB_ENV] = STOOD_IN
    return env


def run(command: list[str], env: Mapping[str, str], cwd: Path | None = None) -> int:
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


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


# -- (a) the critical path -----------------------------------------------------------------


def critical_pods(template: Mapping[str, Any]) -> int:
    """Container tasks on the longest `depends` chain to a task the DAG waits for, plus the
    exit handler's pod."""
    spec = template["spec"]
    templates = {t["name"]: t for t in spec["templates"]}
    tasks = {t["name"]: t for t in templates[spec["entrypoint"]]["dag"]["tasks"]}

    def pods(name: str) -> int:
        return 1 if "container" in templates[tasks[name]["template"]] else 0

    def dependencies(name: str) -> list[str]:
        words = str(tasks[name].get("depends", "")).replace("(", " ").replace(")", " ")
        found = {w.split(".")[0] for w in words.split() if w not in ("&&", "||", "!")}
        return sorted(found & set(tasks))

    def longest(name: str) -> int:
        return pods(name) + max((longest(d) for d in dependencies(name)), default=0)

    gated = [
        name
        for name in tasks
        if not any(name in dependencies(other) for other in tasks)
        and not tasks[name].get("continueOn")
    ]
    exit_pod = 1 if "container" in templates.get(spec.get("onExit", ""), {}) else 0
    return max(longest(name) for name in gated) + exit_pod


def critical_paths() -> bool:
    ok = True
    for manifest in build(Settings.model_validate({})):
        if manifest["kind"] != "WorkflowTemplate":
            continue
        kind = manifest["metadata"]["name"].removesuffix("-provision-workflow")
        if kind not in DEFAULT_CATALOG:
            continue
        pods = critical_pods(manifest)
        ok = ok and pods <= PODS_TARGET
        print(
            f"pods        {kind:<9} {pods} on a YES request's critical path"
            f" (target <= {PODS_TARGET})  {verdict(pods <= PODS_TARGET)}"
        )
    return ok


# -- (b) a step program's cold start -------------------------------------------------------


def cold_start(env: dict[str, str]) -> bool:
    notify = [*STEPS, "notify", "--kind", "compute", "--request-id", str(REQUEST["request_id"])]
    checked(run(notify, env), "notify")  # warm the file cache once
    measured, floor = [], []
    for _ in range(RUNS):
        measured.append(timed(lambda: checked(run(notify, env), "notify")))
        floor.append(timed(lambda: checked(run([sys.executable, "-c", "pass"], env), "floor")))
    m, f = statistics.median(measured), statistics.median(floor)
    ok = m - f <= START_TARGET_SECONDS
    print(
        f"cold start  notify {m:.3f} s  floor {f:.3f} s  +{m - f:.3f} s"
        f" (target <= +{START_TARGET_SECONDS} s)  {verdict(ok)}"
    )
    return ok


# -- (c), (d) the pods against the Terraform they run --------------------------------------


def terraform_env(env: Mapping[str, str]) -> dict[str, str]:
    return {**env, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}


def stack_options(folder: Path, pod: str) -> list[str]:
    return [
        "--kind",
        "compute",
        "--module",
        str(MODULE),
        "--work",
        str(folder / pod),
        "--out",
        str(folder / f"{pod}-out"),
        "--backend",
        "local",
        "--state-dir",
        str(folder / "state"),
    ]


def plan_program(folder: Path, env: Mapping[str, str]) -> float:
    plan = [*STEPS, "plan", *stack_options(folder, "plan-pod"), "--policies", str(POLICIES)]
    return timed(lambda: checked(run(plan, env), "plan program"))


def apply_program(folder: Path, env: Mapping[str, str]) -> float:
    apply = [*STEPS, "apply", *stack_options(folder, "apply-pod"), "--next", "approve"]
    apply += ["--approval", "YES", "--sha256", (folder / "plan-pod-out" / "sha256").read_text()]
    apply += ["--labels", json.dumps({"workflows.argoproj.io/actor-email": APPROVER_LABEL})]
    return timed(lambda: checked(run(apply, env), "apply program"))


def direct(folder: Path, env: Mapping[str, str]) -> tuple[float, float]:
    """The Terraform commands of the plan pod and of the apply pod, with the same flags, run
    directly: (plan pod's, apply pod's)."""
    plan_pod, apply_pod, output_pod = folder / "plan", folder / "apply", folder / "output"
    for work in (plan_pod, apply_pod, output_pod):
        work.mkdir()
        for source in MODULE.glob("*.tf"):
            shutil.copyfile(source, work / source.name)
    values = ComputeRequest.model_validate(REQUEST).model_dump(mode="json")
    (plan_pod / "request.tfvars.json").write_text(json.dumps(values))
    env = terraform_env(env)
    state = folder / "state" / "compute" / "dev" / "bench.tfstate"
    state.parent.mkdir(parents=True)
    plan_file = plan_pod / "plan.tfplan"
    flags = ("-json", "-no-color", "-input=false")

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

    def plan() -> None:
        terraform(plan_pod, "init", *flags, f"-backend-config=path={state}")
        terraform(
            plan_pod,
            "plan",
            *flags,
            "-detailed-exitcode",
            f"-out={plan_file}",
            "-var-file=request.tfvars.json",
            ok=(0, 2),
        )
        show_both()

    def apply() -> None:
        terraform(apply_pod, "init", *flags, "-backend=false")
        terraform(apply_pod, "apply", *flags, str(plan_file))
        terraform(output_pod, "init", *flags, f"-backend-config=path={state}")
        terraform(output_pod, "output", "-json", "-no-color")

    return timed(plan), timed(apply)


def pods_against_terraform(env: dict[str, str]) -> bool:
    programs: list[tuple[float, float]] = []
    terraform: list[tuple[float, float]] = []
    policy: list[float] = []
    with_policy = {**env, LOCAL_STUB_ENV: STOOD_IN.replace("policy,", "")}
    try:
        with_policy[CHECKOV_ENV] = checkov_program()
    except ValueError as exc:
        raise SystemExit(f"bench_steps: {exc}") from None
    for number in range(RUNS + 1):
        with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as other:
            planned = plan_program(Path(one), env)
            applied = apply_program(Path(one), env)
            straight = direct(Path(other), env)
        with tempfile.TemporaryDirectory() as third:
            checked_plan = plan_program(Path(third), with_policy)
        if number:  # the first round only warms the file cache
            programs.append((planned, applied))
            terraform.append(straight)
            policy.append(checked_plan - planned)
    ok = True
    for index, pod in enumerate(("plan", "apply")):
        p = statistics.median(r[index] for r in programs)
        t = statistics.median(r[index] for r in terraform)
        fits = p - t <= POD_TARGET_SECONDS
        ok = ok and fits
        print(
            f"{pod} pod   {'  ' if pod == 'plan' else ''}program {p:.3f} s  terraform {t:.3f} s"
            f"  +{p - t:.3f} s (target <= +{POD_TARGET_SECONDS} s)  {verdict(fits)}"
        )
    print(
        f"            the policy phase (checkov on the plan) adds {statistics.median(policy):.3f} s"
        " to the plan pod, beside the figure above"
    )
    return ok


def main() -> int:
    if shutil.which("terraform") is None:
        print("bench_steps: terraform is not on PATH", file=sys.stderr)
        return 1
    env = environment()
    results = [critical_paths(), cold_start(env), pods_against_terraform(env)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
