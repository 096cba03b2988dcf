"""A Workflow's steps and their pods, as the controller names them (workflow/util/pod_name.go,
`GeneratePodName`; pkg/apis/workflow/v1alpha1/workflow_types.go, `Workflow.NodeID`)."""

from __future__ import annotations

from typing import Any

import pytest

from idp.argo.steps import fnv32a, pod_name, steps
from idp.manifests import Manifest
from tests.argo.platform import PLANNED, ran
from tests.local.engine import Ending


def workflow(name: str = "wfname", pod_names: str | None = None) -> Manifest:
    annotations = {"workflows.argoproj.io/pod-name-format": pod_names} if pod_names else {}
    return {"metadata": {"name": name, "annotations": annotations}, "status": {"nodes": {}}}


def node(name: str, template: str = "templatename", **extra: Any) -> dict[str, Any]:
    return {"id": "wfname-1", "name": name, "templateName": template, "type": "Pod", **extra}


@pytest.mark.parametrize(
    ("text", "hashed"),
    [("", 0x811C9DC5), ("a", 0xE40C292C), ("foobar", 0xBF9CF968)],
)
def test_fnv32a_gives_the_published_test_vectors(text: str, hashed: int) -> None:
    assert fnv32a(text) == hashed


def test_a_pod_is_named_after_workflow_template_and_the_hash_of_its_node_name() -> None:
    """pod_name_v2_test.go, `TestPodNameV2`, short case."""
    assert pod_name(workflow(), node("nodename")) == f"wfname-templatename-{fnv32a('nodename')}"


def test_a_long_prefix_is_cut_to_leave_room_for_the_hash() -> None:
    """pod_name_v2_test.go, long case: the prefix keeps 253 - 10 - 1 characters."""
    long_workflow, long_template = "w" * 150, "t" * 150
    found = pod_name(workflow(long_workflow), node("nodename", long_template))
    assert found == f"{(long_workflow + '-' + long_template)[:242]}-{fnv32a('nodename')}"


def test_a_node_without_a_template_gets_the_workflow_name_and_the_hash() -> None:
    assert pod_name(workflow(), node("stp.inline", "")) == f"wfname-{fnv32a('stp.inline')}"


def test_the_template_of_a_template_ref_wins_over_the_template_name() -> None:
    """workflow/util/util.go, `GetTemplateFromNode`."""
    found = pod_name(workflow(), node("n", "x", templateRef={"name": "lib", "template": "y"}))
    assert found == f"wfname-y-{fnv32a('n')}"


def test_the_root_node_s_pod_is_named_like_the_workflow() -> None:
    assert pod_name(workflow(), node("wfname")) == "wfname"


def test_with_v1_pod_names_a_pod_is_named_by_its_node_id() -> None:
    assert pod_name(workflow(pod_names="v1"), node("nodename")) == "wfname-1"


def test_a_pod_name_s_hash_is_the_one_in_its_node_id(manifests: list[Manifest]) -> None:
    """Both hash the node's name (`Workflow.NodeID`), so the controller's pod for a node ends
    with the number its node id ends with."""
    finished = ran(manifests)
    for step in steps(finished):
        for attempt in step.attempts:
            assert pod_name(finished, attempt).rsplit("-", 1)[1] == attempt["id"].rsplit("-", 1)[1]


def test_steps_come_in_the_order_they_ran_the_exit_handler_last(
    manifests: list[Manifest],
) -> None:
    assert [s.name for s in steps(ran(manifests))] == [
        "plan",
        "approve",
        "notify-approvers",
        "apply",
        "onExit",
    ]


def test_a_retried_step_holds_each_attempt_and_the_approval_none(
    manifests: list[Manifest],
) -> None:
    found = {s.name: s for s in steps(ran(manifests, script={"plan": [Ending("Error"), PLANNED]}))}
    assert [a["displayName"] for a in found["plan"].attempts] == ["plan(0)", "plan(1)"]
    assert found["approve"].attempts == ()
    assert [a["displayName"] for a in found["apply"].attempts] == ["apply"]
