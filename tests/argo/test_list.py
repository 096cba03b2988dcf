"""`idp list`: the platform's requests from the Argo Server, newest first, filtered by label on
the server and by time and outcome here."""

from __future__ import annotations

import json

import pytest
import yaml

from idp.cli import main
from idp.errors import EXIT_REJECTED, EXIT_USAGE
from idp.manifests import Manifest
from tests.argo import statuses
from tests.argo.fake_argo import FakeArgo
from tests.argo.platform import (
    RECORDED_APPROVER,
    ago,
    finished,
    labelled,
    ran,
    with_status,
)

PLATFORM = "app.kubernetes.io/part-of=idp,idp.platform/request-id"


def sent_selectors(fake: FakeArgo) -> list[str]:
    return [
        r.query["listOptions.labelSelector"][0]
        for r in fake.requests
        if r.template == "/api/v1/workflows/{namespace}"
    ]


def table(capsys: pytest.CaptureFixture[str]) -> list[list[str]]:
    return [line.split() for line in capsys.readouterr().out.splitlines()]


def put(fake: FakeArgo, manifests: list[Manifest], kind: str = "compute", **fields: str) -> None:
    created = fields.pop("created", ago(minutes=5))
    fake.put_workflow(labelled(manifests, kind, created=created, **fields))


