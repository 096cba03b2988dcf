"""`LocalPods`, the step pods as processes, on its own: a step that starts as an interrupt
begins, output parameters read as Argo's executor reads them, a stubbed task's outputs."""

from __future__ import annotations

import threading
import types
from pathlib import Path
from typing import Any

import pytest

from idp.local import pods as pods_module
from idp.local.controller import PodResult, PodSpec
from idp.local.pods import Artifacts, LocalPods, PathMap, Stub


def local_pods(tmp_path: Path, stubs: dict[str, Stub] | None = None) -> LocalPods:
    return LocalPods(
        run_dir=tmp_path / "run",
        workflow="wf",
        paths=PathMap(),
        config_maps={},
        secrets={},
        artifacts=Artifacts(tmp_path / "artifacts", {}),
        stubs=stubs,
    )


def pod(script: str, outputs: list[dict[str, Any]] | None = None) -> PodSpec:
    template: dict[str, Any] = {
        "name": "step",
        "container": {
            "command": ["python", "-c", script],
            "volumeMounts": [{"name": "out", "mountPath": "/outputs"}],
        },
    }
    if outputs is not None:
        template["outputs"] = {"parameters": outputs}
    return PodSpec("wf-1", "wf.step", "wf-step-1", template, None)


def result(pods: LocalPods) -> PodResult:
    found = pods.wait(60)
    assert len(found) == 1
    return found[0]


def test_a_step_about_to_start_when_an_interrupt_begins_never_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[threading.Thread] = []

    class Held(threading.Thread):
        def start(self) -> None:  # the worker runs when the test says, after the interrupt
            held.append(self)

    monkeypatch.setattr(
        pods_module, "threading", types.SimpleNamespace(Thread=Held, Lock=threading.Lock)
    )
    marker = tmp_path / "started"
    pods = local_pods(tmp_path)
    pods.start(pod(f"open({str(marker)!r}, 'w')"))

    assert pods.interrupt(grace=5) == []
    threading.Thread.start(held[0])
    held[0].join(30)

    ended = result(pods)
    assert (ended.phase, ended.message) == ("Failed", "not started: the run was interrupted")
    assert not marker.exists()
    assert pods.running() == 0


def test_save_parameters_stops_at_the_first_missing_file_as_argo_does(tmp_path: Path) -> None:
    # SaveParameters (workflow/executor/executor.go) returns the first file it cannot read: the
    # parameters before it have their values, those after it none, and the wait container's
    # error names the file as it reads it, through /mainctrfs
    pods = local_pods(tmp_path)
    written = tmp_path / "first"
    pods.start(
        pod(
            f"open({str(written)!r}, 'w').write('one\\n'); open({str(tmp_path / 'third')!r}, 'w')",
            [
                {"name": "first", "valueFrom": {"path": str(written)}},
                {"name": "second", "valueFrom": {"path": "/outputs/second"}},
                {"name": "third", "valueFrom": {"path": str(tmp_path / "third"), "default": "x"}},
            ],
        )
    )

    ended = result(pods)

    assert ended.phase == "Error"
    assert ended.message == (
        "wait: Error (exit code 1): open /mainctrfs/outputs/second: no such file or directory"
    )
    assert ended.outputs is not None
    assert ended.outputs["parameters"] == [{"name": "first", "value": "one"}]


def test_a_task_stubbed_succeeded_outputs_its_parameters_defaults(tmp_path: Path) -> None:
    pods = local_pods(tmp_path, stubs={"step": Stub("Succeeded")})
    pods.start(pod("raise SystemExit(1)", [{"name": "answer", "valueFrom": {"default": "NO"}}]))

    ended = result(pods)

    assert (ended.phase, ended.outputs) == (
        "Succeeded",
        {"parameters": [{"name": "answer", "value": "NO"}]},
    )
