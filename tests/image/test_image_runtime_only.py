"""The image carries what the pods run and nothing more: the project's `dependencies`, no extra.

Hera and the rest of the authoring extra, and the test extra, stay out of the image. No container
engine runs here, so the image is not built; instead the step programs run as the pods run them
(the fixture module, local state, fake Azure, a fake webhook and notice receiver) twice: once as
the tests always run them, once in a Python where every package the runtime dependencies do not
bring fails to import as a missing one does (`tests.image.runtime_only`). Both runs go alike.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from idp.image import LOCAL_STUB_ENV
from tests.argo.fake_webhook import FakeWebhook, serving
from tests.fakes.azure import SUBSCRIPTION, fake_arm, write_az
from tests.fakes.callback import Callback, running_callback
from tests.image.runtime_only import (
    distribution,
    hidden_packages,
    project_requirements,
    runtime_distributions,
    runtime_only_env,
)
from tests.image.test_image_dockerfile import Instruction, read_dockerfile, shell_commands
from tests.steps.conftest import CHECKOV, Steps, compute_request, pod_environment

VENV = "/opt/idp/venv"


def extra(name: str) -> set[str]:
    """The distributions an extra of pyproject.toml names."""
    return {distribution(line) for line in project_requirements(name)}


# --- the dependencies ----------------------------------------------------------------------------


def test_hera_is_the_authoring_extras_not_a_dependency() -> None:
    assert "hera" in extra("authoring")
    assert "hera" not in {distribution(line) for line in project_requirements()}


@pytest.mark.parametrize("name", ["authoring", "test", "docs"])
def test_the_dependencies_bring_nothing_an_extra_names(name: str) -> None:
    """Not even through another package: the closure the image installs, as installed here."""
    brought = runtime_distributions() & extra(name)
    assert not brought, f"the dependencies bring {sorted(brought)} of the {name} extra"


# --- the Dockerfile installs the project with no extra -------------------------------------------


@dataclass(frozen=True)
class PipCommand:
    line: int
    stage: int
    program: str
    subcommand: str
    arguments: list[str]  # what follows the subcommand


def pip_commands(instructions: list[Instruction]) -> list[PipCommand]:
    """Every `pip ...` and `python -m pip ...` the Dockerfile's RUNs run."""
    found = []
    for ins in instructions:
        if ins.keyword != "RUN":
            continue
        for words in shell_commands(ins.args):
            name = Path(words[0]).name
            if name.startswith("pip") and len(words) > 1:
                found.append(PipCommand(ins.line, ins.stage, words[0], words[1], words[2:]))
            elif name.startswith("python") and words[1:3] == ["-m", "pip"] and len(words) > 3:
                found.append(PipCommand(ins.line, ins.stage, words[0], words[3], words[4:]))
    return found


def requirements(command: PipCommand) -> list[str]:
    """The command's requirements: its arguments that are no option nor an option's value."""
    valued = {"--wheel-dir", "-w", "--index-url", "-i", "--constraint", "-c", "--target", "-t"}
    named, skip = [], False
    for word in command.arguments:
        if skip:
            skip = False
        elif word in valued:
            skip = True
        elif not word.startswith("-"):
            named.append(word)
    return named


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return read_dockerfile()


def project_installs(instructions: list[Instruction]) -> list[PipCommand]:
    """The pip commands that build the project's wheel or install into the project's venv."""
    return [
        c
        for c in pip_commands(instructions)
        if c.program.startswith(f"{VENV}/")
        or (c.subcommand == "wheel" and any(r.startswith(".") for r in requirements(c)))
    ]


def test_the_project_is_installed_into_its_venv_from_the_build_context(
    instructions: list[Instruction],
) -> None:
    commands = project_installs(instructions)
    assert [c.subcommand for c in commands] == ["wheel", "install"], commands
    for command in commands:
        named = requirements(command)
        assert named, f"line {command.line}: pip {command.subcommand} of nothing"
        # the project itself (`.`, or the wheel built from it), not a package by name
        assert all(word.startswith((".", "/")) for word in named), f"line {command.line}: {named}"
        # `.[authoring]` or `/dist/*.whl[authoring]` would bring the extra in
        assert not [word for word in named if "[" in word], f"line {command.line}: an extra"
        assert "-r" not in command.arguments and "--requirement" not in command.arguments