def test_list_shows_kind_environment_name_request_id_requester_outcome_approver_and_age(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = ran(
        manifests, script={"finish": finished("succeeded", "applied")}, created=ago(hours=3)
    )
    fake.put_workflow(workflow)
    assert main(["list"]) == 0
    header, row = table(capsys)
    assert header == [
        "KIND", "ENVIRONMENT", "NAME", "REQUEST", "ID", "REQUESTER", "OUTCOME", "APPROVER", "AGE"
    ]  # fmt: skip
    request_id = workflow["metadata"]["labels"]["idp.platform/request-id"]
    assert row == [
        "compute", "dev", "scripted", request_id, "ada@example.com", "succeeded",
        RECORDED_APPROVER, "3h",
    ]  # fmt: skip


def test_list_is_newest_first(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    put(fake, manifests, request_id="old", created=ago(days=3))
    put(fake, manifests, request_id="new", created=ago(minutes=1))
    put(fake, manifests, request_id="mid", created=ago(hours=2))
    assert main(["list"]) == 0
    assert [row[3] for row in table(capsys)[1:]] == ["new", "mid", "old"]


def test_requests_created_in_the_same_second_are_listed_by_workflow_name(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    created = ago(minutes=1)
    for request_id in ("b2", "a1", "c3"):
        put(fake, manifests, request_id=request_id, created=created)
    assert main(["list"]) == 0
    assert [row[3] for row in table(capsys)[1:]] == ["a1", "b2", "c3"]


def test_list_asks_the_server_only_for_workflows_carrying_a_platform_request(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    put(fake, manifests, request_id="ours")
    foreign = labelled(manifests, created=ago(minutes=1), request_id="theirs")
    del foreign["metadata"]["labels"]["idp.platform/request-id"]
    fake.put_workflow(foreign)
    assert main(["list"]) == 0
    assert sent_selectors(fake) == [PLATFORM]
    assert [row[3] for row in table(capsys)[1:]] == ["ours"]


def test_list_asks_only_for_the_fields_it_shows(fake: FakeArgo) -> None:
    assert main(["list"]) == 0
    (request,) = [r for r in fake.requests if r.template == "/api/v1/workflows/{namespace}"]
    assert "items.status.nodes" in request.query["fields"][0].split(",")
    assert "items.spec.templates" not in request.query["fields"][0]


@pytest.mark.parametrize(
    ("flags", "term"),
    [
        (["--kind", "storage"], "idp.platform/kind=storage"),
        (["--environment", "prod"], "idp.platform/environment=prod"),
        (
            ["--requester", "grace.hopper@example.com"],
            "idp.platform/requester=grace.hopper_example.com",
        ),
    ],
    ids=["kind", "environment", "requester"],
)
def test_kind_environment_and_requester_select_by_label_on_the_server(
    fake: FakeArgo, manifests: list[Manifest], flags: list[str], term: str
) -> None:
    assert main(["list", *flags]) == 0
    assert sent_selectors(fake) == [f"{PLATFORM},{term}"]


def test_the_kind_filter_lists_only_that_kind(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    put(fake, manifests, "compute", request_id="c1")
    put(fake, manifests, "storage", request_id="s1")
    assert main(["list", "--kind", "storage"]) == 0
    assert [(row[0], row[3]) for row in table(capsys)[1:]] == [("storage", "s1")]


def test_the_requester_filter_takes_the_address_as_the_template_records_it(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    put(fake, manifests, request_id="mine", requester_email="ann+cloud@example.com")
    put(fake, manifests, request_id="other", requester_email="bob@example.com")
    assert main(["list", "--requester", "ann+cloud@example.com"]) == 0
    assert [row[3] for row in table(capsys)[1:]] == ["mine"]


def test_a_label_selector_narrows_the_selection_on_the_server(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    put(fake, manifests, request_id="d1", environment="dev")
    put(fake, manifests, request_id="t1", environment="test")
    put(fake, manifests, request_id="p1", environment="prod")
    assert main(["list", "-l", "idp.platform/environment in (dev, prod)"]) == 0
    assert sent_selectors(fake) == [f"{PLATFORM},idp.platform/environment in (dev, prod)"]
    assert sorted(row[3] for row in table(capsys)[1:]) == ["d1", "p1"]


def test_a_selector_is_sent_as_given_and_the_servers_refusal_reported_in_one_line(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Argo Server parses the selector itself and refuses it with 400 and the parser's
    message (server/utils/list_options.go, `BuildListOptions`: `labels.ParseToRequirements`,
    InvalidArgument)."""
    assert main(["list", "-l", "env in (a b)"]) == EXIT_REJECTED
    assert sent_selectors(fake) == [f"{PLATFORM},env in (a b)"]
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith(f"idp: Argo Server {fake.url}: 400 Bad Request on GET ")
    assert "unable to parse requirement: found 'b', expected: ',' or ')'" in err


def test_a_trailing_comma_is_the_servers_to_refuse(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", "-l", "x,"]) == EXIT_REJECTED
    assert "found '', expected: identifier after ','" in capsys.readouterr().err


@pytest.mark.parametrize(
    "selector",
    ["x=" + "v" * 1024, "x=\x1b[2Jy", "a\nb=c"],
    ids=["too-long", "escape", "newline"],
)
def test_a_selector_past_its_bound_is_refused_before_anything_is_sent(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], selector: str
) -> None:
    assert main(["list", "-l", selector]) == EXIT_USAGE
    assert capsys.readouterr().err.startswith(
        f"idp: -l/--selector: {len(selector)} characters; a selector is at most 1024 printable "
    )
    assert fake.requests == []


def test_a_requester_that_is_no_label_value_is_refused_before_anything_is_sent(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", "--requester", "a,b"]) == EXIT_USAGE
    assert capsys.readouterr().err.startswith(
        "idp: --requester 'a,b': a label value is at most 63 "
    )
    assert fake.requests == []


def test_since_is_sent_to_the_server_as_created_after(fake: FakeArgo) -> None:
    assert main(["list", "--since", "90m"]) == 0
    (request,) = [r for r in fake.requests if r.template == "/api/v1/workflows/{namespace}"]
    (created_after,) = request.query["createdAfter"]
    assert ago(minutes=92) < created_after <= ago(minutes=89)


def test_since_keeps_only_recent_requests_even_when_the_server_ignores_it(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    """server/workflow/store/lister.go, `kubeLister.ListWorkflows`: createdAfter unused."""
    fake.applies_created_after = False
    put(fake, manifests, request_id="today", created=ago(hours=1))
    put(fake, manifests, request_id="lastweek", created=ago(days=7))
    assert main(["list", "--since", "24h"]) == 0
    assert [row[3] for row in table(capsys)[1:]] == ["today"]


@pytest.mark.parametrize("text", ["1d", "0s", "-5m", "soon"])
def test_a_since_that_is_no_positive_go_duration_is_a_usage_error(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    assert main(["list", f"--since={text}"]) == EXIT_USAGE
    assert capsys.readouterr().err.startswith(f"idp: --since {text!r}")
    assert fake.requests == []


def test_the_outcome_filter_keeps_requests_in_that_state(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    waiting = labelled(manifests, created=ago(minutes=3), request_id="waits")
    fake.put_workflow(with_status(waiting, statuses.waiting(waiting["metadata"]["name"])))
    put(fake, manifests, request_id="starting")
    assert main(["list", "--outcome", "awaiting-approval"]) == 0
    rows = table(capsys)[1:]
    assert [(row[3], row[5]) for row in rows] == [("waits", "awaiting-approval")]


def test_an_unknown_kind_is_a_usage_error_naming_the_kinds(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", "--kind", "widget"]) == EXIT_USAGE
    assert "compute" in capsys.readouterr().err
    assert fake.requests == []


def test_no_match_prints_no_table_and_says_what_was_asked(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    put(fake, manifests, request_id="c1")
    assert main(["list", "--environment", "prod", "--since", "2h"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"no requests in namespace argo-events on {fake.url} match "
        f"{PLATFORM},idp.platform/environment=prod and created in the last 2h\n"
    )


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_no_match_with_o_json_or_yaml_prints_an_empty_list(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    assert main(["list", "-o", output]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == []


def test_o_json_prints_each_request_with_its_workflow_and_timestamps(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = ran(manifests, "NO", {"finish": finished("rejected", "answered NO")})
    fake.put_workflow(workflow)
    assert main(["list", "-o", "json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown == {
        "workflow": workflow["metadata"]["name"],
        "kind": "compute",
        "environment": "dev",
        "name": "scripted",
        "request_id": workflow["metadata"]["labels"]["idp.platform/request-id"],
        "requester": "ada@example.com",
        "state": "rejected",
        "phase": workflow["status"]["phase"],
        "reason": "answered NO",
        "approval": "NO",
        "approver": RECORDED_APPROVER,
        "created": "2027-01-15T08:00:00Z",
        "finished": workflow["status"]["finishedAt"],
    }


def test_o_yaml_prints_what_o_json_prints(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    put(fake, manifests, request_id="c1")
    put(fake, manifests, "database", request_id="d1", created=ago(minutes=1))
    assert main(["list", "-o", "json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert main(["list", "-o", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == as_json


def test_limit_shows_the_newest_and_says_how_many_there_are(
    fake: FakeArgo, manifests: list[Manifest], capsys: pytest.CaptureFixture[str]
) -> None:
    for minutes, request_id in enumerate(["r1", "r2", "r3"], start=1):
        put(fake, manifests, request_id=request_id, created=ago(minutes=minutes))
    assert main(["list", "--limit", "2"]) == 0
    captured = capsys.readouterr()
    assert [line.split()[3] for line in captured.out.splitlines()[1:]] == ["r1", "r2"]
    assert captured.err == "showing the newest 2 of 3 requests (--limit)\n"
