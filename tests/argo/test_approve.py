"""`idp approve`: set the approval node's output and resume it, as the Argo UI does."""

from __future__ import annotations

import json
import threading

import pytest

from idp.argo.approve import REQUESTER, requester
from idp.argo.client import ArgoClient, segment
from idp.argo.connection import resolve
from idp.argo.errors import HttpError, UsageError
from idp.cli import main
from idp.contract import RequestBase
from idp.errors import (
    EXIT_CONFLICT,
    EXIT_FOUR_EYES,
    EXIT_NOT_FOUND,
    EXIT_NOT_WAITING,
    EXIT_SERVER_ERROR,
    EXIT_USAGE,
)
from idp.manifests import Manifest
from idp.settings import load_settings
from tests.argo import statuses
from tests.argo.fake_argo import FakeArgo
from tests.argo.workflows import name_of, rendered


@pytest.fixture
def waiting(fake: FakeArgo) -> Manifest:
    """A compute run on the fake, waiting at its approval."""
    workflow = rendered("compute")
    workflow["status"] = statuses.waiting(name_of(workflow))
    fake.put_workflow(workflow)
    return workflow


def approval_of(fake: FakeArgo, workflow: Manifest) -> Manifest:
    live = fake.get("workflows", workflow["metadata"]["namespace"], name_of(workflow))
    assert live is not None
    node: Manifest = live["status"]["nodes"][f"{name_of(workflow)}-4"]
    return node


def sent(fake: FakeArgo, action: str) -> list[Manifest]:
    return [r.body for r in fake.requests if r.method == "PUT" and r.path.endswith(f"/{action}")]


@pytest.mark.parametrize("answer", ["YES", "NO"])
def test_approve_sets_the_answer_then_resumes_that_node(
    fake: FakeArgo, waiting: Manifest, answer: str
) -> None:
    name = name_of(waiting)
    assert main(["approve", name, f"--{answer.lower()}"]) == 0
    selector = f"id={name}-4"
    assert sent(fake, "set") == [
        {"nodeFieldSelector": selector, "outputParameters": json.dumps({"approve": answer})}
    ]
    assert sent(fake, "resume") == [{"nodeFieldSelector": selector}]
    puts = [r.path.rsplit("/", 1)[1] for r in fake.requests if r.method == "PUT"]
    assert puts == ["set", "resume"]


@pytest.mark.parametrize("answer", ["YES", "NO"])
def test_approve_leaves_the_node_succeeded_with_the_answer(
    fake: FakeArgo, waiting: Manifest, answer: str
) -> None:
    assert main(["approve", name_of(waiting), f"--{answer.lower()}"]) == 0
    node = approval_of(fake, waiting)
    assert node["phase"] == "Succeeded"
    assert node["outputs"]["parameters"][0]["value"] == answer