def test_no_pip_runs_in_the_final_stage(instructions: list[Instruction]) -> None:
    """The final stage copies the venv as built: nothing is added to it there."""
    last = max(ins.stage for ins in instructions)
    assert not [c for c in pip_commands(instructions) if c.stage == last]


def test_the_final_stage_takes_the_project_venv_only_from_the_build_stage(
    instructions: list[Instruction],
) -> None:
    last = max(ins.stage for ins in instructions)
    copies = [ins.args.split() for ins in instructions if ins.keyword == "COPY"]
    into_venv = [words for words in copies if words[-1].rstrip("/") == VENV]
    assert into_venv == [["--from=build", f"{VENV}/", f"{VENV}/"]]
    stage_names = [ins.args.split()[-1] for ins in instructions if ins.keyword == "FROM"]
    (built,) = [c for c in project_installs(instructions) if c.subcommand == "install"]
    assert stage_names[built.stage] == "build" and built.stage != last


# --- the step programs run alike with only the runtime dependencies ------------------------------


def python(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_the_runtime_only_python_refuses_hera_and_keeps_what_the_steps_need(
    tmp_path: Path,
) -> None:
    """The hook itself: the authoring and test packages hidden, the runtime ones importable."""
    assert {"hera", "shtab", "re2", "hcl2", "pytest"} <= hidden_packages()
    env = runtime_only_env(tmp_path / "hook")
    kept = python(env, "import yaml, pydantic, requests, msgpack, azure.identity, workflows.steps")
    assert kept.returncode == 0, kept.stderr
    refused = python(env, "import hera.workflows")
    assert refused.stderr.splitlines()[-1] == "ModuleNotFoundError: No module named 'hera'"


def test_the_build_stops_when_hera_is_in_the_image(
    instructions: list[Instruction], tmp_path: Path
) -> None:
    """The final stage's check, run here: it fails where Hera is installed, passes without."""
    last = max(ins.stage for ins in instructions)
    checks = [
        words[2]
        for ins in instructions
        if ins.stage == last and ins.keyword == "RUN"
        for words in shell_commands(ins.args)
        if words[:2] == ["python", "-c"] and "hera" in words[2]
    ]
    assert len(checks) == 1, "the final stage does not check that Hera is left out"
    with_hera = python(dict(os.environ), checks[0])
    assert (with_hera.returncode, with_hera.stderr) == (
        1,
        "error: Hera (the authoring extra) is in the image\n",
    )
    assert python(runtime_only_env(tmp_path / "hook"), checks[0]).returncode == 0


@contextmanager
def outside(tmp: Path) -> Iterator[tuple[dict[str, str], FakeWebhook, Callback]]:
    """Azure (a fake Resource Manager and `az`), the webhook and the notice receiver: the
    settings that send a pod there. Policy stays stood in for: checkov runs in its own venv."""
    with ExitStack() as stack:
        arm = stack.enter_context(fake_arm(tmp / "state", tmp))
        webhook = stack.enter_context(serving(FakeWebhook()))
        callback: Callback = stack.enter_context(running_callback())
        bin_dir = write_az(tmp / "bin")
        settings = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            "REQUESTS_CA_BUNDLE": str(arm.ca_bundle),
            "IDP_AZURE_AUTH": "azure-cli",
            "IDP_AZURE_RESOURCE_MANAGER": arm.url,
            "IDP_WEBHOOK_SERVICE_URL": webhook.url,
            "IDP_WEBHOOK_TOKEN": "hook-token",
            "IDP_CALLBACK_URL": callback.url,
            LOCAL_STUB_ENV: CHECKOV,
        }
        yield settings, webhook, callback


