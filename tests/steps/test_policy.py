"""The policy step: checkov and the platform's policies on a real plan of the fixture module.

The fixture policies (tests/fixtures/policies) judge the fixture module's `terraform_data`:
IDP_FIXTURE_PROD_NODES (HIGH) wants 3 nodes in prod, IDP_FIXTURE_BURSTABLE (LOW) no
`Standard_B` sizes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.steps.conftest import FIXTURE_MODULE, Steps, compute_request, passed
from workflows.steps.policy import Finding, blocked_message, judge, shown

POLICIES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"
PROD_TWO_NODES = compute_request(environment="prod", node_count=2)
BURSTABLE = compute_request(vm_size="Standard_B2s")


def policy(
    steps: Steps, checkov: str, request: dict[str, object], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Plan REQUEST with the fixture module, then run the policy step on its plan.json."""
    passed(steps.plan("plan", request=request))
    return steps.run(
        "policy",
        "--kind",
        "compute",
        "--module",
        str(FIXTURE_MODULE),
        "--plan-json",
        str(steps.out("plan") / "plan.json"),
        "--policies",
        str(POLICIES),
        "--out",
        str(steps.out("policy")),
        request=request,
        env={"IDP_CHECKOV": checkov, **(env or {})},
    )


def findings(steps: Steps) -> list[dict[str, object]]:
    record = json.loads((steps.out("policy") / "policy.json").read_text())
    return list(record["findings"])


def test_a_plan_that_breaks_a_high_policy_stops_with_the_findings(
    steps: Steps, checkov: str
) -> None:
    result = policy(steps, checkov, PROD_TWO_NODES)
    assert result.returncode == 3
    assert result.stderr.startswith(
        "policy: blocked by policy: IDP_FIXTURE_PROD_NODES (HIGH) Production clusters run at "
        "least 3 nodes: terraform_data.cluster"
    )
    assert [f["check_id"] for f in findings(steps)] == ["IDP_FIXTURE_PROD_NODES"]


def test_a_low_finding_passes_and_is_shown_for_the_approver(steps: Steps, checkov: str) -> None:
    passed(policy(steps, checkov, BURSTABLE))
    assert (steps.out("policy") / "findings").read_text() == (
        "1 findings, none blocking\n"
        "IDP_FIXTURE_BURSTABLE (LOW) Burstable sizes are for short tests: terraform_data.cluster"
    )


def test_a_clean_plan_has_no_findings(steps: Steps, checkov: str) -> None:
    passed(policy(steps, checkov, compute_request()))
    assert (steps.out("policy") / "findings").read_text() == "no findings"
    assert findings(steps) == []


def test_an_environment_can_lower_the_bar_so_nothing_blocks(steps: Steps, checkov: str) -> None:
    relaxed = {"IDP_ENVIRONMENTS": json.dumps({"prod": {"policy_blocking_severity": "NONE"}})}
    passed(policy(steps, checkov, PROD_TWO_NODES, relaxed))
    assert [f["blocking"] for f in findings(steps)] == [False]


def test_a_listed_check_blocks_whatever_its_severity(steps: Steps, checkov: str) -> None:
    listed = {"IDP_POLICY_BLOCKING_CHECKS": '["IDP_FIXTURE_BURSTABLE"]'}
    result = policy(steps, checkov, BURSTABLE, listed)
    assert result.returncode == 3
    assert "IDP_FIXTURE_BURSTABLE (LOW)" in result.stderr


def test_an_inline_skip_in_the_module_holds_for_its_plan(steps: Steps, checkov: str) -> None:
    # --repo-root-for-plan-enrichment: the module's `#checkov:skip` comments apply to the plan
    module = steps.tmp / "module"
    shutil.copytree(FIXTURE_MODULE, module)
    main = module / "main.tf"
    main.write_text(
        main.read_text().replace(
            'resource "terraform_data" "cluster" {\n',
            'resource "terraform_data" "cluster" {\n'
            "  #checkov:skip=IDP_FIXTURE_BURSTABLE:the fixture's reason\n",
        )
    )
    passed(
        steps.run(
            "plan", *steps.stack("plan-pod", module=module), "--out", "plan", request=BURSTABLE
        )
    )
    args = ["--kind", "compute", "--module", str(module), "--policies", str(POLICIES)]
    args += ["--plan-json", str(steps.out("plan") / "plan.json"), "--out", str(steps.out("policy"))]
    passed(steps.run("policy", *args, request=BURSTABLE, env={"IDP_CHECKOV": checkov}))
    assert findings(steps) == []


def test_a_missing_checkov_is_an_error_not_a_pass(steps: Steps) -> None:
    result = policy(steps, str(steps.tmp / "no-checkov"), compute_request())
    assert result.returncode == 1
    assert "checkov: program" in result.stderr
    assert "not found (set IDP_CHECKOV" in result.stderr


def test_a_missing_policies_folder_is_refused(steps: Steps, checkov: str) -> None:
    passed(steps.plan("plan"))
    args = ["--kind", "compute", "--plan-json", str(steps.out("plan") / "plan.json")]
    args += ["--module", str(FIXTURE_MODULE), "--out", str(steps.out("policy"))]
    result = steps.run("policy", *args, "--policies", str(steps.tmp / "none"))
    assert result.returncode == 1
    assert "not a folder of checkov policies" in result.stderr


def finding(check: str, severity: str) -> Finding:
    return Finding(check, "a rule", severity, "terraform_data.x")


@pytest.mark.parametrize(
    ("severity", "floor", "blocks"),
    [
        ("HIGH", "HIGH", True),
        ("CRITICAL", "HIGH", True),
        ("MEDIUM", "HIGH", False),
        ("LOW", "LOW", True),
        ("CRITICAL", "NONE", False),
        ("", "LOW", False),  # checkov's own checks carry no severity offline
    ],
)
def test_a_finding_blocks_at_or_above_the_blocking_severity(
    severity: str, floor: str, blocks: bool
) -> None:
    (judged,) = judge([finding("CKV_X_1", severity)], floor, ())
    assert judged.blocking is blocks


def test_the_approval_node_names_ten_findings_and_counts_the_rest() -> None:
    many = [finding(f"CKV_X_{n:02d}", "") for n in range(12)]
    lines = shown(many).splitlines()
    assert lines[0] == "12 findings, none blocking"
    assert len(lines) == 12
    assert lines[-1] == "... and 2 more (the policy-report artifact)"


def test_the_blocked_message_names_only_the_blocking_findings() -> None:
    judged = judge([finding("IDP_A", "HIGH"), finding("IDP_B", "LOW")], "HIGH", ())
    assert blocked_message(judged) == "blocked by policy: IDP_A (HIGH) a rule: terraform_data.x"
