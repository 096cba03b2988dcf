"""`idp submit` against the contract-checking fake Argo Server."""

from __future__ import annotations

import copy

import pytest

from idp.argo.client import MANAGED_KINDS
from idp.cli import main
from idp.compile import build
from idp.errors import (
    EXIT_CONFLICT,
    EXIT_NOT_APPLIED,
    EXIT_REJECTED,
    EXIT_SERVER_ERROR,
    EXIT_UNSUPPORTED,
    EXIT_USAGE,
)
from idp.manifests import Manifest
from idp.settings import load_settings
from tests.argo.fake_argo import CREATOR_LABEL, FakeArgo

RESOURCE = {
    "WorkflowTemplate": "workflow-templates",
    "EventSource": "event-sources",
    "Sensor": "sensors",
}


def managed() -> list[Manifest]:
    """What submit must put on the server, with the settings `main` will load."""
    return [m for m in build(load_settings()) if m["kind"] in MANAGED_KINDS]


def stored(fake: FakeArgo, manifest: Manifest) -> Manifest | None:
    meta = manifest["metadata"]
    return fake.get(RESOURCE[manifest["kind"]], meta["namespace"], meta["name"])


def outcome_lines(out: str) -> dict[str, str]:
    """`Kind/name` -> the action printed for it."""
    found = {}
    for line in out.splitlines():
        words = line.split()
        if words and "/" in words[-1] and words[-1].split("/")[0] in MANAGED_KINDS:
            found[words[-1]] = " ".join(words[:-1])
    return found


def label(manifest: Manifest) -> str:
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


