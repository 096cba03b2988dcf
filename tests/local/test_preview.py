"""A preview (`action: preview`) through `idp local`, for every kind: the Workflow the Sensor
makes of the body (`<kind>-preview-<request_id>` from `<kind>-preview-workflow`) runs the plan
program (validate, preflight, plan, policy, cost) and the exit handler, and nothing else.

It ends `previewed` with one notice of what the request would do, and leaves nothing behind:
no saved plan, no state change, no registry entry, no lock. It takes no mutex, so it runs while
a request of its stack holds the stack's mutex, waiting for its approval; and it runs beside
the request of the same request_id, under its own name.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from idp import labels
from idp.catalog import DEFAULT_CATALOG
from idp.commands.local import compiled_objects, inputs_for
from idp.local.mutex import try_acquire
from idp.settings import Settings
from tests.local.conftest import APPROVER, KINDS, MODULES, POLICIES, LocalPlatform, Run, example

# Each test runs `idp local` with the real step programs: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

# A change to each kind's example that the fixture module plans as an update in place.
CHANGED = {
    "compute": {"node_count": 5},
    "storage": {"quota_gb": 500},
    "database": {"storage_gb": 256},
}
MUTEX_WAIT = "waiting   for mutex"  # what idp local prints while another run holds the mutex
# How long the waiting request waits for its answer before it is told NO: a preview that waited
# for the mutex would then run late, and the test fail instead of hang.
PATIENCE = 120.0


def preview(kind: str, **changes: Any) -> dict[str, Any]:
    return example(kind, action="preview", **changes)


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes, by path: a state folder's whole content."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def held_locks(state: Path) -> list[str]:
    """The lock files under the state folder that someone holds now."""
    held = []
    for lock in sorted((state / "locks").glob("*.lock")):
        taken = try_acquire(state, lock.stem)
        if taken is None:
            held.append(lock.name)
        else:
            taken.close()
    return held


def stack_files(platform: LocalPlatform, kind: str, request: dict[str, Any]) -> Path:
    return platform.tmp / "state" / kind / str(request["environment"])


def assert_previewed(run: Run, kind: str, request: dict[str, Any]) -> None:
    assert (run.code, run.phase, run.outcome) == (0, "Succeeded", "previewed"), run.log
    assert run.workflow["metadata"]["name"] == f"{kind}-preview-{request['request_id']}"


# --- what a preview runs and tells ----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_preview_runs_the_plan_alone_and_ends_previewed(
    platform: LocalPlatform, kind: str
) -> None:
    request = preview(kind, name="look")
    run = platform.run(kind, request, approve=None)

    assert_previewed(run, kind, request)
    assert run.workflow["spec"]["workflowTemplateRef"] == {"name": f"{kind}-preview-workflow"}
    assert run.workflow["metadata"]["labels"][labels.ACTION] == labels.PREVIEW
    assert {task: run.ran(task) for task in ("plan", "approve", "notify-approvers", "apply")} == {
        "plan": True,
        "approve": False,
        "notify-approvers": False,
        "apply": False,
    }
    assert list(run.found("plan")) == ["validate", "preflight", "plan", "policy", "cost"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_previews_one_notice_carries_the_summary_changes_findings_and_cost(
    platform: LocalPlatform, kind: str
) -> None:
    run = platform.run(kind, preview(kind, name="look"), approve=None, policy=True)

    (notice,) = platform.notices()
    assert notice["phase"] == "previewed"
    assert notice["summary"] == run.output("summary") == "2 to add, 0 to change, 0 to destroy"
    assert notice["reason"] == f"a preview: {notice['summary']}"
    changes = notice["changes"].splitlines()
    assert notice["changes"] == run.output("changes")
    assert len(changes) == 2 and all(line.startswith("create terraform_data.") for line in changes)
    assert notice["findings"] == run.output("findings")
    assert notice["cost"] == run.output("cost")
    assert notice["cost"].startswith("+$") and "/month" in notice["cost"]
    assert notice["outputs"] == {} and notice["approver"] == ""


def test_a_previews_notice_names_the_policy_findings(platform: LocalPlatform) -> None:
    platform.run(
        "compute",
        preview("compute", name="bursty", vm_size="Standard_B2s"),
        approve=None,
        policy=True,
    )

    (notice,) = platform.notices()
    assert notice["findings"] == (
        "1 findings, none blocking\n"
        "IDP_FIXTURE_BURSTABLE (LOW) Burstable sizes are for short tests: terraform_data.cluster"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_preview_of_a_change_to_a_stack_that_exists_names_each_resources_action(
    platform: LocalPlatform, kind: str
) -> None:
    assert platform.run(kind, example(kind, name="kept")).outcome == "succeeded"
    platform.callback.received.clear()

    run = platform.run(kind, preview(kind, name="kept", **CHANGED[kind]), approve=None)

    assert run.outcome == "previewed"
    (notice,) = platform.notices()
    assert notice["summary"] == "0 to add, 1 to change, 0 to destroy"
    assert notice["changes"] == run.output("changes")
    assert notice["changes"].startswith("update terraform_data.")


# --- nothing left behind --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_preview_of_a_new_stack_leaves_no_file_behind(platform: LocalPlatform, kind: str) -> None:
    request = preview(kind, name="never-made")
    state = platform.tmp / "state"
    before = files(state)

    assert_previewed(platform.run(kind, request, approve=None), kind, request)

    assert files(state) == before
    folder = stack_files(platform, kind, request)
    assert not (folder / "never-made.tfstate").exists()
    assert not (folder / "never-made.stack.json").exists()
    assert list(folder.glob("never-made.plans/*")) == []
    assert held_locks(state) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_preview_of_a_stack_that_exists_changes_no_byte_of_its_state_or_registry(
    platform: LocalPlatform, kind: str
) -> None:
    platform.run(kind, example(kind, name="kept"))
    state = platform.tmp / "state"
    folder = stack_files(platform, kind, example(kind))
    assert (folder / "kept.tfstate").is_file() and (folder / "kept.stack.json").is_file()
    before = files(state)

    request = preview(kind, name="kept", **CHANGED[kind])
    assert_previewed(platform.run(kind, request, approve=None), kind, request)

    assert files(state) == before
    assert list(folder.glob("kept.plans/*")) == []
    assert list(state.rglob("*.lock.info")) == []  # Terraform's state lock, never taken
    assert held_locks(state) == []


# --- beside the request it previews ---------------------------------------------------------


def waiting_request(platform: LocalPlatform, kind: str, request: dict[str, Any]) -> Any:
    """`idp local` of `request` in another process, answered at its terminal: returns once it
    waits for its approval, holding the stack's mutex."""
    body = platform.tmp / "waiting.json"
    body.write_text(json.dumps(request))
    argv = [sys.executable, "-m", "idp.cli", "local", kind, str(body), "--as", APPROVER]
    argv += ["--modules", str(MODULES), "--policies", str(POLICIES), "-o", "json"]
    argv += ["--state-dir", str(platform.tmp / "state"), "--run-dir", str(platform.tmp / "other")]
    other = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert other.stderr is not None
    deadline = time.monotonic() + 300
    seen = []
    while time.monotonic() < deadline:
        line = other.stderr.readline()
        seen.append(line)
        if "waits for an answer" in line or not line:
            break
    assert "waits for an answer" in seen[-1], "".join(seen)
    return other


