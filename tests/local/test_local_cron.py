"""`idp local-cron NAME` as a user runs it, on a CronWorkflow of the drift check's shape written
into a compiled folder: its steps are small Python programs run as local processes."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp.cli import main
from idp.local.clock import RunClock
from idp.local.mutex import lock_file
from idp.local.run import watcher

# Each test runs `idp local-cron` with the real step programs: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

SCHEDULED = "2030-01-02T03:00:00Z"
STACKS = [{"environment": "dev", "name": "web"}, {"environment": "prod", "name": "api"}]
# python -c PROGRAM ARGS...: write each PATH=VALUE argument to PATH
WRITE = (
    "import sys\nfor a in sys.argv[1:]:\n    p, _, v = a.partition('=')\n    open(p, 'w').write(v)"
)
OUTPUTS = {"name": "outputs", "mountPath": "/tmp/outputs"}


def step(name: str, args: list[str], outputs: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "container": {
            "image": "platform-tools",
            "command": ["python", "-c", WRITE],
            "args": args,
            "volumeMounts": [OUTPUTS],
        },
        "outputs": {
            "parameters": [{"name": o, "valueFrom": {"path": f"/tmp/outputs/{o}"}} for o in outputs]
        },
        **extra,
    }


def drift_cron(**spec: Any) -> dict[str, Any]:
    stacks = step(
        "stacks",
        [
            f"/tmp/outputs/stacks={json.dumps(STACKS)}",
            "/tmp/outputs/now={{workflow.scheduledTime}}",
        ],
        ["stacks", "now"],
    )
    check = step(
        "check",
        ["/tmp/outputs/result=clean {{inputs.parameters.environment}}/{{inputs.parameters.name}}"],
        ["result"],
        inputs={"parameters": [{"name": "environment"}, {"name": "name"}]},
        synchronization={
            "mutexes": [
                {"name": "compute-{{inputs.parameters.environment}}-{{inputs.parameters.name}}"}
            ]
        },
    )
    drift = {
        "name": "drift",
        "parallelism": 4,
        "dag": {
            "tasks": [
                {"name": "stacks", "template": "stacks"},
                {
                    "name": "check",
                    "template": "check",
                    "depends": "stacks.Succeeded",
                    "withParam": "{{tasks.stacks.outputs.parameters.stacks}}",
                    "arguments": {
                        "parameters": [
                            {"name": "environment", "value": "{{item.environment}}"},
                            {"name": "name", "value": "{{item.name}}"},
                        ]
                    },
                },
            ]
        },
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "compute-drift", "namespace": "argo-events"},
        "spec": {
            "schedules": ["0 3 * * *"],
            "timezone": "UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 300,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "workflowMetadata": {"labels": {"idp.platform/job": "drift"}},
            "workflowSpec": {
                "entrypoint": "drift",
                "podGC": {"strategy": "OnPodCompletion"},
                "volumes": [{"name": "outputs", "emptyDir": {}}],
                "templates": [drift, stacks, check],
            },
            **spec,
        },
    }


def local_cron(
    tmp_path: Path, *extra: str, cron: dict[str, Any] | None = None
) -> tuple[int, str, str]:
    compiled = tmp_path / "dist"
    compiled.mkdir(exist_ok=True)
    (compiled / "cronworkflow-compute-drift.yaml").write_text(yaml.safe_dump(cron or drift_cron()))
    argv = [
        "local-cron",
        "compute-drift",
        "--compiled",
        str(compiled),
        "--state-dir",
        str(tmp_path / "state"),
        "--run-dir",
        str(tmp_path / "run"),
        *extra,
    ]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def nodes_of(printed: str) -> dict[str, dict[str, Any]]:
    workflow = json.loads(printed)
    return {n["displayName"]: n for n in workflow["status"]["nodes"].values()}


def output(node: dict[str, Any], name: str) -> str:
    (value,) = [p["value"] for p in node["outputs"]["parameters"] if p["name"] == name]
    return str(value)


def test_the_cron_workflow_runs_as_its_schedule_makes_it_at_that_time(tmp_path: Path) -> None:
    code, printed, log = local_cron(tmp_path, "--at", SCHEDULED, "-o", "json")
    assert code == 0, log
    workflow = json.loads(printed)
    assert workflow["metadata"]["name"] == "compute-drift-1893553200"
    assert workflow["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "compute-drift"
    assert workflow["status"]["phase"] == "Succeeded"
    nodes = nodes_of(printed)
    assert output(nodes["stacks"], "now") == SCHEDULED
    assert output(nodes["check(0:environment:dev,name:web)"], "result") == "clean dev/web"
    assert output(nodes["check(1:environment:prod,name:api)"], "result") == "clean prod/api"
    assert log.startswith(
        f"cron      compute-drift: scheduled {SCHEDULED} (schedules, timezone, concurrencyPolicy, "
        "startingDeadlineSeconds, successfulJobsHistoryLimit, failedJobsHistoryLimit: no effect "
        "on a local run)\n"
    )


def test_an_unknown_name_is_refused_listing_the_compiled_ones(tmp_path: Path) -> None:
    compiled = tmp_path / "dist"
    compiled.mkdir()
    (compiled / "cron.yaml").write_text(yaml.safe_dump(drift_cron()))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["local-cron", "storage-drift", "--compiled", str(compiled)])
    assert code == 64
    assert err.getvalue() == (
        "idp: no compiled CronWorkflow is called 'storage-drift' (the compiled ones: "
        "compute-drift)\n"
    )


def test_a_suspended_cron_workflow_runs_nothing(tmp_path: Path) -> None:
    code, _, log = local_cron(tmp_path, cron=drift_cron(suspend=True))
    assert code == 2
    assert log == (
        "idp: CronWorkflow compute-drift is suspended (spec.suspend): the cron controller creates "
        "no Workflow for it; nothing ran\n"
    )
    assert not (tmp_path / "run").exists()


def test_a_field_idp_local_does_not_implement_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    cron = drift_cron(stopStrategy={"expression": "cronworkflow.failed >= 3"})
    code, _, log = local_cron(tmp_path, cron=cron)
    assert code == 2
    assert log == (
        "idp: cannot run locally: CronWorkflow/compute-drift.spec.stopStrategy: not supported by "
        "idp local\n"
    )


def test_a_stub_stands_in_for_every_item_of_an_expanded_task(tmp_path: Path) -> None:
    code, printed, _ = local_cron(tmp_path, "--stub", "check=Failed", "-o", "json")
    assert code == 14
    nodes = nodes_of(printed)
    for item in ("check(0:environment:dev,name:web)", "check(1:environment:prod,name:api)"):
        assert (nodes[item]["phase"], nodes[item]["message"]) == ("Failed", "stubbed by idp local")


def test_an_at_that_is_no_rfc3339_time_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["local-cron", "compute-drift", "--at", "2030-01-02 03:00"])
    assert stopped.value.code == 64
    assert "argument --at: '2030-01-02 03:00' is not an RFC 3339 time" in capsys.readouterr().err


def test_an_at_that_utc_puts_before_year_one_is_a_usage_error_not_a_crash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["local-cron", "compute-drift", "--at", "0001-01-01T00:00:00+01:00"])
    assert stopped.value.code == 64
    err = capsys.readouterr().err
    assert "argument --at: '0001-01-01T00:00:00+01:00' is not a valid time" in err
    assert "Traceback" not in err


def test_a_check_waits_while_a_provisioning_run_holds_its_stacks_mutex(tmp_path: Path) -> None:
    """Another process holds `argo-events/Mutex/compute-dev-web`, the Workflow-level mutex a
    provisioning run of that stack takes; the drift check of that stack waits, then runs."""
    lock = lock_file(tmp_path / "state", "argo-events/Mutex/compute-dev-web")
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"s = open({str(lock)!r}, 'a+')\n"
            "fcntl.flock(s, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(3)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        code, printed, log = local_cron(tmp_path, "-o", "json")
    finally:
        holder.wait(timeout=30)
    assert code == 0, log
    waiting = "Waiting for argo-events/Mutex/compute-dev-web lock. Lock status: 0/1"
    assert f"check(0:environment:dev,name:web) Pending     {waiting}" in log
    assert nodes_of(printed)["check(0:environment:dev,name:web)"]["phase"] == "Succeeded"


def test_an_items_node_is_shown_by_its_whole_display_name() -> None:
    """An item's description may hold dots; the exit handler's node is still shown short."""
    out = io.StringIO()
    show = watcher(out, RunClock())
    show(
        {
            "type": "Pod",
            "name": "wf.check(0:name:a.b)",
            "displayName": "check(0:name:a.b)",
            "boundaryID": "wf",
            "phase": "Running",
        }
    )
    show({"type": "Pod", "name": "wf.onExit(0)", "displayName": "wf.onExit(0)", "phase": "Running"})
    assert [line.split()[0] for line in out.getvalue().splitlines()] == [
        "check(0:name:a.b)",
        "onExit(0)",
    ]


def test_the_local_runner_imports_no_hera_nor_the_template_code() -> None:
    """idp local and idp local-cron read compiled YAML only."""
    modules = (
        "idp.local.controller, idp.local.cron, idp.local.items, idp.local.run, "
        "idp.local.command, idp.local.compiled"
    )
    program = (
        f"import sys\nimport {modules}\n"
        "tops = ('hera', 'workflows', 'events')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in tops))"
    )
    found = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert found.stdout == "[]\n"