def test_first_submit_creates_every_template_event_source_and_sensor(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    out = capsys.readouterr().out
    assert outcome_lines(out) == {label(m): "created" for m in managed()}
    for manifest in managed():
        live = stored(fake, manifest)
        assert live is not None
        assert live["spec"] == manifest["spec"]


def test_first_submit_lints_every_template_before_writing_anything(fake: FakeArgo) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    templates = [m for m in managed() if m["kind"] == "WorkflowTemplate"]
    lints = [i for i, r in enumerate(fake.requests) if r.path.endswith("/lint")]
    first_write = fake.requests.index(fake.writes()[0])
    assert len(lints) == len(templates)
    assert max(lints) < first_write
    assert [fake.requests[i].body["template"] for i in lints] == templates


def test_second_submit_reports_everything_unchanged_and_writes_nothing(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    writes_after_first = len(fake.writes())
    capsys.readouterr()
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    out = capsys.readouterr().out
    assert outcome_lines(out) == {label(m): "unchanged" for m in managed()}
    assert len(fake.writes()) == writes_after_first


def test_labels_the_server_adds_do_not_count_as_a_change(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    template = next(m for m in managed() if m["kind"] == "WorkflowTemplate")
    live = stored(fake, template)
    assert live is not None and CREATOR_LABEL in live["metadata"]["labels"]
    capsys.readouterr()
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    assert outcome_lines(capsys.readouterr().out)[label(template)] == "unchanged"


def test_a_changed_setting_updates_only_the_objects_it_touches(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    before = {label(m): stored(fake, m) for m in managed()}
    capsys.readouterr()
    monkeypatch.setenv("IDP_APPROVAL_TIMEOUT", "48h")
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    lines = outcome_lines(capsys.readouterr().out)
    templates = {label(m) for m in managed() if m["kind"] == "WorkflowTemplate"}
    assert {name for name, action in lines.items() if action == "updated"} == templates
    assert {name for name, action in lines.items() if action == "unchanged"} == set(
        lines
    ) - templates
    for manifest in managed():
        live = stored(fake, manifest)
        assert live is not None and live["spec"] == manifest["spec"]
    puts = [r for r in fake.writes() if r.method == "PUT"]
    assert len(puts) == len(templates)
    for put in puts:
        sent = put.body["template"]
        old = before[f"WorkflowTemplate/{sent['metadata']['name']}"]
        assert old is not None
        assert sent["metadata"]["resourceVersion"] == old["metadata"]["resourceVersion"]


def test_an_update_keeps_the_labels_the_server_set(
    fake: FakeArgo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    monkeypatch.setenv("IDP_APPROVAL_TIMEOUT", "48h")
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    template = next(m for m in managed() if m["kind"] == "WorkflowTemplate")
    live = stored(fake, template)
    assert live is not None
    assert live["metadata"]["labels"] == {
        **template["metadata"]["labels"],
        CREATOR_LABEL: "system-serviceaccount",
    }


def test_dry_run_on_an_empty_server_says_created_and_writes_nothing(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit", "--dry-run", "--no-kubectl"]) == 0
    out = capsys.readouterr().out
    assert outcome_lines(out) == {label(m): "would be created" for m in managed()}
    assert "nothing was written" in out
    assert fake.writes() == []
    assert fake.store == {}


def test_dry_run_after_a_change_says_updated_and_writes_nothing(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    writes = len(fake.writes())
    before = dict(fake.store)
    capsys.readouterr()
    monkeypatch.setenv("IDP_APPROVAL_TIMEOUT", "48h")
    assert main(["submit", "--dry-run", "--no-kubectl"]) == 0
    lines = outcome_lines(capsys.readouterr().out)
    assert {a for n, a in lines.items() if n.startswith("WorkflowTemplate/")} == {
        "would be updated"
    }
    assert {a for n, a in lines.items() if not n.startswith("WorkflowTemplate/")} == {"unchanged"}
    assert len(fake.writes()) == writes
    assert fake.store == before


def test_a_create_that_meets_409_updates_the_object_instead(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone creates the object between our read and our create."""
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    capsys.readouterr()
    sensor = next(m for m in managed() if m["kind"] == "Sensor")
    name = sensor["metadata"]["name"]
    key = ("sensors", sensor["metadata"]["namespace"], name)
    fake.store[key]["spec"]["triggers"] = []
    fake.fail("GET", f"/sensors/.*/{name}$", 404, f'sensors.argoproj.io "{name}" not found')
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    assert outcome_lines(capsys.readouterr().out)[label(sensor)] == "updated"
    assert fake.store[key]["spec"] == sensor["spec"]


def test_a_template_that_fails_the_servers_lint_stops_submit_before_any_write(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail("POST", "/lint$", 400, "templates.plan: failed to resolve {{inputs.parameters.x}}")
    assert main(["submit", "--no-kubectl"]) == EXIT_REJECTED
    err = capsys.readouterr().err
    assert err.startswith("idp: WorkflowTemplate/")
    assert "lint rejects it; nothing was written" in err
    assert "failed to resolve" in err
    assert fake.writes() == []


def test_a_failed_update_leaves_the_old_object_in_place(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    before = {key: dict(value) for key, value in fake.store.items()}
    monkeypatch.setenv("IDP_APPROVAL_TIMEOUT", "48h")
    fake.fail("PUT", "/workflow-templates/", 500, "etcdserver: request timed out")
    assert main(["submit", "--no-kubectl"]) == EXIT_SERVER_ERROR
    assert "etcdserver: request timed out" in capsys.readouterr().err
    assert fake.store == before


def test_an_update_of_an_object_changed_meanwhile_is_a_conflict(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    monkeypatch.setenv("IDP_APPROVAL_TIMEOUT", "48h")
    fake.fail("PUT", "/workflow-templates/", 409, "the object has been modified")
    assert main(["submit", "--no-kubectl"]) == EXIT_CONFLICT
    err = capsys.readouterr().err
    assert "409 Conflict" in err
    assert "changed on the server since it was read" in err


def test_submit_refuses_a_namespace_other_than_the_settings_one(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit", "--no-kubectl", "--namespace", "elsewhere"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"belongs in namespace {load_settings().namespace!r}" in err
    assert fake.requests == []


def test_no_kubectl_exits_16_naming_what_was_not_applied(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    captured = capsys.readouterr()
    assert "kubectl apply --server-side" in captured.out
    assert captured.err.startswith("idp: submit: ")
    assert "were not applied; run the command printed above" in captured.err


def test_dry_run_shows_a_unified_diff_of_each_update(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["submit", "--no-kubectl"])
    capsys.readouterr()
    monkeypatch.setenv("IDP_APPROVAL_TIMEOUT", "48h")
    assert main(["submit", "--dry-run", "--no-kubectl"]) == 0
    out = capsys.readouterr().out
    name = "WorkflowTemplate/compute-provision-workflow"
    assert f"  --- live/{name}\n  +++ compiled/{name}\n" in out
    assert "  -      duration: 24h\n  +      duration: 48h\n" in out


def test_dry_run_shows_no_diff_for_unchanged_objects(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["submit", "--no-kubectl"])
    capsys.readouterr()
    assert main(["submit", "--dry-run", "--no-kubectl"]) == 0
    assert "--- live/" not in capsys.readouterr().out


def retired_sensor(fake: FakeArgo, labels: dict[str, str]) -> tuple[str, str, str]:
    """A Sensor on the server that the catalog does not have, with `labels`."""
    sensor = copy.deepcopy(next(m for m in managed() if m["kind"] == "Sensor"))
    sensor["metadata"].update(name="network-provision-sensor", labels=labels)
    key = ("sensors", sensor["metadata"]["namespace"], "network-provision-sensor")
    fake.store[key] = sensor
    return key


def test_prune_deletes_what_idp_created_that_the_catalog_no_longer_has(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    key = retired_sensor(fake, {"app.kubernetes.io/part-of": "idp"})
    assert main(["submit", "--no-kubectl", "--prune"]) == EXIT_NOT_APPLIED
    assert key not in fake.store
    assert outcome_lines(capsys.readouterr().out)["Sensor/network-provision-sensor"] == "deleted"
    assert all(stored(fake, m) is not None for m in managed())


def test_prune_leaves_objects_idp_did_not_create(fake: FakeArgo) -> None:
    key = retired_sensor(fake, {"team": "someone-else"})
    main(["submit", "--no-kubectl", "--prune"])
    assert key in fake.store


def test_without_prune_nothing_is_deleted(fake: FakeArgo) -> None:
    key = retired_sensor(fake, {"app.kubernetes.io/part-of": "idp"})
    main(["submit", "--no-kubectl"])
    assert key in fake.store
    assert not [r for r in fake.requests if r.method == "DELETE"]


def test_a_dry_run_prune_says_what_would_be_deleted_and_deletes_nothing(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    key = retired_sensor(fake, {"app.kubernetes.io/part-of": "idp"})
    assert main(["submit", "--dry-run", "--no-kubectl", "--prune"]) == 0
    out = outcome_lines(capsys.readouterr().out)
    assert out["Sensor/network-provision-sensor"] == "would be deleted"
    assert key in fake.store


def test_submit_refuses_an_argo_server_of_a_release_idp_does_not_support(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    """idp.compat: the templates rely on v4.1's `when` resolution (workflow/controller/dag.go,
    `resolveDependencyReferences`); a v4.0 controller reads them otherwise."""
    fake.version = "v4.0.9"
    assert main(["submit", "--no-kubectl"]) == EXIT_UNSUPPORTED
    assert "Argo Workflows v4.0.9 is not a supported release" in capsys.readouterr().err
    assert fake.writes() == []
