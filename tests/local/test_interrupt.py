"""An interrupted `idp local`: Ctrl-C (or SIGTERM) while a step runs leaves nothing running,
no saved plan and no lock behind, says in one line what it left, and a re-run ends as an
uninterrupted run would.

`idp local` runs as a user runs it, a process of its own, interrupted from outside while
Terraform applies (the compute fixture module's apply sleeps while TF_IDP_TEST_APPLY_SECONDS
says) or while checkov reads the plan.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from idp.local.mutex import try_acquire
from tests.local.conftest import LocalPlatform, example

pytestmark = pytest.mark.slow


def start(
    platform: LocalPlatform, request: dict[str, object], run_dir: Path, err: Path | None = None
) -> subprocess.Popen[str]:
    body = platform.tmp / "interrupted.json"
    body.write_text(json.dumps(request))
    options = [o for o in platform._shared_options() if o not in {"json", "-o"}]
    options[options.index("--run-dir") + 1] = str(run_dir)
    env = {**os.environ, "TF_IDP_TEST_APPLY_SECONDS": "10"}
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "idp.cli", "local", "compute", str(body), *options),
            *("--approve", "YES", "--as", "lee.reviewer@example.com"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if err is None else err.open("w"),
        text=True,
        start_new_session=True,  # as a terminal's job: the test signals it alone
    )


def wait_for_log(run_dir: Path, pod: str, text: str, process: subprocess.Popen[str]) -> None:
    ends = time.monotonic() + 120
    while time.monotonic() < ends:
        for log in (run_dir / "logs").glob(f"*-{pod}-*.log"):
            if text in log.read_text(errors="replace"):
                return
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    pytest.fail(f"{pod} never logged {text!r}")


def processes_under(folder: Path) -> list[str]:
    """Command lines of this machine's processes that name `folder` (the run's pods)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(folder) in command:
            found.append(command)
    return found


def states() -> list[tuple[int, str, int, int]]:
    """(pid, state, parent, process group) of each of this machine's processes."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                state, parent, group = (proc / "stat").read_text().rsplit(")", 1)[1].split()[:3]
                found.append((int(proc.name), state, int(parent), int(group)))
    return found


def steps_of(process: subprocess.Popen[str]) -> list[int]:
    """The process groups of the steps `idp local` runs now (each its own session leader)."""
    return [
        pid
        for pid, state, parent, group in states()
        if parent == process.pid and state != "Z" and group == pid
    ]


def all_stopped(groups: list[int]) -> bool:
    return all(state in "TZ" for _, state, _, group in states() if group in groups)


def pending(pid: int, how: signal.Signals) -> bool:
    """Whether `how` waits to be delivered to the (stopped) process `pid`."""
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("ShdPnd:"):
            return bool(int(line.split()[1], 16) & (1 << (how - 1)))
    return False


def while_stopping(process: subprocess.Popen[str], how: signal.Signals) -> list[int]:
    """Signal `idp local` while its steps are held stopped (SIGSTOP), so the interrupt waits
    for them; returns once the steps got the SIGINT that stops them, with them still held."""
    groups = steps_of(process)
    assert groups, "no step was running"
    for group in groups:
        os.killpg(group, signal.SIGSTOP)
    ends = time.monotonic() + 60
    while not all_stopped(groups):  # a SIGINT that came first would be taken, not pending
        assert time.monotonic() < ends, "the steps never stopped"
        time.sleep(0.05)
    process.send_signal(how)
    while not all(pending(group, signal.SIGINT) for group in groups):
        assert time.monotonic() < ends, "the steps were never told to stop"
        time.sleep(0.1)
    return groups


def resume(groups: list[int]) -> None:
    for group in groups:
        os.killpg(group, signal.SIGCONT)


def left_behind(platform: LocalPlatform) -> list[Path]:
    """Saved plans anywhere, and Terraform state locks, under the platform's folders."""
    return [
        *platform.tmp.rglob("*.tfplan"),
        *platform.tmp.rglob(".terraform.tfstate.lock.info"),
    ]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_stopped_while_terraform_applies_it_stops_cleanly_and_a_rerun_completes(
    platform: LocalPlatform, how: signal.Signals
) -> None:
    request = example("compute", name="cut-short", environment="dev")
    run_dir = platform.tmp / "interrupted-run"
    process = start(platform, request, run_dir)
    wait_for_log(run_dir, "apply", "Provisioning with 'local-exec'", process)

    steps = while_stopping(process, how)
    lock = try_acquire(platform.tmp / "state", "argo-events/Mutex/compute-dev-cut-short")
    if lock is not None:
        lock.close()
    resume(steps)
    _, err = process.communicate(timeout=300)

    assert process.returncode == 128 + how
    last = err.strip().splitlines()[-1]
    assert last.startswith("idp: interrupted: ")
    assert "-apply-" in last and "stopped (exit 130)" in last
    assert processes_under(run_dir) == []
    assert left_behind(platform) == []
    assert lock is None  # the stack's mutex stayed held while the steps were stopping
    entry = platform.tmp / "state" / "compute" / "dev" / "cut-short.stack.json"
    assert entry.exists()  # apply had started: drift and expiry must see the stack

    again = platform.run("compute", request)

    assert (again.phase, again.outcome) == ("Succeeded", "succeeded"), again.log
    state = json.loads(
        (platform.tmp / "state" / "compute" / "dev" / "cut-short.tfstate").read_text()
    )
    assert {r["name"] for r in state["resources"]} == {"resource_group", "cluster"}
    assert not any("tainted" in json.dumps(r) for r in state["resources"])


