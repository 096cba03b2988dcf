"""The plan program with the real Terraform on the `terraform_data` fixture module: validate,
preflight, plan and policy in one pod, and what it decides the Workflow does next.

Preflight and policy are stood in for here (IDP_LOCAL_STUB_PHASES, as `idp local` does);
test_azure.py and test_policy.py run them for real.
"""

from __future__ import annotations

import hashlib
import json
import stat
import uuid

import pytest

from tests.steps.conftest import (
    FIXTURE_MODULE,
    WAIVED_IN_DEV,
    Steps,
    compute_request,
    passed,
    reaped,
    recorded,
)

# Each test runs the step programs with real Terraform: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow


def test_plan_of_a_new_stack_reports_changes(steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert steps.output("plan", "has_changes") == "true"
    assert steps.output("plan", "summary") == "2 to add, 0 to change, 0 to destroy"


def test_plan_publishes_its_outputs_and_artifacts_and_never_the_binary_plan(steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert sorted(p.name for p in steps.out("plan").iterdir()) == [
        "changes",
        "cost",
        "cost.json",
        "findings",
        "has_changes",
        "next",
        "phases",
        "plan.json",
        "plan.txt",
        "policy.json",
        "sha256",
        "summary",
        "waived",
    ]


def test_the_binary_plan_waits_beside_the_state(steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert steps.saved_plan("plan").stat().st_size > 0


def test_plan_writes_the_plan_its_json_and_text(steps: Steps) -> None:
    passed(steps.plan("plan"))
    plan = json.loads(steps.output("plan", "plan.json"))
    changed = sorted(item["address"] for item in plan["resource_changes"])
    assert changed == ["terraform_data.cluster", "terraform_data.resource_group"]
    assert "terraform_data.cluster will be created" in steps.output("plan", "plan.txt")


def test_plan_sha256_is_the_hash_of_the_saved_plan(steps: Steps) -> None:
    passed(steps.plan("plan"))
    expected = hashlib.sha256(steps.saved_plan("plan").read_bytes()).hexdigest()
    assert steps.sha256("plan") == expected


def test_plan_lists_each_resource_with_what_happens_to_it(steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert sorted(steps.output("plan", "changes").splitlines()) == [
        "create terraform_data.cluster",
        "create terraform_data.resource_group",
    ]


def test_plan_passes_every_request_field_with_defaults_to_terraform(steps: Steps) -> None:
    passed(steps.plan("plan"))
    variables = json.loads(steps.output("plan", "plan.json"))["variables"]
    values = {name: item["value"] for name, item in variables.items()}
    assert values == {
        **compute_request(),
        "cloud_provider": "azure",
        "action": "provision",
        "vm_size": "Standard_D2s_v5",
        "ttl_hours": 0,
    }


def test_request_values_reach_terraform_verbatim_and_never_a_shell(steps: Steps) -> None:
    hostile = "Ann `touch pwned`; touch pwned | touch pwned && touch 'pwned'"  # $ is refused
    passed(steps.plan("plan", request=compute_request(requester_name=hostile)))
    variables = json.loads(steps.output("plan", "plan.json"))["variables"]
    assert variables["requester_name"]["value"] == hostile
    assert list(steps.tmp.rglob("pwned")) == []


def test_plan_does_not_touch_the_state(steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert steps.resources() == []
    assert not steps.entry_file().exists()


def test_plan_runs_from_a_read_only_module(steps: Steps) -> None:
    module = steps.tmp / "read-only-module"
    module.mkdir()
    for source in FIXTURE_MODULE.glob("*.tf"):
        target = module / source.name
        target.write_bytes(source.read_bytes())
        target.chmod(stat.S_IRUSR | stat.S_IRGRP)
    module.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = steps.plan("plan", module=module)
    finally:
        module.chmod(stat.S_IRWXU)
    passed(result)
    assert steps.output("plan", "has_changes") == "true"


def test_plan_and_apply_accept_relative_folders(steps: Steps) -> None:
    relative = ["--kind", "compute", "--module", str(FIXTURE_MODULE), "--backend", "local"]
    passed(steps.run("plan", *relative, "--work", "pod", "--out", "out", "--state-dir", "st"))
    sha256 = (steps.tmp / "out" / "sha256").read_text()
    apply = ["--work", "pod2", "--out", "out2", "--sha256", sha256, "--next", "approve"]
    apply += ["--approval", "YES", *recorded("lee.at.example.com"), "--state-dir", "st"]
    passed(steps.run("apply", *relative, *apply))
    assert (steps.tmp / "st" / "compute" / "dev" / "demo.tfstate").is_file()
    assert (steps.tmp / "out2" / "report.json").is_file()


def test_a_bad_request_fails_at_validate_with_exit_2_before_terraform(steps: Steps) -> None:
    result = steps.plan("plan", request=compute_request(node_count=0))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "plan: failed at validate: request: node_count: Input should be greater than or equal"
        " to 1 (got 0)"
    ]
    assert not (steps.tmp / "plan-pod").exists()


def test_a_terraform_precondition_fails_at_the_plan_phase_in_one_line(steps: Steps) -> None:
    result = steps.plan("plan", request=compute_request(node_count=20))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "plan: failed at plan: terraform plan failed: Resource precondition failed:"
        " The fixture module allows at most 10 nodes."
    ]
    assert not (steps.out("plan") / "sha256").exists()
    assert not steps.plans().exists()


def test_a_missing_module_fails_at_the_plan_phase_in_one_line(steps: Steps) -> None:
    missing = steps.tmp / "no-module"
    result = steps.plan("plan", module=missing)
    assert result.returncode == 1
    assert result.stderr == (
        f"plan: failed at plan: module {missing}: not a folder with Terraform files\n"
    )


def test_a_missing_terraform_binary_is_one_line(steps: Steps) -> None:
    empty = steps.tmp / "empty-bin"
    empty.mkdir()
    result = steps.plan("plan", env={"PATH": str(empty)})
    assert result.returncode == 1
    assert result.stderr == "plan: failed at plan: terraform: executable not found on PATH\n"


def test_plan_after_apply_reports_no_changes(applied: Steps) -> None:
    passed(applied.plan("second-plan"))
    assert applied.output("second-plan", "has_changes") == "false"
    assert applied.output("second-plan", "summary") == "0 to add, 0 to change, 0 to destroy"


def test_plan_of_a_changed_request_reports_an_update(applied: Steps) -> None:
    passed(applied.plan("second-plan", request=compute_request(node_count=3)))
    assert applied.output("second-plan", "summary") == "0 to add, 1 to change, 0 to destroy"


def test_destroy_plan_reports_every_resource_to_destroy(applied: Steps) -> None:
    passed(applied.plan("destroy-plan", request=compute_request(action="destroy")))
    assert applied.output("destroy-plan", "has_changes") == "true"
    assert applied.output("destroy-plan", "summary") == "0 to add, 0 to change, 2 to destroy"


def test_a_second_plan_publishes_no_sensitive_value_of_the_state(applied: Steps) -> None:
    """`prior_state` of a plan carries the sensitive outputs in clear in `terraform show
    -json`; the published plan.json and plan.txt carry them redacted."""
    passed(applied.plan("second-plan", request=compute_request(node_count=3)))
    secret = str(applied.state()["outputs"]["admin_token"]["value"])
    for published in applied.out("second-plan").iterdir():
        assert secret not in published.read_text(), published.name
    document = json.loads(applied.output("second-plan", "plan.json"))
    outputs = document["prior_state"]["values"]["outputs"]
    assert outputs["admin_token"]["value"] == "(sensitive value)"


# --- what the Workflow does next -----------------------------------------------------------------


def test_a_plan_with_changes_asks_for_approval(steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert (steps.output("plan", "next"), steps.output("plan", "waived")) == ("approve", "false")


def test_a_plan_without_changes_is_done_and_saves_nothing(applied: Steps) -> None:
    passed(applied.plan("second-plan"))
    assert applied.output("second-plan", "next") == "done"
    assert list(applied.plans().iterdir()) == []


def test_the_reapers_destroy_goes_straight_to_apply_where_settings_waive_it(steps: Steps) -> None:
    destroy = reaped(steps)
    passed(steps.plan("destroy-plan", request=destroy, env=WAIVED_IN_DEV))
    assert steps.output("destroy-plan", "next") == "apply"
    assert steps.output("destroy-plan", "waived") == "true"
    assert steps.saved_plan("destroy-plan").is_file()


def test_the_reapers_destroy_asks_for_approval_where_settings_do_not_waive_it(
    steps: Steps,
) -> None:
    destroy = reaped(steps)
    passed(steps.plan("destroy-plan", request=destroy))
    assert steps.output("destroy-plan", "next") == "approve"


def test_a_destroy_someone_else_sends_asks_for_approval_even_where_waived(steps: Steps) -> None:
    destroy = {**reaped(steps), "request_id": str(uuid.uuid4())}
    passed(steps.plan("destroy-plan", request=destroy, env=WAIVED_IN_DEV))
    assert steps.output("destroy-plan", "next") == "approve"
