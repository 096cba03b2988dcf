"""An interrupted `idp local`: Ctrl-C (or SIGTERM) while a step runs leaves nothing running,
no saved plan and no lock behind, says in one line what it left, and a re-run ends as an
uninterrupted run would.

`idp local` runs as a user runs it, a process of its own, interrupted from outside while
Terraform applies (the compute fixture module's apply sleeps while TF_IDP_TEST_APPLY_SECONDS
says) or while checkov reads the plan.
"""

from __future__ import annotations

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
    platform: LocalPlatform, request: dict[str, object], run_dir: Path
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
        stderr=subprocess.PIPE,
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


def left_behind(platform: LocalPlatform) -> list[Path]:
    """Saved plans anywhere, and Terraform state locks, under the platform's folders."""
    return [
        *platform.tmp.rglob("*.tfplan"),
        *platform.tmp.rglob(".terraform.tfstate.lock.info"),
    ]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_stopped_while_terraform_applies_it_stops_cleanly_and_a_rerun_completes(
    platform: LocalPlatform, how: signal.Signals
) -> None:
    request = example("compute", name="cut-short", environment="dev")
    run_dir = platform.tmp / "interrupted-run"
    process = start(platform, request, run_dir)
    wait_for_log(run_dir, "apply", "Provisioning with 'local-exec'", process)

    process.send_signal(how)
    _, err = process.communicate(timeout=300)

    assert process.returncode == 128 + how
    last = err.strip().splitlines()[-1]
    assert last.startswith("idp: interrupted: ")
    assert "-apply-" in last and "stopped (exit 130)" in last
    assert processes_under(run_dir) == []
    assert left_behind(platform) == []
    lock = try_acquire(platform.tmp / "state", "argo-events/Mutex/compute-dev-cut-short")
    assert lock is not None  # the stack's mutex is free again
    lock.close()
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