def test_stopped_while_checkov_reads_the_plan_it_leaves_no_plan_and_a_rerun_completes(
    platform: LocalPlatform,
) -> None:
    request = example("compute", name="cut-earlier", environment="dev")
    run_dir = platform.tmp / "interrupted-run"
    process = start(platform, request, run_dir)
    wait_for_log(run_dir, "plan", "== policy", process)

    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)

    assert process.returncode == 130
    assert "-plan-" in err.strip().splitlines()[-1]
    assert processes_under(run_dir) == []
    assert left_behind(platform) == []
    assert not (platform.tmp / "state" / "compute" / "dev" / "cut-earlier.stack.json").exists()

    again = platform.run("compute", request)

    assert (again.phase, again.outcome) == ("Succeeded", "succeeded"), again.log


def saved_plan(platform: LocalPlatform, stack: str) -> Path:
    """A plan waiting beside `stack`'s state, saved (by its time) after any run started."""
    plan = platform.tmp / "state" / "compute" / "dev" / f"{stack}.plans" / "0.tfplan"
    plan.parent.mkdir(parents=True, exist_ok=True)
    plan.write_bytes(b"plan")
    later = time.time() + 3600
    os.utime(plan, (later, later))
    return plan


def test_an_interrupted_run_leaves_another_stacks_saved_plan_alone(
    platform: LocalPlatform,
) -> None:
    request = example("compute", name="cut-short", environment="dev")
    run_dir = platform.tmp / "interrupted-run"
    process = start(platform, request, run_dir)
    wait_for_log(run_dir, "apply", "Provisioning with 'local-exec'", process)
    other = saved_plan(platform, "someone-elses")

    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)

    assert process.returncode == 130, err
    assert other.exists()


def test_a_run_waiting_for_its_stacks_lock_deletes_no_plan_when_interrupted(
    platform: LocalPlatform,
) -> None:
    holder = try_acquire(platform.tmp / "state", "argo-events/Mutex/compute-dev-queued")
    assert holder is not None  # another run of the stack, between its plan and its approval
    try:
        plan = saved_plan(platform, "queued")
        log = platform.tmp / "queued.err"
        process = start(
            platform,
            example("compute", name="queued", environment="dev"),
            run_dir=platform.tmp / "q",
            err=log,
        )
        ends = time.monotonic() + 120
        while "waiting   for mutex" not in log.read_text():
            assert process.poll() is None and time.monotonic() < ends, log.read_text()
            time.sleep(0.2)

        process.send_signal(signal.SIGINT)
        process.communicate(timeout=300)

        assert process.returncode == 130, log.read_text()
        assert plan.exists()
    finally:
        holder.close()


def test_more_signals_while_it_stops_do_not_cut_the_cleanup_short(
    platform: LocalPlatform,
) -> None:
    request = example("compute", name="cut-short", environment="dev")
    run_dir = platform.tmp / "interrupted-run"
    process = start(platform, request, run_dir)
    wait_for_log(run_dir, "apply", "Provisioning with 'local-exec'", process)

    steps = while_stopping(process, signal.SIGINT)
    for again in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        process.send_signal(again)
    time.sleep(0.5)
    resume(steps)
    _, err = process.communicate(timeout=300)

    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("idp: interrupted: ")
    assert processes_under(run_dir) == []
    assert left_behind(platform) == []
