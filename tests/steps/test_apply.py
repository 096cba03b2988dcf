"""The apply program with the real Terraform on the `terraform_data` fixture module: decide,
apply, verify and report in one pod.

Plan and apply run in different work folders, as they do in different pods; the plan waits
beside the state in between. Verify is stood in for here (IDP_LOCAL_STUB_PHASES, as `idp
local` does); test_azure.py runs it against a fake Resource Manager.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

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

UNRESOLVED = "{{workflow.outputs.parameters.approval}}"  # what Argo leaves when nobody answered


def fake_terraform(steps: Steps) -> tuple[dict[str, str], Path]:
    """A `terraform` first on PATH that only records that it ran; the env and its record."""
    calls = steps.tmp / "terraform-calls"
    fake = steps.tmp / "bin" / "terraform"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport sys\nopen({str(calls)!r}, 'a').write('ran')\n")
    fake.chmod(0o755)
    return {"PATH": f"{fake.parent}{os.pathsep}{steps.env['PATH']}"}, calls


# --- apply ---------------------------------------------------------------------------------------


def test_apply_of_the_saved_plan_creates_the_resources(steps: Steps) -> None:
    passed(steps.plan("plan"))
    result = passed(steps.apply("plan"))
    assert steps.resources() == ["terraform_data.cluster", "terraform_data.resource_group"]
    assert "Apply complete! Resources: 2 added" in result.stdout


def test_apply_writes_the_state_key_of_the_stack(steps: Steps) -> None:
    other = compute_request(environment="test", name="other")
    passed(steps.plan("plan", request=other))
    passed(steps.apply("plan", request=other))
    assert steps.state_file("test", "other").is_file()


def test_apply_deletes_the_plan_it_applied(steps: Steps) -> None:
    passed(steps.plan("plan"))
    saved = steps.saved_plan("plan")
    passed(steps.apply("plan"))
    assert not saved.exists()


def test_apply_of_a_destroy_plan_empties_the_state(applied: Steps) -> None:
    destroy = compute_request(action="destroy")
    passed(applied.plan("destroy-plan", request=destroy))
    passed(applied.apply("destroy-plan", request=destroy))
    assert applied.resources() == []


def test_apply_records_the_stack_in_the_registry(steps: Steps) -> None:
    passed(steps.plan("plan"))
    passed(steps.apply("plan"))
    entry = json.loads(steps.entry_file().read_text())
    assert entry["request"]["request_id"] == compute_request()["request_id"]
    assert entry["approver"] == "lee.at.example.com"


def test_the_registry_entry_is_written_before_terraform_applies(steps: Steps) -> None:
    """The fixture module fails to apply a stack named fail-apply (a postcondition that only
    an applied resource can break): the stack is registered all the same, so drift and expiry
    know every stack that may exist."""
    failing = compute_request(name="fail-apply")
    passed(steps.plan("plan", request=failing))
    result = steps.apply("plan", request=failing)
    assert result.returncode == 1
    assert result.stderr.startswith("apply: failed at apply: terraform apply failed")
    entry = json.loads(steps.entry_file(name="fail-apply").read_text())
    assert entry["request"]["request_id"] == failing["request_id"]


def test_a_destroy_records_nothing_in_the_registry(applied: Steps) -> None:
    applied.entry_file().unlink()
    destroy = compute_request(action="destroy")
    passed(applied.plan("destroy-plan", request=destroy))
    passed(applied.apply("destroy-plan", request=destroy))
    assert not applied.entry_file().exists()


# --- the plan applied is the plan approved -------------------------------------------------------


def test_apply_refuses_a_tampered_plan_and_never_runs_terraform(steps: Steps) -> None:
    passed(steps.plan("plan"))
    plan_file = steps.saved_plan("plan")
    plan_file.write_bytes(plan_file.read_bytes() + b"\0")
    path, calls = fake_terraform(steps)
    result = steps.apply("plan", env=path)
    assert result.returncode == 1
    assert result.stderr.startswith("apply: failed at apply: refusing to apply: plan file sha256 ")
    assert len(result.stderr.splitlines()) == 1
    assert not calls.exists()
    assert steps.resources() == []


def test_apply_refuses_a_sha256_that_is_not_one(steps: Steps) -> None:
    passed(steps.plan("plan"))
    args = ["--out", "applied", "--sha256", "NO", "--next", "approve", "--approval", "YES"]
    result = steps.run("apply", *steps.stack("apply-pod"), *args)
    assert result.returncode == 2
    assert result.stderr == "apply: --sha256 must be 64 hexadecimal characters\n"


def test_apply_refuses_a_plan_made_from_another_configuration(steps: Steps) -> None:
    passed(steps.plan("plan"))
    changed = steps.tmp / "changed-module"
    changed.mkdir()
    for source in FIXTURE_MODULE.glob("*.tf"):
        (changed / source.name).write_bytes(source.read_bytes())
    with (changed / "outputs.tf").open("a") as stream:
        stream.write('\noutput "extra" {\n  value = "x"\n}\n')
    result = steps.apply("plan", module=changed)
    assert result.returncode == 1
    assert result.stderr == (
        "apply: failed at apply: plan was made from another configuration:"
        " root module file outputs.tf differs\n"
    )
    assert steps.resources() == []


def test_apply_refuses_the_plan_of_another_request(steps: Steps) -> None:
    """A plan of another request or stack with its own sha256 (from its own run) is refused:
    apply reads the plan's own variables and backend (workflows.steps.planfile)."""
    passed(steps.plan("plan", request=compute_request(node_count=3)))
    result = steps.apply("plan", request=compute_request(node_count=2))
    assert result.returncode == 1
    assert result.stderr == (
        "apply: failed at apply: refusing to apply: the plan was made for another request"
        " (node_count differ from this one)\n"
    )
    assert steps.resources() == []


