"""The plan program's policy phase: checkov and the platform's policies on a real plan of the
fixture module.

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

from idp.local.templating import go_quote
from tests.steps.conftest import AZURE, FIXTURE_MODULE, Steps, compute_request, passed
from workflows.steps.policy import Finding, blocked_message, judge, shown

# Each test runs checkov on real plans: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

POLICIES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"
PROD_TWO_NODES = compute_request(environment="prod", node_count=2)
BURSTABLE = compute_request(vm_size="Standard_B2s")


def policy(
    steps: Steps,
    checkov: str,
    request: dict[str, object],
    env: dict[str, str] | None = None,
    module: Path = FIXTURE_MODULE,
) -> subprocess.CompletedProcess[str]:
    """The plan program on REQUEST with the fixture module and policies, its policy phase
    running `checkov` (preflight stood in for)."""
    return steps.plan(
        "plan",
        "--policies",
        str(POLICIES),
        request=request,
        module=module,
        stub=AZURE,
        env={"IDP_CHECKOV": checkov, **(env or {})},
    )


def findings(steps: Steps) -> list[dict[str, object]]:
    record = json.loads(steps.output("plan", "policy.json"))
    return list(record["findings"])


def test_a_plan_that_breaks_a_high_policy_stops_with_the_findings(
    steps: Steps, checkov: str
) -> None:
    result = policy(steps, checkov, PROD_TWO_NODES)
    assert result.returncode == 3
    assert result.stderr.startswith(
        "plan: failed at policy: blocked by policy: IDP_FIXTURE_PROD_NODES (HIGH) Production"
        " clusters run at least 3 nodes: terraform_data.cluster"
    )
    assert [f["check_id"] for f in findings(steps)] == ["IDP_FIXTURE_PROD_NODES"]


def test_a_blocked_plan_saves_nothing_beside_the_state(steps: Steps, checkov: str) -> None:
    assert policy(steps, checkov, PROD_TWO_NODES).returncode == 3
    assert not steps.plans("prod").exists()
    assert not (steps.out("plan") / "next").exists()


def test_a_blocked_plan_ends_the_run_policy_failed(steps: Steps, checkov: str) -> None:
    """The exit handler reads the plan node's message (argo-workflows
    `workflow/controller/operator.go`, `assessNodeStatus`: `main: Error (exit code 3): ` and
    the termination message)."""
    termination = steps.tmp / "termination-log"
    env = {"IDP_TERMINATION_LOG": str(termination)}
    assert policy(steps, checkov, PROD_TWO_NODES, env).returncode == 3
    node = {"templateName": "plan", "phase": "Failed", "displayName": "plan"}
    node["message"] = f"main: Error (exit code 3): {termination.read_text()}"
    args = ["--kind", "compute", "--out", "finish", "--status", "Failed"]
    result = steps.run("finish", *args, "--failures", go_quote(json.dumps([node])))
    assert result.returncode == 1
    assert steps.output("finish", "outcome") == "policy-failed"
    assert steps.output("finish", "reason").startswith("blocked by policy: IDP_FIXTURE_PROD_NODES")


def test_a_low_finding_passes_and_is_shown_for_the_approver(steps: Steps, checkov: str) -> None:
    passed(policy(steps, checkov, BURSTABLE))
    assert steps.output("plan", "findings") == (
        "1 findings, none blocking\n"
        "IDP_FIXTURE_BURSTABLE (LOW) Burstable sizes are for short tests: terraform_data.cluster"
    )
    assert steps.output("plan", "next") == "approve"


def test_a_clean_plan_has_no_findings(steps: Steps, checkov: str) -> None:
    passed(policy(steps, checkov, compute_request()))
    assert steps.output("plan", "findings") == "no findings"
    assert findings(steps) == []


def test_a_plan_without_changes_is_not_checked(applied: Steps) -> None:
    """Nothing is applied, so there is nothing to judge: checkov is not even looked for."""
    result = passed(policy(applied, str(applied.tmp / "no-checkov"), compute_request()))
    assert "policy: nothing to check: the plan has no changes" in result.stdout.splitlines()
    assert applied.output("plan", "findings") == ""


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
    passed(policy(steps, checkov, BURSTABLE, module=module))
    assert findings(steps) == []


def test_a_missing_checkov_is_an_error_not_a_pass(steps: Steps) -> None:
    result = policy(steps, str(steps.tmp / "no-checkov"), compute_request())
    assert result.returncode == 1
    assert result.stderr.startswith("plan: failed at policy: checkov: program")
    assert "not found (set IDP_CHECKOV" in result.stderr
    assert not steps.plans().exists()


def test_a_missing_policies_folder_is_refused(steps: Steps, checkov: str) -> None:
    result = steps.plan(
        "plan", "--policies", str(steps.tmp / "none"), stub=AZURE, env={"IDP_CHECKOV": checkov}
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"plan: failed at policy: --policies {steps.tmp / 'none'}: not a folder of checkov"
        " policies\n"
    )


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