def every_command(steps: Steps) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    """Each step command once, as a provision run, its notices and the day-two crons run them:
    plan, apply, notify, finish, stacks, drift, and expire once the stack's time is up."""
    request = compute_request(ttl_hours=24)
    runs = [("plan", steps.plan("plan", request=request))]
    runs.append(("apply", steps.apply("plan", request=request)))
    workflow = ["--kind", "compute", "--workflow", f"compute-{request['request_id']}"]
    workflow += ["--request-id", request["request_id"], "--requester-email", "ann@example.com"]
    summary = ["--summary", steps.output("plan", "summary")]
    runs.append(("notify", steps.run("notify", *workflow, *summary, request=request)))
    finish = ["--out", str(steps.out("finish")), "--status", "Succeeded", "--approval", "YES"]
    finish += [
        *summary,
        "--has-changes",
        "true",
        "--outputs",
        steps.output("plan-applied", "outputs"),
    ]
    runs.append(("finish", steps.run("finish", *workflow, *finish, request=request)))
    state = ["--backend", "local", "--state-dir", str(steps.tmp / "state")]
    listed = ["--kind", "compute", *state, "--out", str(steps.out("stacks"))]
    runs.append(("stacks", steps.run("stacks", *listed)))
    where = ["--environment", "dev", "--name", "demo", "--out", str(steps.out("drift"))]
    runs.append(("drift", steps.run("drift", *steps.stack("drift-pod"), *where)))
    entry = json.loads(steps.entry_file().read_text())
    later = datetime.fromisoformat(entry["expires_at"].replace("Z", "+00:00"))
    at = (later + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    reaper = ["--out", str(steps.out("expiry")), "--work", str(steps.tmp / "reaper")]
    runs.append(("expire", steps.run("expire", "--kind", "compute", *state, "--now", at, *reaper)))
    return runs


OUTPUT_FOLDERS = ("plan", "plan-applied", "finish", "stacks", "drift", "expiry")
# Terraform's own `show -json` of the plan, whose relevant_attributes come in no fixed order; what
# the steps take from it is in the other files (changes, summary, has_changes, cost).
TERRAFORMS = {"plan/plan.json"}


@dataclass
class Observed:
    """What a run of every command showed: each command's exit code, stdout and stderr, every
    file it wrote to its output folder, and what reached the webhook and the notice receiver."""

    commands: list[tuple[str, int, str, str]]
    outputs: dict[str, str]
    received: list[str]


# What differs from one run to the next whatever the packages: Terraform's random ids, a saved
# plan's sha256 (the plan holds its time), clocks and durations, the destroy run's fresh request
# id, the fake servers' ports.
VARYING = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"), "<time>"),
    (re.compile(r"\bafter \d+s\b"), "after <n>s"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
]


def masked(text: str, tmp: Path) -> str:
    text = text.replace(str(tmp), "<tmp>")
    for pattern, stand_in in VARYING:
        text = pattern.sub(stand_in, text)
    return text


def observe(steps: Steps, webhook: FakeWebhook, callback: Callback) -> Observed:
    tmp = steps.tmp
    commands = [
        (name, r.returncode, masked(r.stdout, tmp), masked(r.stderr, tmp))
        for name, r in every_command(steps)
    ]
    outputs = {
        masked(str(path.relative_to(tmp)), tmp): masked(path.read_text(), tmp)
        for folder in OUTPUT_FOLDERS
        for path in sorted(steps.out(folder).rglob("*"))
        if path.is_file() and str(path.relative_to(tmp)) not in TERRAFORMS
    }
    bodies = [*(r.body.decode() for r in webhook.received)]
    bodies += [json.dumps(body, sort_keys=True) for _, body in callback.received]
    received = [masked(body, tmp) for body in bodies]
    return Observed(commands, outputs, received)


@pytest.mark.slow
def test_every_step_runs_alike_with_only_the_runtime_dependencies(tmp_path: Path) -> None:
    observed = {}
    for name in ("usual", "runtime-only"):
        tmp = tmp_path / name
        tmp.mkdir()
        with outside(tmp) as (settings, webhook, callback):
            env = pod_environment() | settings
            if name == "runtime-only":
                env = runtime_only_env(tmp_path / "hook", env)
                assert python(env, "import hera").returncode == 1
            observed[name] = observe(Steps(tmp, env), webhook, callback)
    usual, runtime_only = observed["usual"], observed["runtime-only"]
    assert [(name, code) for name, code, _, _ in usual.commands] == [
        (name, 0) for name in ("plan", "apply", "notify", "finish", "stacks", "drift", "expire")
    ], usual.commands
    assert {"plan/next", "plan-applied/outputs", "finish/outcome", "drift/drift.json"} <= set(
        usual.outputs
    )
    # the destroy run the reaper started; the notices of notify, finish and expire
    assert len(usual.received) == 4
    assert runtime_only.commands == usual.commands
    assert runtime_only.outputs == usual.outputs
    assert runtime_only.received == usual.received
