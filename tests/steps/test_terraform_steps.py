"""plan, apply and report with the real Terraform binary on the `terraform_data` fixture module.

Plan and apply run in different work folders, as they do in different pods.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys

import pytest

from tests.steps.conftest import FIXTURE_MODULE, Steps, compute_request, passed, recorded


def resources(steps: Steps) -> list[str]:
    return sorted(f"{r['type']}.{r['name']}" for r in steps.state().get("resources", []))


def test_plan_of_a_new_stack_reports_changes(steps: Steps) -> None:
    passed(steps.plan("plan"))
    out = steps.out("plan")
    assert (out / "has_changes").read_text() == "true"
    assert (out / "summary").read_text() == "2 to add, 0 to change, 0 to destroy"


def test_plan_writes_the_plan_its_json_and_text(steps: Steps) -> None:
    passed(steps.plan("plan"))
    out = steps.out("plan")
    plan = json.loads((out / "plan.json").read_text())
    changed = sorted(item["address"] for item in plan["resource_changes"])
    assert changed == ["terraform_data.cluster", "terraform_data.resource_group"]
    assert "terraform_data.cluster will be created" in (out / "plan.txt").read_text()


def test_the_binary_plan_waits_beside_the_state_never_in_the_published_folder(
    steps: Steps,
) -> None:
    passed(steps.plan("plan"))
    assert steps.saved_plan("plan").stat().st_size > 0
    assert sorted(p.name for p in steps.out("plan").iterdir()) == [
        "changes",
        "has_changes",
        "plan.json",
        "plan.txt",
        "sha256",
        "summary",
        "waived",
    ]


def test_plan_sha256_is_the_hash_of_the_saved_plan(steps: Steps) -> None:
    passed(steps.plan("plan"))
    expected = hashlib.sha256(steps.saved_plan("plan").read_bytes()).hexdigest()
    assert steps.sha256("plan") == expected


def test_plan_lists_each_resource_with_what_happens_to_it(steps: Steps) -> None:
    passed(steps.plan("plan"))
    lines = (steps.out("plan") / "changes").read_text().splitlines()
    assert sorted(lines) == [
        "create terraform_data.cluster",
        "create terraform_data.resource_group",
    ]


def test_plan_passes_every_request_field_with_defaults_to_terraform(steps: Steps) -> None:
    passed(steps.plan("plan"))
    variables = json.loads((steps.out("plan") / "plan.json").read_text())["variables"]
    values = {name: item["value"] for name, item in variables.items()}
    assert values == {
        **compute_request(),
        "cloud_provider": "azure",
        "action": "provision",
        "vm_size": "Standard_D2s_v5",
        "ttl_hours": 0,
    }


def test_plan_does_not_touch_the_state(steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert resources(steps) == []


def test_plan_failing_a_condition_of_the_module_exits_1_with_one_line(steps: Steps) -> None:
    result = steps.plan("plan", request=compute_request(node_count=20))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "plan: terraform plan failed: Resource precondition failed:"
        " The fixture module allows at most 10 nodes."
    ]
    assert not (steps.out("plan") / "sha256").exists()


def test_plan_of_a_bad_request_exits_2_before_terraform(steps: Steps) -> None:
    result = steps.plan("plan", request=compute_request(node_count=0))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "plan: request: node_count: Input should be greater than or equal to 1 (got 0)"
    ]
    assert not (steps.tmp / "plan-pod").exists()


def test_plan_and_apply_accept_relative_folders(steps: Steps) -> None:
    relative = ["--kind", "compute", "--module", str(FIXTURE_MODULE), "--backend", "local"]
    passed(steps.run("plan", *relative, "--work", "pod", "--out", "out", "--state-dir", "st"))
    sha256 = (steps.tmp / "out" / "sha256").read_text()
    apply = ["--work", "pod2", "--sha256", sha256, "--approval", "YES"]
    apply += [*recorded("lee.at.example.com"), "--state-dir", "st"]
    passed(steps.run("apply", *relative, *apply))
    assert (steps.tmp / "st" / "compute" / "dev" / "demo.tfstate").is_file()


def test_plan_runs_from_a_read_only_module(steps: Steps) -> None:
    module = steps.tmp / "read-only-module"
    module.mkdir()
    for source in FIXTURE_MODULE.glob("*.tf"):
        target = module / source.name
        target.write_bytes(source.read_bytes())
        target.chmod(stat.S_IRUSR | stat.S_IRGRP)
    module.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = steps.run("plan", *steps.stack("pod", module=module), "--out", "plan")
    finally:
        module.chmod(stat.S_IRWXU)
    passed(result)
    assert (steps.out("plan") / "has_changes").read_text() == "true"


def test_request_values_reach_terraform_verbatim_and_never_a_shell(steps: Steps) -> None:
    hostile = "Ann $(touch pwned) `touch pwned`; touch pwned"
    passed(steps.plan("plan", request=compute_request(requester_name=hostile)))
    variables = json.loads((steps.out("plan") / "plan.json").read_text())["variables"]
    assert variables["requester_name"]["value"] == hostile
    assert list(steps.tmp.rglob("pwned")) == []


def test_apply_of_the_saved_plan_creates_the_resources(steps: Steps) -> None:
    passed(steps.plan("plan"))
    result = passed(steps.apply("plan"))
    assert resources(steps) == ["terraform_data.cluster", "terraform_data.resource_group"]
    assert "Apply complete! Resources: 2 added" in result.stdout


def test_apply_writes_the_state_key_of_the_stack(steps: Steps) -> None:
    other = compute_request(environment="test", name="other")
    passed(steps.plan("plan", request=other))
    passed(steps.apply("plan", request=other))
    assert (steps.tmp / "state" / "compute" / "test" / "other.tfstate").is_file()


def test_apply_refuses_a_tampered_plan_and_never_runs_terraform(steps: Steps) -> None:
    passed(steps.plan("plan"))
    plan_file = steps.saved_plan("plan")
    plan_file.write_bytes(plan_file.read_bytes() + b"\0")
    calls = steps.tmp / "terraform-calls"
    fake = steps.tmp / "bin" / "terraform"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport sys\nopen({str(calls)!r}, 'a').write('ran')\n")
    fake.chmod(0o755)
    path = f"{fake.parent}{os.pathsep}{steps.env['PATH']}"
    result = steps.apply("plan", env={"PATH": path})
    assert result.returncode == 1
    assert result.stderr.startswith("apply: refusing to apply: plan file sha256 ")
    assert len(result.stderr.splitlines()) == 1
    assert not calls.exists()
    assert resources(steps) == []


def test_apply_refuses_an_approval_that_is_not_a_sha256(steps: Steps) -> None:
    passed(steps.plan("plan"))
    approved = ["--sha256", "NO", "--approval", "YES"]
    result = steps.run("apply", *steps.stack("apply-pod"), *approved)
    assert result.returncode == 2
    assert result.stderr == "apply: --sha256 must be 64 hexadecimal characters\n"


@pytest.mark.parametrize("answer", ["NO", " YES", "YES ", "yes", "'YES'", "EXPIRED", ""])
def test_apply_refuses_any_answer_but_exactly_yes_before_terraform(
    steps: Steps, answer: str
) -> None:
    passed(steps.plan("plan"))
    approved = ["--sha256", steps.sha256("plan"), *recorded("lee.at.example.com")]
    result = steps.run("apply", *steps.stack("apply-pod"), *approved, "--approval", answer)
    assert result.returncode == 1
    assert (
        result.stderr == f"apply: refusing to apply: the approval answer is {answer!r}, not YES\n"
    )
    assert resources(steps) == []


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
        "apply: plan was made from another configuration: root module file outputs.tf differs\n"
    )
    assert resources(steps) == []


def test_plan_after_apply_reports_no_changes(applied: Steps) -> None:
    passed(applied.plan("second-plan"))
    out = applied.out("second-plan")
    assert (out / "has_changes").read_text() == "false"
    assert (out / "summary").read_text() == "0 to add, 0 to change, 0 to destroy"


def test_plan_of_a_changed_request_reports_an_update(applied: Steps) -> None:
    passed(applied.plan("second-plan", request=compute_request(node_count=3)))
    assert (applied.out("second-plan") / "summary").read_text() == (
        "0 to add, 1 to change, 0 to destroy"
    )


def test_destroy_plan_reports_every_resource_to_destroy(applied: Steps) -> None:
    passed(applied.plan("destroy-plan", request=compute_request(action="destroy")))
    out = applied.out("destroy-plan")
    assert (out / "has_changes").read_text() == "true"
    assert (out / "summary").read_text() == "0 to add, 0 to change, 2 to destroy"


def test_apply_of_a_destroy_plan_empties_the_state(applied: Steps) -> None:
    destroy = compute_request(action="destroy")
    passed(applied.plan("destroy-plan", request=destroy))
    passed(applied.apply("destroy-plan", request=destroy))
    assert resources(applied) == []


def test_report_keeps_sensitive_outputs_out_of_the_parameter(applied: Steps) -> None:
    passed(applied.run("report", *applied.stack("report-pod"), "--out", "report"))
    public = json.loads((applied.out("report") / "outputs").read_text())
    assert sorted(public) == ["cluster_id", "cluster_name", "resource_group_id"]
    assert public["cluster_name"] == "aks-demo"


def test_report_lists_every_output_with_sensitive_values_redacted(applied: Steps) -> None:
    passed(applied.run("report", *applied.stack("report-pod"), "--out", "report"))
    everything = json.loads((applied.out("report") / "outputs.json").read_text())
    assert sorted(everything) == ["admin_token", "cluster_id", "cluster_name", "resource_group_id"]
    assert everything["admin_token"] == {**everything["admin_token"], "value": "(sensitive value)"}
    secret = secret_of(applied)
    assert secret not in (applied.out("report") / "outputs.json").read_text()


def test_report_records_who_asked_and_who_approved(applied: Steps) -> None:
    approver = recorded("lee.at.example.com")
    passed(applied.run("report", *applied.stack("report-pod"), "--out", "report", *approver))
    record = json.loads((applied.out("report") / "report.json").read_text())
    assert (record["requester"], record["approver"]) == ("ann@example.com", "lee.at.example.com")
    assert record["sensitive_outputs"] == ["admin_token"]


def secret_of(steps: Steps) -> str:
    """The fixture's sensitive output as the state holds it."""
    state = steps.state()
    return str(state["outputs"]["admin_token"]["value"])