def test_apply_refuses_a_plan_of_another_stack_moved_into_this_one(steps: Steps) -> None:
    passed(steps.plan("plan", request=compute_request(name="other")))
    other = steps.saved_plan("plan", name="other")
    mine = steps.saved_plan("plan")
    mine.parent.mkdir(parents=True)
    other.rename(mine)
    result = steps.apply("plan")
    assert result.returncode == 1
    assert "the plan was made for another request (name differ from this one)" in result.stderr
    assert steps.resources() == []


def test_apply_refuses_a_plan_made_against_another_state(steps: Steps) -> None:
    """The same request planned against another state file: its recorded backend differs."""
    elsewhere = [*steps.stack("plan-pod")[:-1], str(steps.tmp / "other-state")]
    passed(steps.run("plan", *elsewhere, "--out", str(steps.out("plan"))))
    stray = steps.tmp / "other-state" / "compute" / "dev" / "demo.plans"
    mine = steps.saved_plan("plan")
    mine.parent.mkdir(parents=True)
    (stray / mine.name).rename(mine)
    result = steps.apply("plan")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "apply: failed at apply: refusing to apply: the plan applies to another state"
    )
    assert steps.resources() == []


# --- decide: the answer --------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["NO", " YES", "YES ", "yes", "'YES'", "EXPIRED"])
def test_an_answer_other_than_exactly_yes_applies_nothing(steps: Steps, answer: str) -> None:
    passed(steps.plan("plan"))
    passed(steps.apply("plan", approval=answer))
    assert steps.resources() == []
    assert not (steps.tmp / "apply-pod").exists()  # Terraform never ran
    assert steps.output("plan-applied", "phases") == (
        f"decide: not applied: the approval was answered {answer!r}, not YES"
    )


@pytest.mark.parametrize("answer", ["", UNRESOLVED])
def test_no_answer_after_asking_applies_nothing(steps: Steps, answer: str) -> None:
    """An expired approval publishes its answer only when the DAG ends, so apply sees none."""
    passed(steps.plan("plan"))
    passed(steps.apply("plan", approval=answer))
    assert steps.resources() == []
    assert steps.output("plan-applied", "phases") == (
        "decide: not applied: no answer was recorded (the approval expired, or was resumed"
        " without one)"
    )


@pytest.mark.parametrize("following", ["done", "APPLY", ""])
def test_apply_refuses_a_next_that_is_neither_approve_nor_apply(
    steps: Steps, following: str
) -> None:
    passed(steps.plan("plan"))
    result = steps.apply("plan", following=following)
    assert result.returncode == 2
    assert result.stderr == (
        f"apply: failed at decide: --next {following!r}: apply runs only after approve or a"
        " waiver\n"
    )
    assert steps.resources() == []


def test_a_plan_not_applied_still_publishes_every_output(steps: Steps) -> None:
    passed(steps.plan("plan"))
    passed(steps.apply("plan", approval="NO"))
    published = {p.name: p.read_text() for p in steps.out("plan-applied").iterdir()}
    assert {name: published[name] for name in ("outputs", "verified", "outputs.json")} == {
        "outputs": "{}",
        "verified": "",
        "outputs.json": "{}",
    }
    assert json.loads(published["report.json"])["applied"] is False


def test_a_plan_not_applied_waits_for_the_exit_handler_which_deletes_it(steps: Steps) -> None:
    passed(steps.plan("plan"))
    passed(steps.apply("plan", approval="NO"))
    saved = steps.saved_plan("plan")
    assert saved.is_file()
    facts = ["--status", "Succeeded", "--has-changes", "true", "--approval", "NO"]
    facts += ["--plan-sha256", steps.sha256("plan"), "--environment", "dev", "--name", "demo"]
    state = ["--backend", "local", "--state-dir", str(steps.tmp / "state")]
    result = steps.run("finish", "--kind", "compute", *state, "--out", "finish", *facts)
    assert result.returncode == 1  # rejected is not fulfilled
    assert not saved.exists()