def test_approve_reports_the_plan_it_answered(
    waiting: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["approve", name_of(waiting), "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"{name_of(waiting)}: the server recorded YES for plan sha256 {statuses.SHA256}" in out


def test_approve_refuses_when_the_plan_is_still_running(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = rendered("compute")
    name = name_of(workflow)
    workflow["status"] = statuses.status(name, "Running", ("plan", "Running"))
    fake.put_workflow(workflow)
    assert main(["approve", name, "--yes"]) == EXIT_NOT_WAITING
    err = capsys.readouterr().err
    assert err == (
        f"idp: workflow {name} is Running and has not reached its approval yet "
        "(idp run --wait follows it): nothing waits for approval\n"
    )
    assert fake.writes() == []


def test_approve_refuses_an_approval_already_answered(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = rendered("compute")
    name = name_of(workflow)
    approval = statuses.approval_node(name, phase="Succeeded", answer="YES")
    workflow["status"] = statuses.status(name, "Running", ("apply", "Running"), approval=approval)
    fake.put_workflow(workflow)
    assert main(["approve", name, "--no"]) == EXIT_NOT_WAITING
    assert "already answered YES" in capsys.readouterr().err
    assert fake.writes() == []


def test_approve_refuses_a_finished_workflow(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = rendered("compute")
    name = name_of(workflow)
    approval = statuses.approval_node(name, phase="Succeeded", answer="NO")
    workflow["status"] = statuses.status(
        name, "Succeeded", ("plan", "Succeeded"), approval=approval
    )
    fake.put_workflow(workflow)
    assert main(["approve", name, "--yes"]) == EXIT_NOT_WAITING
    assert capsys.readouterr().err == (
        f"idp: workflow {name} already finished (Succeeded, answered NO): "
        "nothing waits for approval\n"
    )
    assert fake.writes() == []


def test_approve_refuses_a_failed_workflow_whose_approval_still_shows_running(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = rendered("compute")
    name = name_of(workflow)
    workflow["status"] = statuses.status(name, "Failed", approval=statuses.approval_node(name))
    fake.put_workflow(workflow)
    assert main(["approve", name, "--yes"]) == EXIT_NOT_WAITING
    assert "already finished (Failed)" in capsys.readouterr().err
    assert fake.writes() == []


def test_approve_refuses_a_run_whose_approval_was_skipped(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = rendered("compute")
    name = name_of(workflow)
    approval = statuses.approval_node(name, phase="Skipped")
    workflow["status"] = statuses.status(name, "Running", approval=approval)
    fake.put_workflow(workflow)
    assert main(["approve", name, "--yes"]) == EXIT_NOT_WAITING
    assert "skipped its approval (the plan has no changes)" in capsys.readouterr().err


def test_approve_of_a_missing_workflow_says_not_found(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["approve", "compute-nope", "--yes"]) == EXIT_NOT_FOUND
    assert capsys.readouterr().err == (
        f"idp: workflow compute-nope not found in namespace {load_settings().namespace} "
        f"on {fake.url}: "
        "check the name (idp run prints it) and --namespace\n"
    )


def test_a_failed_resume_says_the_answer_was_recorded(
    fake: FakeArgo, waiting: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail("PUT", "/resume$", 500, "resume failed")
    assert main(["approve", name_of(waiting), "--yes"]) == EXIT_SERVER_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"idp: workflow {name_of(waiting)}: the answer YES was recorded")
    assert "run the same command again" in err


def test_approve_needs_yes_or_no(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["approve", "compute-x"])
    assert exited.value.code == EXIT_USAGE
    assert "one of the arguments --yes --no is required" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["x/../compute-y", "compute-x#", "Compute-X", "a?b=c"])
def test_a_name_that_is_not_a_kubernetes_name_is_refused_before_any_request(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["approve", name, "--yes"])
    assert exited.value.code == EXIT_USAGE
    assert "is not a Kubernetes name" in capsys.readouterr().err
    assert fake.requests == []


def test_the_client_refuses_a_name_that_would_leave_its_path_segment() -> None:
    with pytest.raises(UsageError, match="is not a Kubernetes name"):
        segment("x/../compute-y")


def test_connection_options_may_come_before_the_command(
    fake: FakeArgo, waiting: Manifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARGO_SERVER")
    assert main(["--server", fake.url, "approve", name_of(waiting), "--yes"]) == 0


# -- two answers at once: only what the server recorded counts


def test_the_fake_refuses_a_second_set_of_a_supplied_output_as_the_server_does(
    fake: FakeArgo, waiting: Manifest
) -> None:
    """workflow/util/util.go, updateSuspendedNode: setting a supplied output drops its
    valueFrom, and a parameter without valueFrom.supplied cannot be set (an Internal error)."""
    name = name_of(waiting)
    connection = resolve({"ARGO_SERVER": fake.url}, load_settings().namespace)
    with ArgoClient(connection) as client:
        client.set_outputs(name, f"{name}-4", {"approve": "YES"})
        with pytest.raises(HttpError) as second:
            client.set_outputs(name, f"{name}-4", {"approve": "NO"})
    assert second.value.status == 500
    assert "already set" in str(second.value)
    assert approval_of(fake, waiting)["outputs"]["parameters"][0]["value"] == "YES"


def race(fake: FakeArgo, name: str) -> dict[str, int]:
    """`idp approve --yes` and `--no` started together; both read before either writes."""

    def open_gate() -> None:  # run once, before either client is let go: no read waits again
        fake.read_gate = None

    fake.read_gate = threading.Barrier(2, action=open_gate, timeout=30)
    codes: dict[str, int] = {}

    def answer(flag: str) -> None:
        codes[flag] = main(["approve", name, flag])

    threads = [threading.Thread(target=answer, args=(flag,)) for flag in ("--yes", "--no")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fake.read_gate = None
    return codes


@pytest.mark.parametrize("trial", range(8))
def test_yes_and_no_at_once_succeed_once_and_the_other_names_the_recorded_answer(
    fake: FakeArgo, waiting: Manifest, capsys: pytest.CaptureFixture[str], trial: int
) -> None:
    codes = race(fake, name_of(waiting))
    assert sorted(codes.values()) == [0, EXIT_CONFLICT]
    winner = "YES" if codes["--yes"] == 0 else "NO"
    loser = "NO" if winner == "YES" else "YES"
    node = approval_of(fake, waiting)
    assert (node["phase"], node["outputs"]["parameters"][0]["value"]) == ("Succeeded", winner)
    captured = capsys.readouterr()
    assert f"the server recorded {winner} for plan" in captured.out
    assert f"another answer came first: the server recorded {winner}, not this {loser}" in (
        captured.err
    )


def test_an_answer_recorded_but_not_resumed_is_resumed_by_the_same_answer(
    fake: FakeArgo, waiting: Manifest
) -> None:
    fake.fail("PUT", "/resume$", 503, "resume failed", times=4)
    assert main(["approve", name_of(waiting), "--yes", "--backoff", "0"]) == EXIT_SERVER_ERROR
    assert main(["approve", name_of(waiting), "--yes"]) == 0
    assert approval_of(fake, waiting)["phase"] == "Succeeded"


def test_an_answer_recorded_but_not_resumed_refuses_the_other_answer(
    fake: FakeArgo, waiting: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail("PUT", "/resume$", 500, "resume failed")
    assert main(["approve", name_of(waiting), "--yes"]) == EXIT_SERVER_ERROR
    assert main(["approve", name_of(waiting), "--no"]) == EXIT_CONFLICT
    assert "the server recorded YES, not this NO" in capsys.readouterr().err
    assert approval_of(fake, waiting)["phase"] == "Running"


# -- who answered: the identity the server records, and four eyes

LEE = {"sub": "CiQxMjM", "email": "lee@example.com", "preferred_username": "lee"}


def as_token(fake: FakeArgo, monkeypatch: pytest.MonkeyPatch, claims: dict[str, str]) -> None:
    """ARGO_TOKEN is a token the server finds `claims` for."""
    fake.identities["caller-token"] = claims
    monkeypatch.setenv("ARGO_TOKEN", "Bearer caller-token")


def test_approve_prints_who_the_server_recorded_as_answering(
    fake: FakeArgo,
    waiting: Manifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    as_token(fake, monkeypatch, LEE)
    assert main(["approve", name_of(waiting), "--yes"]) == 0
    assert (
        "approver  the server recorded who answered: email lee.at.example.com, "
        "subject CiQxMjM, username lee\n"
    ) in capsys.readouterr().out


def test_the_identity_printed_is_read_back_from_the_workflows_labels(
    fake: FakeArgo,
    waiting: Manifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    as_token(fake, monkeypatch, LEE)
    assert main(["approve", name_of(waiting), "--yes"]) == 0
    live = fake.get("workflows", waiting["metadata"]["namespace"], name_of(waiting))
    assert live is not None
    assert live["metadata"]["labels"]["workflows.argoproj.io/actor-email"] == "lee.at.example.com"
    gets = [r.path for r in fake.requests if r.method == "GET"]
    assert gets[-1].endswith(f"/workflows/{waiting['metadata']['namespace']}/{name_of(waiting)}")


def test_without_an_identity_approve_says_apply_will_refuse_the_yes(
    fake: FakeArgo, waiting: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["approve", name_of(waiting), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "approver  the server recorded no identity for this answer" in out
    assert "apply will refuse it, since settings.approver_identity is required" in out


def test_without_an_identity_and_identity_optional_apply_records_unknown(
    fake: FakeArgo,
    waiting: Manifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("IDP_APPROVER_IDENTITY", "optional")
    assert main(["approve", name_of(waiting), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "apply records the approver as unknown (settings.approver_identity)" in out
    assert "apply will refuse" not in out


def test_a_no_without_an_identity_is_reported_without_mentioning_apply(
    fake: FakeArgo, waiting: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["approve", name_of(waiting), "--no"]) == 0
    out = capsys.readouterr().out
    assert "the server recorded no identity for this answer" in out
    assert "apply" not in out.split("approver  ", 1)[1]


@pytest.mark.parametrize("email", ["ada@example.com", "Ada@Example.COM"])
def test_a_yes_by_the_requester_is_refused_before_anything_is_sent(
    fake: FakeArgo,
    waiting: Manifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    email: str,
) -> None:
    """The example request's requester_email is ada@example.com; the server would record
    this token's e-mail as actor-email, which apply compares with it, ignoring case."""
    as_token(fake, monkeypatch, {"sub": "CiQ5OTk", "email": email})
    assert main(["approve", name_of(waiting), "--yes"]) == EXIT_FOUR_EYES
    assert fake.writes() == []
    assert capsys.readouterr().err == (
        f"idp: workflow {name_of(waiting)}: the server takes this token for "
        f"{email.replace('@', '.at.')}, who asked for this change (requester_email); the "
        "requester may not approve it: a second person must (four eyes); nothing was sent\n"
    )


def test_the_requester_may_still_answer_no(
    fake: FakeArgo, waiting: Manifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_token(fake, monkeypatch, {"sub": "CiQ5OTk", "email": "ada@example.com"})
    assert main(["approve", name_of(waiting), "--no"]) == 0
    assert approval_of(fake, waiting)["outputs"]["parameters"][0]["value"] == "NO"


def test_approve_asks_who_it_is_before_it_writes(
    fake: FakeArgo, waiting: Manifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_token(fake, monkeypatch, LEE)
    assert main(["approve", name_of(waiting), "--yes"]) == 0
    calls = [(r.method, r.path.rsplit("/", 1)[1]) for r in fake.requests]
    assert calls == [
        ("GET", name_of(waiting)),
        ("GET", "userinfo"),
        ("PUT", "set"),
        ("PUT", "resume"),
        ("GET", name_of(waiting)),
    ]


def test_the_requester_is_read_from_the_workflows_arguments(waiting: Manifest) -> None:
    assert requester(waiting) == "ada@example.com"
    assert requester({"metadata": {"name": "x"}}) == ""


def test_the_requester_argument_is_a_field_of_the_request_contract() -> None:
    assert REQUESTER in RequestBase.model_fields


def test_a_yes_with_a_service_account_token_is_reported_as_one_apply_will_refuse(
    fake: FakeArgo,
    waiting: Manifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    as_token(fake, monkeypatch, {"sub": "system:serviceaccount:argo-events:idp-admin"})
    assert main(["approve", name_of(waiting), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "subject system-serviceaccount-argo-events-idp-admin" in out
    assert "no person's e-mail, so apply will refuse it" in out
