"""An answer of the wrong shape is "not an Argo Server answer" (exit 10), one line, whatever it
is: never a TypeError, a KeyError or a RecursionError reported as an internal error (issue 17)."""

from __future__ import annotations

import json

import pytest

from idp.cli import main
from idp.errors import EXIT_SERVER_ERROR
from idp.manifests import Manifest
from tests.argo import statuses
from tests.argo.fake_argo import FakeArgo
from tests.argo.hostile import dumps, nested, raw
from tests.argo.platform import ago, labelled, ran
from tests.argo.workflows import name_of, rendered
from tests.local.engine import Ending

NOT_ARGO = "is not an Argo Server answer"
WORKFLOW = r"^/api/v1/workflows/argo-events/compute-x$"
LIST = r"^/api/v1/workflows/argo-events$"
NOT_OBJECTS = {
    "array": b"[]",
    "null": b"null",
    "string": b'"x"',
    "number": b"123",
    "nested 100000 deep": nested(100_000),
    "nested 65 deep": b'{"a":' * 65 + b"{}" + b"}" * 65,
    "not JSON": b"<html>",
    "empty": b"",
}


def refused(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert NOT_ARGO in err
    return err


@pytest.mark.parametrize("body", NOT_OBJECTS.values(), ids=NOT_OBJECTS.keys())
@pytest.mark.parametrize(
    ("command", "path"),
    [
        (["status", "compute-x"], WORKFLOW),
        (["approve", "compute-x", "--yes"], WORKFLOW),
        (["list"], LIST),
        (["submit", "--no-kubectl"], r"^/api/v1/version$"),
    ],
    ids=["status", "approve", "list", "submit"],
)
def test_an_answer_that_is_no_json_object_is_refused(
    fake: FakeArgo,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    path: str,
    body: bytes,
) -> None:
    fake.answer_raw("GET", path, raw(body))
    assert main(command) == EXIT_SERVER_ERROR
    refused(capsys)


LISTS = {
    "items a string": {"items": "x"},
    "an item a number": {"items": [1]},
    "an item without metadata": {"items": [{}]},
    "a name that is a number": {"items": [{"metadata": {"name": 5}}]},
    "a name that is no Kubernetes name": {"items": [{"metadata": {"name": "w\u001b]0;X\u0007"}}]},
    "labels a list": {"items": [{"metadata": {"name": "w", "labels": ["a"]}}]},
    "nodes a list": {"items": [{"metadata": {"name": "w"}, "status": {"nodes": []}}]},
    "a node a string": {"items": [{"metadata": {"name": "w"}, "status": {"nodes": {"a": "x"}}}]},
    "arguments a string": {"items": [{"metadata": {"name": "w"}, "spec": {"arguments": "x"}}]},
}


@pytest.mark.parametrize("body", LISTS.values(), ids=LISTS.keys())
def test_a_list_whose_items_are_of_the_wrong_type_is_refused(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], body: Manifest
) -> None:
    fake.answer_raw("GET", LIST, raw(dumps(body)))
    assert main(["list"]) == EXIT_SERVER_ERROR
    refused(capsys)


WORKFLOWS = {
    "no name": {"metadata": {}, "spec": {}},
    "nodes a string": {"metadata": {"name": "compute-x"}, "spec": {}, "status": {"nodes": "x"}},
    "a node without id": {
        "metadata": {"name": "compute-x"},
        "spec": {},
        "status": {"nodes": {"a": {"name": "a", "type": "Pod"}}},
    },
}


@pytest.mark.parametrize("body", WORKFLOWS.values(), ids=WORKFLOWS.keys())
def test_a_workflow_of_the_wrong_shape_is_refused(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], body: Manifest
) -> None:
    fake.answer_raw("GET", WORKFLOW, raw(dumps(body)))
    assert main(["status", "compute-x"]) == EXIT_SERVER_ERROR
    refused(capsys)


def test_userinfo_that_is_no_object_is_refused_before_anything_is_written(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = rendered("compute")
    workflow["status"] = statuses.waiting(name_of(workflow))
    fake.put_workflow(workflow)
    fake.answer_raw("GET", r"^/api/v1/userinfo$", raw(b"[]"))
    assert main(["approve", name_of(workflow), "--yes"]) == EXIT_SERVER_ERROR
    refused(capsys)
    assert fake.writes() == []


@pytest.fixture
def started(fake: FakeArgo, manifests: list[Manifest]) -> Manifest:
    workflow = labelled(manifests, created=ago(minutes=1))
    fake.put_workflow(workflow)
    return workflow


EVENTS = {
    "a message that is an array": b"data: []\n\n",
    "an object that is an array": b'data: {"result": {"type": "ADDED", "object": []}}\n\n',
    "an object without a name": (
        b'data: {"result": {"type": "ADDED", "object": {"metadata": {}}}}\n\n'
    ),
    "nodes a number": (
        b'data: {"result": {"type": "ADDED", "object": {"metadata": {"name": "w"}, '
        b'"status": {"nodes": 1}}}}\n\n'
    ),
    "a message nested 100000 deep": b"data: " + nested(100_000) + b"\n\n",
}


@pytest.mark.parametrize("stream", EVENTS.values(), ids=EVENTS.keys())
def test_a_workflow_event_of_the_wrong_shape_ends_the_watch(
    fake: FakeArgo, started: Manifest, capsys: pytest.CaptureFixture[str], stream: bytes
) -> None:
    fake.answer_raw(
        "GET",
        r"^/api/v1/workflow-events/",
        raw(stream, headers={"Content-Type": "text/event-stream"}),
    )
    assert main(["watch", started["metadata"]["name"]]) == EXIT_SERVER_ERROR
    refused(capsys)


def test_an_output_nested_too_deep_is_shown_as_the_text_it_is(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    """A Workflow output holding JSON nested 5,000 deep (a string in a valid answer): past
    what Python's parser recurses into."""
    deep = nested(5_000).decode()
    workflow = ran(manifests, script={"apply": Ending(outputs={"outputs": deep})})
    fake.put_workflow(workflow)
    assert main(["status", workflow["metadata"]["name"], "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["outputs"] == deep


def test_submit_prune_refuses_a_listed_name_that_is_no_kubernetes_name(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = {"items": [{"metadata": {"name": "../../x\u001b]0;X\u0007"}}]}
    fake.answer_raw("GET", r"^/api/v1/event-sources/argo-events$", raw(dumps(listed)))
    assert main(["submit", "--no-kubectl", "--prune"]) == EXIT_SERVER_ERROR
    refused(capsys)
    assert [r for r in fake.requests if r.method == "DELETE"] == []
