"""A request id that a request and its preview share (`<kind>-<id>` and `<kind>-preview-<id>`,
the preview labelled `idp.platform/action: preview`) means the request: `idp status`,
`idp logs` and `idp watch` find its Workflow and name the preview in a note, where they used to
find two and choose none."""

from __future__ import annotations

import pytest

from idp import labels
from idp.cli import main
from idp.errors import EXIT_AMBIGUOUS
from idp.manifests import Manifest
from tests.argo.fake_argo import FakeArgo
from tests.argo.platform import ago, labelled

REQUEST_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"  # the compute example's
WORKFLOW = f"compute-{REQUEST_ID}"
PREVIEW = f"compute-preview-{REQUEST_ID}"


def preview(manifests: list[Manifest]) -> Manifest:
    """The compute example's preview Workflow, as its Sensor creates it."""
    workflow = labelled(manifests, created=ago(minutes=30), action="preview")
    assert workflow["metadata"]["name"] == PREVIEW
    assert workflow["metadata"]["labels"][labels.ACTION] == labels.PREVIEW
    return workflow


def test_status_of_a_request_id_shows_the_request_not_its_preview(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(preview(manifests))
    fake.put_workflow(labelled(manifests, created=ago(minutes=5)))
    assert main(["status", REQUEST_ID]) == 0
    captured = capsys.readouterr()
    assert f"workflow  {WORKFLOW} in argo-events" in captured.out
    assert captured.err == (
        f"idp: request {REQUEST_ID} also has a preview ({PREVIEW}): this is its request's "
        f"workflow {WORKFLOW}; name the preview to see it\n"
    )
    assert fake.requests[-1].path.endswith(f"/workflows/argo-events/{WORKFLOW}")


def test_a_request_id_with_only_its_preview_shows_the_preview(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(preview(manifests))
    assert main(["status", REQUEST_ID]) == 0
    assert f"workflow  {PREVIEW} in argo-events" in capsys.readouterr().out


def test_two_requests_of_one_id_besides_a_preview_are_still_ambiguous(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(preview(manifests))
    fake.put_workflow(labelled(manifests, "compute", created=ago(minutes=5)))
    fake.put_workflow(labelled(manifests, "storage", created=ago(minutes=4), request_id=REQUEST_ID))
    assert main(["status", REQUEST_ID]) == EXIT_AMBIGUOUS
    assert f"idp: request {REQUEST_ID} has 2 workflows: storage-{REQUEST_ID} " in (
        capsys.readouterr().err
    )
