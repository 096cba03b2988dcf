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

from tests.steps.conftest import FIXTURE_MODULE, Steps, compute_request, passed


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
    assert (out / "plan.tfplan").stat().st_size > 0


def test_plan_sha256_is_the_hash_of_the_plan_file(steps: Steps) -> None:
    passed(steps.plan("plan"))
    out = steps.out("plan")
    expected = hashlib.sha256((out / "plan.tfplan").read_bytes()).hexdigest()
    assert (out / "sha256").read_text() == expected


def test_plan_passes_every_request_field_with_defaults_to_terraform(steps: Steps) -> None:
    passed(steps.plan("plan"))
    variables = json.loads((steps.out("plan") / "plan.json").read_text())["variables"]
    values = {name: item["value"] for name, item in variables.items()}
    assert values == {
        **compute_request(),
        "cloud_provider": "azure",
        "action": "provision",
        "vm_size": "Standard_D2s_v5",
    }


def test_plan_does_not_touch_the_state(steps: Steps) -> None:
    passed(steps.plan("plan"))
    assert resources(steps) == []


def test_plan_failing_variable_validation_exits_1_with_one_line(steps: Steps) -> None:
    result = steps.plan("plan", request=compute_request(node_count=20))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "plan: terraform plan failed: Invalid value for variable:"
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
    apply = ["--work", "pod2", "--plan", "out/plan.tfplan", "--sha256", sha256, "--approval", "YES"]
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
    passed(steps.plan("plan", request=compute_request(environment="test", name="other")))
    passed(steps.apply("plan"))
    assert (steps.tmp / "state" / "compute" / "test" / "other.tfstate").is_file()


def test_apply_refuses_a_tampered_plan_and_never_runs_terraform(steps: Steps) -> None:
    passed(steps.plan("plan"))
    plan_file = steps.out("plan") / "plan.tfplan"
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
    plan_file = str(steps.out("plan") / "plan.tfplan")
    approved = ["--plan", plan_file, "--sha256", "NO", "--approval", "YES"]
    result = steps.run("apply", *steps.stack("apply-pod"), *approved)
    assert result.returncode == 2
    assert result.stderr == "apply: --sha256 must be 64 hexadecimal characters\n"


@pytest.mark.parametrize("answer", ["NO", " YES", "YES ", "yes", "'YES'", "EXPIRED", ""])
def test_apply_refuses_any_answer_but_exactly_yes_before_terraform(
    steps: Steps, answer: str
) -> None:
    passed(steps.plan("plan"))
    folder = steps.out("plan")
    approved = ["--plan", str(folder / "plan.tfplan"), "--sha256", (folder / "sha256").read_text()]
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
    passed(applied.plan("destroy-plan", request=compute_request(action="destroy")))
    passed(applied.apply("destroy-plan"))
    assert resources(applied) == []


def test_report_keeps_sensitive_outputs_out_of_the_parameter(applied: Steps) -> None:
    passed(applied.run("report", *applied.stack("report-pod"), "--out", "report"))
    public = json.loads((applied.out("report") / "outputs").read_text())
    assert sorted(public) == ["cluster_id", "cluster_name", "resource_group_id"]
    assert public["cluster_name"] == "aks-demo"


def test_report_writes_every_output_with_sensitive_values_to_outputs_json(
    applied: Steps,
) -> None:
    passed(applied.run("report", *applied.stack("report-pod"), "--out", "report"))
    everything = json.loads((applied.out("report") / "outputs.json").read_text())
    assert everything["admin_token"]["sensitive"] is True
    assert everything["admin_token"]["value"].startswith("admin_token-")


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
