"""Policy on the plan, through `idp local`: checkov and the fixture policies
(tests/fixtures/policies) on the plan's JSON, between plan and approval."""

from __future__ import annotations

import pytest

from tests.local.conftest import LocalPlatform, example

# Each test runs idp local with the real step programs and checkov: slow (-m 'not slow').
pytestmark = pytest.mark.slow


def test_a_plan_that_breaks_a_policy_stops_before_anyone_is_asked(platform: LocalPlatform) -> None:
    request = example("compute", name="small-prod", environment="prod", node_count=2)
    run = platform.run("compute", request, policy=True)

    assert (run.phase, run.outcome) == ("Failed", "policy-failed")
    assert not run.ran("notify-approvers")
    assert not run.ran("approve")
    assert not run.ran("apply")
    (notice,) = platform.notices()
    assert notice["phase"] == "policy-failed"
    assert notice["reason"].startswith(
        "blocked by policy: IDP_FIXTURE_PROD_NODES (HIGH) Production clusters run at least "
        "3 nodes: terraform_data.cluster"
    )


def test_a_blocked_plan_is_not_kept_waiting(platform: LocalPlatform) -> None:
    request = example("compute", name="small-prod", environment="prod", node_count=2)
    platform.run("compute", request, policy=True)
    assert list((platform.tmp / "state").glob("compute/prod/small-prod.plans/*")) == []


def test_findings_that_do_not_block_are_shown_on_the_approval_node(
    platform: LocalPlatform,
) -> None:
    run = platform.run(
        "compute", example("compute", name="bursty", vm_size="Standard_B2s"), policy=True
    )

    assert run.outcome == "succeeded"
    shown = {p["name"]: p.get("value") for p in run.node("approve")["inputs"]["parameters"]}  # type: ignore[index]
    assert shown["policy"] == (
        "1 findings, none blocking\n"
        "IDP_FIXTURE_BURSTABLE (LOW) Burstable sizes are for short tests: terraform_data.cluster"
    )
