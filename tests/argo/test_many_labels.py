"""A Workflow with many labels (1,200 of them, some 90 KiB as JSON: more than a step's
`--labels` argument may hold) still shows who approved it: the reading commands read the
approver from the labels themselves (`Approver.from_label_map`), as `idp approve` does."""

from __future__ import annotations

import copy
import json

import pytest

from idp.cli import main
from idp.manifests import Manifest
from tests.argo.fake_argo import FakeArgo
from tests.argo.platform import RECORDED_APPROVER, finished, ran

LABELS = 1200


def labelled_a_lot(manifests: list[Manifest]) -> Manifest:
    workflow = copy.deepcopy(ran(manifests, script={"finish": finished("succeeded", "applied")}))
    workflow["metadata"]["labels"].update(
        {f"team.example.com/label-{number:04d}": "v" * 63 for number in range(LABELS)}
    )
    assert len(json.dumps(workflow["metadata"]["labels"])) > 64 * 1024
    return workflow


def test_list_shows_the_approver_of_a_workflow_with_many_labels(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(labelled_a_lot(manifests))
    assert main(["list", "-o", "json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["approver"] == RECORDED_APPROVER


def test_status_shows_the_approver_of_a_workflow_with_many_labels(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = labelled_a_lot(manifests)
    fake.put_workflow(workflow)
    assert main(["status", workflow["metadata"]["name"], "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["approver"] == RECORDED_APPROVER