def test_report_of_a_module_that_is_missing_exits_1_with_one_line(steps: Steps) -> None:
    missing = steps.tmp / "no-module"
    result = steps.run("report", *steps.stack("pod", module=missing), "--out", "report")
    assert result.returncode == 1
    assert result.stderr == f"report: module {missing}: not a folder with Terraform files\n"


def test_a_missing_terraform_binary_is_one_line(steps: Steps) -> None:
    empty = steps.tmp / "empty-bin"
    empty.mkdir()
    result = steps.run("plan", *steps.stack("pod"), "--out", "plan", env={"PATH": str(empty)})
    assert result.returncode == 1
    assert result.stderr == "plan: terraform: executable not found on PATH\n"


def test_apply_deletes_the_plan_it_applied(steps: Steps) -> None:
    passed(steps.plan("plan"))
    saved = steps.saved_plan("plan")
    passed(steps.apply("plan"))
    assert not saved.exists()


def test_apply_refuses_the_requester_as_approver(steps: Steps) -> None:
    passed(steps.plan("plan"))
    approved = ["--sha256", steps.sha256("plan"), "--approval", "YES"]
    own = recorded("Ann.at.Example.com")  # the requester, as the server records her
    result = steps.run("apply", *steps.stack("apply-pod"), *approved, *own)
    assert result.returncode == 1
    assert result.stderr == (
        "apply: refusing to apply: Ann.at.Example.com asked for this change and approved it;"
        " a second person must approve\n"
    )
    assert resources(steps) == []


