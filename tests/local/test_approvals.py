"""Who answered: recorded as the Argo Server records it, checked by apply, reported after.

`--as` is who answers, as an SSO login tells the Argo Server, which labels the Workflow with
them (workflow/creator/creator.go, `LabelActor`, from workflow/util/util.go,
`updateSuspendedNode`); the runner does the same, and apply reads the labels.
"""

from __future__ import annotations

import json

import pytest

from tests.local.conftest import APPROVER, LocalPlatform, example

# Each test runs `idp local` with the real step programs: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow


def test_an_approval_by_the_requester_is_refused_by_apply(platform: LocalPlatform) -> None:
    request = example("compute", name="own-change")
    run = platform.run("compute", request, approver=request["requester_email"].upper())

    assert (run.phase, run.outcome) == ("Failed", "failed")
    assert run.node("apply")["phase"] == "Failed"  # type: ignore[index]
    assert "asked for this change and approved it; a second person must approve" in (
        run.output("reason") or ""
    )


def test_an_approval_by_someone_else_applies_and_names_them_in_report_and_notice(
    platform: LocalPlatform,
) -> None:
    run = platform.run("compute", example("compute", name="four-eyes"))

    assert run.outcome == "succeeded"
    recorded = "lee.reviewer.at.example.com"  # as the server records an e-mail
    assert run.workflow["metadata"]["labels"]["workflows.argoproj.io/actor-email"] == recorded
    notice = next(n for n in platform.notices() if n["phase"] == "succeeded")
    assert notice["approver"] == recorded
    reports = list(platform.tmp.glob("run-*/artifacts/*/*-apply-*/report.tgz"))
    assert json.loads(reports[0].read_text())["approver"] == recorded


def test_nobody_recorded_for_the_approval_is_refused_by_default(platform: LocalPlatform) -> None:
    run = platform.run("compute", example("compute", name="sso-off"), approver=None)

    assert run.outcome == "failed"
    assert "recorded no identity for the approval" in (run.output("reason") or "")


def test_nobody_recorded_is_an_unknown_approver_when_settings_allow_it(
    platform: LocalPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDP_APPROVER_IDENTITY", "optional")
    run = platform.run("compute", example("compute", name="sso-off"), approver=None)

    assert run.outcome == "succeeded"
    assert [n["approver"] for n in platform.notices() if n["phase"] == "succeeded"] == ["unknown"]


def test_a_rejection_names_who_answered(platform: LocalPlatform) -> None:
    platform.run("compute", example("compute", name="declined"), approve="NO")
    (notice,) = [n for n in platform.notices() if n["phase"] == "rejected"]
    assert notice["approver"] == APPROVER.replace("@", ".at.")