def test_apply_refuses_the_requester_as_approver(steps: Steps) -> None:
    passed(steps.plan("plan"))
    own = recorded("Ann.at.Example.com")  # the requester, as the server records her
    result = steps.apply("plan", labels=own)
    assert result.returncode == 1
    assert result.stderr == (
        "apply: failed at decide: refusing to apply: Ann.at.Example.com asked for this change"
        " and approved it; a second person must approve\n"
    )
    assert steps.resources() == []


def test_apply_refuses_an_approval_nobody_is_recorded_for_by_default(steps: Steps) -> None:
    passed(steps.plan("plan"))
    unrecorded = ["--labels", json.dumps({"app.kubernetes.io/part-of": "idp"})]
    result = steps.apply("plan", labels=unrecorded)
    assert result.returncode == 1
    assert "failed at decide: refusing to apply: the Argo Server recorded no identity" in (
        result.stderr
    )
    assert steps.resources() == []


def test_apply_refuses_an_approval_by_a_service_account_token(steps: Steps) -> None:
    """A token with no e-mail (idp-admin's, in client auth mode) records only a subject: it is
    no person, and the four-eyes rule cannot hold for it."""
    passed(steps.plan("plan"))
    subject = "system-serviceaccount-argo-events-idp-admin"
    labels = ["--labels", json.dumps({"workflows.argoproj.io/actor": subject})]
    result = steps.apply("plan", labels=labels)
    assert result.returncode == 1
    assert f"recorded {subject} for the approval, not a person's e-mail" in result.stderr
    assert steps.resources() == []


def test_apply_records_an_unknown_approver_when_settings_allow(steps: Steps) -> None:
    passed(steps.plan("plan"))
    result = passed(steps.apply("plan", labels=[], env={"IDP_APPROVER_IDENTITY": "optional"}))
    assert "approved by unknown" in result.stdout
    assert steps.resources() == ["terraform_data.cluster", "terraform_data.resource_group"]


# --- decide: the waiver --------------------------------------------------------------------------


def test_the_reapers_waived_destroy_applies_with_nobody_asked(steps: Steps) -> None:
    destroy = reaped(steps)
    passed(steps.plan("destroy-plan", request=destroy, env=WAIVED_IN_DEV))
    following = steps.output("destroy-plan", "next")
    result = steps.apply(
        "destroy-plan",
        request=destroy,
        approval=UNRESOLVED,
        following=following,
        labels=[],
        env=WAIVED_IN_DEV,
    )
    passed(result)
    assert steps.resources() == []
    assert "approved by nobody (approval waived: the stack expired)" in result.stdout


def test_without_the_setting_apply_refuses_the_reapers_destroy_with_nobody_asked(
    steps: Steps,
) -> None:
    """apply reads the waiver again itself: a plan run with other settings cannot grant it."""
    destroy = reaped(steps)
    passed(steps.plan("destroy-plan", request=destroy, env=WAIVED_IN_DEV))
    result = steps.apply("destroy-plan", request=destroy, approval="", following="apply")
    assert result.returncode == 1
    assert result.stderr == (
        "apply: failed at decide: refusing to apply: no approval, and this is not the reaper's"
        " destroy of an expired stack in an environment that waives it\n"
    )
    assert steps.resources() == ["terraform_data.cluster", "terraform_data.resource_group"]


def test_a_provision_with_nobody_asked_is_refused(steps: Steps) -> None:
    passed(steps.plan("plan"))
    result = steps.apply("plan", approval="", following="apply", env=WAIVED_IN_DEV)
    assert result.returncode == 1
    assert "refusing to apply: no approval" in result.stderr
    assert steps.resources() == []


# --- report --------------------------------------------------------------------------------------


def test_report_keeps_sensitive_outputs_out_of_the_parameter(applied: Steps) -> None:
    public = json.loads(applied.output("first-plan-applied", "outputs"))
    assert sorted(public) == ["cluster_id", "cluster_name", "resource_group_id"]
    assert public["cluster_name"] == "aks-demo"


def test_report_lists_every_output_with_sensitive_values_redacted(applied: Steps) -> None:
    text = applied.output("first-plan-applied", "outputs.json")
    everything = json.loads(text)
    assert sorted(everything) == ["admin_token", "cluster_id", "cluster_name", "resource_group_id"]
    assert everything["admin_token"] == {**everything["admin_token"], "value": "(sensitive value)"}
    assert str(applied.state()["outputs"]["admin_token"]["value"]) not in text


def test_report_records_who_asked_and_who_approved(applied: Steps) -> None:
    record = json.loads(applied.output("first-plan-applied", "report.json"))
    assert (record["requester"], record["approver"]) == ("ann@example.com", "lee.at.example.com")
    assert record["sensitive_outputs"] == ["admin_token"]


def test_a_missing_module_fails_at_the_apply_phase_in_one_line(steps: Steps) -> None:
    passed(steps.plan("plan"))
    missing = steps.tmp / "no-module"
    result = steps.apply("plan", module=missing)
    assert result.returncode == 1
    assert result.stderr == (
        f"apply: failed at apply: module {missing}: not a folder with Terraform files\n"
    )