def answer(other: Any, text: str) -> None:
    """Type `text` at the other run's approval prompt."""
    other.stdin.write(text + "\n")
    other.stdin.flush()


@pytest.mark.parametrize("kind", KINDS)
def test_a_preview_runs_while_the_request_it_previews_waits_for_approval(
    platform: LocalPlatform, kind: str
) -> None:
    request = example(kind, name="busy")
    mutex = f"argo-events/Mutex/{kind}-{request['environment']}-busy"
    other = waiting_request(platform, kind, request)
    impatient = threading.Timer(PATIENCE, answer, (other, "NO"))
    impatient.start()
    try:
        assert try_acquire(platform.tmp / "state", mutex) is None  # the request holds it
        run = platform.run(kind, {**request, "action": "preview"}, approve=None)
        assert_previewed(run, kind, request)
        assert MUTEX_WAIT not in run.log
        assert other.poll() is None  # the request still waits, holding the mutex

        printed, _ = other.communicate("YES\n", timeout=300)
    finally:
        impatient.cancel()
        if other.poll() is None:
            other.kill()
            other.communicate()
    applied = json.loads(printed)
    assert other.returncode == 0
    assert applied["metadata"]["name"] == f"{kind}-{request['request_id']}"
    assert applied["status"]["phase"] == "Succeeded"
    assert [n["phase"] for n in platform.notices() if n["phase"] != "awaiting-approval"] == [
        "previewed",
        "succeeded",
    ]


@pytest.mark.parametrize("action", ["preview", "provision"])
def test_on_the_native_bus_idp_local_finds_the_template_through_the_sensor_of_the_route(
    action: str,
) -> None:
    # one Sensor per route there (events.sensors.deployed): the one whose filters pass decides
    native = Settings.model_validate({"eventbus_type": "native"})
    objects = compiled_objects(native, DEFAULT_CATALOG, None)
    body = json.dumps(example("storage", action=action)).encode()

    inputs = inputs_for("storage", body, objects)

    route = "preview" if action == "preview" else "provision"
    assert inputs.template is not None
    assert inputs.template["metadata"]["name"] == f"storage-{route}-workflow"
    assert inputs.workflow["spec"]["workflowTemplateRef"]["name"] == f"storage-{route}-workflow"
