"""`idp logs REQUEST_ID|WORKFLOW [STEP]`: each step's pod log through the Argo Server."""

from __future__ import annotations

import pytest

from idp.argo.steps import node_name, pod_name, steps
from idp.cli import main
from idp.errors import EXIT_NOT_FOUND, EXIT_SERVER_ERROR
from idp.manifests import Manifest
from tests.argo.fake_argo import FakeArgo, Recorded
from tests.argo.fake_streams import LOG
from tests.argo.platform import PLANNED, ran
from tests.local.engine import Ending

REQUEST_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
WORKFLOW = f"compute-{REQUEST_ID}"
SECRET = "s3cr3t-log-token"


@pytest.fixture(scope="module")
def workflow(manifests: list[Manifest]) -> Manifest:
    """A finished run whose plan needed a second attempt (its first pod was lost)."""
    lost = Ending("Error", message="pod deleted")
    return ran(manifests, script={"plan": [lost, PLANNED]})


@pytest.fixture
def logged(fake: FakeArgo, workflow: Manifest) -> Manifest:
    """The run on the fake, each pod's log two lines naming the pod's node."""
    fake.put_workflow(workflow)
    for step in steps(workflow):
        for attempt in step.attempts:
            fake.pod_logs[pod_name(workflow, attempt)] = [
                f"{node_name(workflow, attempt)} starts",
                f"{node_name(workflow, attempt)} ends",
            ]
    return workflow


def log_requests(fake: FakeArgo) -> list[Recorded]:
    return [r for r in fake.requests if r.template == LOG]


def out_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_a_named_step_prints_its_pod_log_as_it_is(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", WORKFLOW, "apply"]) == 0
    assert out_lines(capsys) == ["apply starts", "apply ends"]


def test_a_named_retried_step_prints_each_attempt_s_log_in_turn(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", WORKFLOW, "plan"]) == 0
    assert out_lines(capsys) == ["plan(0) starts", "plan(0) ends", "plan(1) starts", "plan(1) ends"]


def test_a_step_is_read_from_its_own_pod_and_main_container(
    fake: FakeArgo, logged: Manifest
) -> None:
    assert main(["logs", REQUEST_ID, "apply"]) == 0
    (request,) = log_requests(fake)
    apply = next(s for s in steps(logged) if s.name == "apply")
    assert request.query == {
        "logOptions.container": ["main"],
        "podName": [pod_name(logged, apply.node)],
    }


def test_every_step_prints_in_the_order_they_ran_after_its_name(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", REQUEST_ID]) == 0
    labels = list(dict.fromkeys(line.split(" | ")[0].strip() for line in out_lines(capsys)))
    assert labels == ["plan(0)", "plan(1)", "notify-approvers", "apply", "onExit"]


def test_each_line_of_every_step_keeps_its_text(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", REQUEST_ID]) == 0
    lines = out_lines(capsys)
    assert lines[0] == "plan(0)          | plan(0) starts"
    assert lines[2] == "plan(1)          | plan(1) starts"


def test_one_attempt_of_a_retried_step_can_be_named(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", WORKFLOW, "plan(1)"]) == 0
    assert out_lines(capsys) == ["plan(1) starts", "plan(1) ends"]


def test_an_unknown_step_is_not_found_naming_the_steps_there_are(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", WORKFLOW, "deploy"]) == EXIT_NOT_FOUND
    assert capsys.readouterr().err == (
        f"idp: workflow {WORKFLOW} has no step 'deploy'; its steps: plan, approve, "
        "notify-approvers, apply, onExit\n"
    )
    assert log_requests(fake) == []


def test_the_approval_has_no_log_and_says_why(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", WORKFLOW, "approve"]) == EXIT_NOT_FOUND
    assert "step approve waits for an answer and runs no pod" in capsys.readouterr().err


def test_an_unknown_workflow_is_not_found(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", WORKFLOW]) == EXIT_NOT_FOUND
    assert log_requests(fake) == []


def test_follow_reads_every_pod_in_one_stream_and_names_each_line_s_step(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", WORKFLOW, "--follow"]) == 0
    (request,) = log_requests(fake)
    assert request.query == {"logOptions.container": ["main"], "logOptions.follow": ["true"]}
    assert out_lines(capsys)[-1] == "onExit           | onExit(0) ends"


def test_follow_of_one_step_follows_its_pod(fake: FakeArgo, logged: Manifest) -> None:
    assert main(["logs", WORKFLOW, "apply", "-f"]) == 0
    (request,) = log_requests(fake)
    assert request.query["logOptions.follow"] == ["true"]
    assert request.query["podName"][0].startswith(f"{WORKFLOW}-apply-")


def test_tail_and_grep_are_asked_of_the_server(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.pod_logs[pod_name(logged, next(s for s in steps(logged) if s.name == "apply").node)] = [
        "init",
        "apply: 1 added",
        "apply: 2 added",
        "done",
    ]
    assert main(["logs", WORKFLOW, "apply", "--tail", "1", "--grep", "added"]) == 0
    (request,) = log_requests(fake)
    assert request.query["logOptions.tailLines"] == ["1"]
    assert request.query["grep"] == ["added"]
    assert out_lines(capsys) == ["apply: 2 added"]


def test_a_grep_the_server_cannot_compile_fails_with_its_message(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", WORKFLOW, "apply", "--grep", "(unclosed"]) == EXIT_SERVER_ERROR
    assert "the stream failed: failed to compile" in capsys.readouterr().err


def test_output_stops_at_max_lines_and_says_so(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", WORKFLOW, "--max-lines", "3"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3
    assert captured.err == "logs      stopped after 3 lines (--max-lines)\n"


def test_a_pod_without_log_lines_is_noted(
    fake: FakeArgo, workflow: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.put_workflow(workflow)
    assert main(["logs", WORKFLOW, "apply"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"logs      {WORKFLOW}: no log lines of step apply; ")


def test_the_token_never_appears_even_when_a_step_logged_it(
    fake: FakeArgo,
    logged: Manifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.token = SECRET
    monkeypatch.setenv("ARGO_TOKEN", SECRET)
    apply = next(s for s in steps(logged) if s.name == "apply")
    fake.pod_logs[pod_name(logged, apply.node)] = [f"header: Bearer {SECRET}"]
    assert main(["logs", WORKFLOW, "apply"]) == 0
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert captured.out == "header: [redacted]\n"


def test_control_characters_in_a_log_line_are_escaped(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    apply = next(s for s in steps(logged) if s.name == "apply")
    fake.pod_logs[pod_name(logged, apply.node)] = ["\x1b]0;owned\x07 title"]
    assert main(["logs", WORKFLOW, "apply"]) == 0
    assert capsys.readouterr().out == "\\x1b]0;owned\\x07 title\n"


def test_keepalives_of_the_event_stream_print_nothing(
    fake: FakeArgo, logged: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.keepalives = True
    assert main(["logs", WORKFLOW, "apply"]) == 0
    assert out_lines(capsys) == ["apply starts", "apply ends"]


def test_follow_of_a_retried_step_follows_its_latest_attempt(
    fake: FakeArgo, logged: Manifest
) -> None:
    assert main(["logs", WORKFLOW, "plan", "--follow"]) == 0
    (request,) = log_requests(fake)
    plan = next(s for s in steps(logged) if s.name == "plan")
    assert request.query["podName"] == [pod_name(logged, plan.attempts[-1])]