def test_apply_refuses_an_approval_nobody_is_recorded_for_by_default(steps: Steps) -> None:
    passed(steps.plan("plan"))
    approved = ["--sha256", steps.sha256("plan"), "--approval", "YES"]
    unrecorded = ["--labels", json.dumps({"app.kubernetes.io/part-of": "idp"})]
    result = steps.run("apply", *steps.stack("apply-pod"), *approved, *unrecorded)
    assert result.returncode == 1
    assert "recorded no identity for the approval" in result.stderr


def test_apply_refuses_an_approval_by_a_service_account_token(steps: Steps) -> None:
    """A token with no e-mail (idp-admin's, in client auth mode) records only a subject: it is
    no person, and the four-eyes rule cannot hold for it."""
    passed(steps.plan("plan"))
    approved = ["--sha256", steps.sha256("plan"), "--approval", "YES"]
    subject = "system-serviceaccount-argo-events-idp-admin"
    labels = ["--labels", json.dumps({"workflows.argoproj.io/actor": subject})]
    result = steps.run("apply", *steps.stack("apply-pod"), *approved, *labels)
    assert result.returncode == 1
    assert f"recorded {subject} for the approval, not a person's e-mail" in result.stderr
    assert resources(steps) == []


def test_apply_records_an_unknown_approver_when_settings_allow(steps: Steps) -> None:
    passed(steps.plan("plan"))
    approved = ["--sha256", steps.sha256("plan"), "--approval", "YES"]
    result = steps.run(
        "apply", *steps.stack("apply-pod"), *approved, env={"IDP_APPROVER_IDENTITY": "optional"}
    )
    passed(result)
    assert "approved by unknown" in result.stdout


def test_apply_refuses_the_plan_of_another_request(steps: Steps) -> None:
    """A plan of another request or stack with its own sha256 (from its own run) is refused:
    apply reads the plan's own variables and backend (workflows.steps.planfile)."""
    passed(steps.plan("plan", request=compute_request(node_count=3)))
    result = steps.apply("plan", request=compute_request(node_count=2))
    assert result.returncode == 1
    assert result.stderr == (
        "apply: refusing to apply: the plan was made for another request (node_count differ"
        " from this one)\n"
    )
    assert resources(steps) == []


def test_apply_refuses_a_plan_of_another_stack_moved_into_this_one(steps: Steps) -> None:
    passed(steps.plan("plan", request=compute_request(name="other")))
    other = steps.saved_plan("plan", name="other")
    mine = steps.saved_plan("plan")
    mine.parent.mkdir(parents=True)
    other.rename(mine)
    result = steps.apply("plan")
    assert result.returncode == 1
    assert "the plan was made for another request (name differ from this one)" in result.stderr


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
    assert result.stderr.startswith("apply: refusing to apply: the plan applies to another state")


def test_a_second_plan_publishes_no_sensitive_value_of_the_state(applied: Steps) -> None:
    """`prior_state` of a plan carries the sensitive outputs in clear in `terraform show
    -json`; the published plan.json and plan.txt carry them redacted."""
    passed(applied.plan("second-plan", request=compute_request(node_count=3)))
    secret = secret_of(applied)
    for published in applied.out("second-plan").iterdir():
        assert secret not in published.read_text(), published.name
    document = json.loads((applied.out("second-plan") / "plan.json").read_text())
    outputs = document["prior_state"]["values"]["outputs"]
    assert outputs["admin_token"]["value"] == "(sensitive value)"
