"""Day two through `idp local-cron`: the compiled drift and expiry CronWorkflows, run as the cron
controller would at a time the test chooses, over stacks a provision run registered.

Everything runs for real (the step programs, Terraform on the fixture module, the registry in
the local state folder); the webhook the reaper and remediation POST to is a local fake, as are
Azure and the callback. Drift is made by changing what the state says exists, as a person
editing the resource in the portal would; a stack whose state cannot be read fails its check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.argo.fake_webhook import FakeWebhook, serving
from tests.fakes.azure import SUBSCRIPTION
from tests.local.conftest import LocalPlatform, Run, example

# Each test runs idp local and local-cron with the real programs: slow (-m 'not slow' skips it).
pytestmark = pytest.mark.slow

WEBHOOK_TOKEN = "webhook-token-for-tests"  # a test value, mounted as a Secret
KIND = "compute"


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWebhook]:
    with serving(FakeWebhook()) as fake:
        monkeypatch.setenv("IDP_WEBHOOK_SERVICE_URL", fake.url)
        yield fake


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    """The Secrets the day-two steps mount, as `--secrets` takes them: a folder per Secret."""
    folder = tmp_path / "secrets" / "webhook-token"
    folder.mkdir(parents=True)
    (folder / "token").write_text(WEBHOOK_TOKEN)
    return folder.parent


def provision(platform: LocalPlatform, name: str, **changes: Any) -> dict[str, Any]:
    request = example(KIND, name=name, **changes)
    run = platform.run(KIND, request)
    assert (run.phase, run.outcome) == ("Succeeded", "succeeded"), run.log
    return request


def registered(platform: LocalPlatform, name: str, environment: str = "dev") -> Path:
    return platform.tmp / "state" / KIND / environment / f"{name}.stack.json"


def state_of(platform: LocalPlatform, name: str, environment: str = "dev") -> Path:
    return platform.tmp / "state" / KIND / environment / f"{name}.tfstate"


def checks(run: Run) -> dict[str, dict[str, Any]]:
    """The drift check of each stack, by `environment/name`."""
    prefix = f"{run.workflow['metadata']['name']}.check("
    return {
        f"{_param(node, 'environment')}/{_param(node, 'name')}": node
        for node in run.workflow["status"]["nodes"].values()
        if node["name"].startswith(prefix) and node["type"] == "Pod"
    }


def _param(node: dict[str, Any], name: str) -> str:
    return next(str(p["value"]) for p in node["inputs"]["parameters"] if p["name"] == name)


def output(node: dict[str, Any], name: str) -> str | None:
    for item in (node.get("outputs") or {}).get("parameters") or []:
        if item["name"] == name:
            return str(item.get("value"))
    return None


def drift(platform: LocalPlatform, secrets: Path, at: str = "2030-01-02T03:00:00Z") -> Run:
    return platform.cron(f"{KIND}-drift", at, extra=("--secrets", str(secrets)))


def change_outside_the_run(state: Path, node_count: int) -> None:
    """What someone scaling the cluster in the portal does: the state now records it."""
    document = json.loads(state.read_text())
    for resource in document["resources"]:
        if resource["name"] == "cluster":
            for instance in resource["instances"]:
                instance["attributes"]["input"]["value"]["node_count"] = node_count
    state.write_text(json.dumps(document))


# -- drift -----------------------------------------------------------------------------------


def test_a_stack_that_matches_its_code_is_in_sync_and_nobody_is_told(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    provision(platform, "steady")
    before = len(platform.notices())
    run = drift(platform, secrets)
    assert (run.code, run.phase) == (0, "Succeeded")
    check = checks(run)["dev/steady"]
    assert (check["phase"], output(check, "result")) == ("Succeeded", "in-sync")
    assert output(check, "summary") == "0 to add, 0 to change, 0 to destroy"
    assert len(platform.notices()) == before
    assert webhook.received == []


def test_a_stack_changed_outside_the_run_is_drifted_and_its_requester_told(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    request = provision(platform, "scaled")
    change_outside_the_run(state_of(platform, "scaled"), 7)
    before = len(platform.notices())
    run = drift(platform, secrets)
    check = checks(run)["dev/scaled"]
    assert (run.phase, check["phase"], output(check, "result")) == (
        "Succeeded",
        "Succeeded",
        "drifted",
    )
    assert output(check, "summary") == "0 to add, 1 to change, 0 to destroy"
    (notice,) = platform.notices()[before:]
    assert (notice["phase"], notice["request_id"]) == ("drifted", request["request_id"])
    assert "update" in notice["reason"]
    assert webhook.received == []  # remediation is off unless settings name the environment


def test_drift_plans_only_and_leaves_the_drifted_state_as_it_found_it(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    provision(platform, "untouched")
    state = state_of(platform, "untouched")
    change_outside_the_run(state, 9)
    before = state.read_text()
    drift(platform, secrets)
    assert state.read_text() == before


def test_a_drifted_stack_gets_a_provision_run_through_the_webhook_when_settings_say_so(
    platform: LocalPlatform,
    webhook: FakeWebhook,
    secrets: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IDP_DRIFT__REMEDIATE", '["dev"]')
    request = provision(platform, "healed")
    change_outside_the_run(state_of(platform, "healed"), 5)
    drift(platform, secrets)
    (sent,) = webhook.received
    body = json.loads(sent.body)
    assert sent.path == f"/{KIND}"
    assert sent.headers["authorization"] == f"Bearer {WEBHOOK_TOKEN}"
    assert (body["action"], body["request_id"] != request["request_id"]) == ("provision", True)
    assert {k: body[k] for k in request if k != "request_id"} == {
        k: v for k, v in request.items() if k != "request_id"
    }


def test_a_stack_whose_state_cannot_be_read_fails_its_check_and_the_run(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    provision(platform, "broken")
    provision(platform, "fine")
    state_of(platform, "broken").write_text("{not json")
    run = drift(platform, secrets)
    found = checks(run)
    assert (found["dev/broken"]["phase"], output(found["dev/broken"], "result")) == (
        "Failed",
        "failed",
    )
    assert output(found["dev/fine"], "result") == "in-sync"  # failFast: false, the rest ran
    assert run.phase == "Failed"


def test_no_registered_stack_means_nothing_to_check(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    run = drift(platform, secrets)
    assert (run.phase, checks(run)) == ("Succeeded", {})
    assert (run.node("check") or {}).get("phase") == "Skipped"


# -- expiry ----------------------------------------------------------------------------------


def expiry(platform: LocalPlatform, secrets: Path, at: datetime) -> Run:
    when = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return platform.cron(f"{KIND}-expiry", when, extra=("--secrets", str(secrets)))


def entry_of(platform: LocalPlatform, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(registered(platform, name).read_text())
    return document


def expires_at(platform: LocalPlatform, name: str) -> datetime:
    return datetime.fromisoformat(entry_of(platform, name)["expires_at"].replace("Z", "+00:00"))


def summary(run: Run) -> str | None:
    """The reaper's summary: its Workflow is one step, the entrypoint's node."""
    name = run.workflow["metadata"]["name"]
    return output(run.workflow["status"]["nodes"][name], "summary")


def test_a_stack_records_when_it_expires_ttl_hours_after_its_apply(
    platform: LocalPlatform,
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    provision(platform, "brief", ttl_hours=48)
    after = datetime.now(UTC)
    assert (
        before + timedelta(hours=48) <= expires_at(platform, "brief") <= after + timedelta(hours=48)
    )


def test_a_stack_without_ttl_never_expires(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    provision(platform, "forever")
    assert entry_of(platform, "forever").get("expires_at") is None
    run = expiry(platform, secrets, datetime.now(UTC) + timedelta(days=3650))
    assert (run.phase, summary(run)) == ("Succeeded", "0 destroys started, 0 warned, 0 failed")
    assert webhook.received == []


def test_before_the_warning_time_the_reaper_does_nothing(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    provision(platform, "fresh", ttl_hours=48)
    before = len(platform.notices())
    run = expiry(platform, secrets, expires_at(platform, "fresh") - timedelta(hours=25))
    assert (run.phase, summary(run)) == ("Succeeded", "0 destroys started, 0 warned, 0 failed")
    assert len(platform.notices()) == before
    assert webhook.received == []


def test_within_the_warning_time_the_requester_is_told_once(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    request = provision(platform, "soon", ttl_hours=48)
    before = len(platform.notices())
    at = expires_at(platform, "soon") - timedelta(hours=12)
    run = expiry(platform, secrets, at)
    assert summary(run) == "0 destroys started, 1 warned, 0 failed"
    (notice,) = platform.notices()[before:]
    assert (notice["phase"], notice["request_id"]) == ("expiring", request["request_id"])
    expiry(platform, secrets, at + timedelta(hours=1))
    assert len(platform.notices()) == before + 1
    assert webhook.received == []


def test_an_expired_stack_gets_a_destroy_run_through_the_webhook_once(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    request = provision(platform, "done", ttl_hours=48)
    at = expires_at(platform, "done") + timedelta(minutes=1)
    run = expiry(platform, secrets, at)
    assert (run.phase, summary(run)) == ("Succeeded", "1 destroys started, 0 warned, 0 failed")
    (sent,) = webhook.received
    body = json.loads(sent.body)
    assert (sent.path, body["action"], body["name"]) == (f"/{KIND}", "destroy", "done")
    assert sent.headers["authorization"] == f"Bearer {WEBHOOK_TOKEN}"
    assert body["request_id"] != request["request_id"]
    assert entry_of(platform, "done")["reaper_request_id"] == body["request_id"]
    assert platform.notices()[-1]["phase"] == "expired"
    expiry(platform, secrets, at + timedelta(hours=1))
    assert len(webhook.received) == 1


def test_a_destroy_the_webhook_refuses_fails_the_sweep_and_is_tried_again(
    platform: LocalPlatform, webhook: FakeWebhook, secrets: Path
) -> None:
    provision(platform, "retry-me", ttl_hours=48)
    at = expires_at(platform, "retry-me") + timedelta(minutes=1)
    webhook.answers = [(400, "refused", {})]
    failed = expiry(platform, secrets, at)
    assert (failed.phase, summary(failed)) == ("Failed", "0 destroys started, 0 warned, 1 failed")
    assert entry_of(platform, "retry-me")["reaper_request_id"] is None
    webhook.answers = [(200, "success", {})]
    again = expiry(platform, secrets, at + timedelta(minutes=30))
    assert summary(again) == "1 destroys started, 0 warned, 0 failed"
    assert len(webhook.received) == 2


def test_the_reapers_destroy_runs_without_approval_where_settings_waive_it(
    platform: LocalPlatform,
    webhook: FakeWebhook,
    secrets: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IDP_EXPIRY__APPROVAL_WAIVED", '["dev"]')
    provision(platform, "reaped", ttl_hours=24)
    expiry(platform, secrets, expires_at(platform, "reaped") + timedelta(minutes=1))
    body = json.loads(webhook.received[0].body)

    run = platform.run(KIND, body, approve=None, approver=None)

    assert (run.phase, run.outcome) == ("Succeeded", "succeeded")
    assert (run.node("approve") or {}).get("phase") == "Skipped"
    assert run.found("apply")["decide"] == "approved by nobody (approval waived: the stack expired)"
    assert {"apply", "verify"} <= set(run.found("apply"))
    assert not registered(platform, "reaped").exists()
    assert not state_of(platform, "reaped").exists()


def test_a_destroy_the_reaper_did_not_start_still_needs_approval_where_waived(
    platform: LocalPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDP_EXPIRY__APPROVAL_WAIVED", '["dev"]')
    provision(platform, "kept", ttl_hours=24)
    destroy = example(KIND, name="kept", request_id="someone-else", action="destroy")

    run = platform.run(KIND, destroy, approve="NO")

    assert (run.phase, run.outcome) == ("Failed", "rejected")
    assert not run.applied
    assert registered(platform, "kept").exists()


# -- destroy, verified -----------------------------------------------------------------------


def test_a_verified_destroy_removes_the_registry_entry_and_the_state(
    platform: LocalPlatform,
) -> None:
    provision(platform, "gone")
    run = platform.run(KIND, example(KIND, name="gone", request_id="gone-now", action="destroy"))
    assert (run.phase, run.outcome) == ("Succeeded", "succeeded")
    assert not registered(platform, "gone").exists()
    assert not state_of(platform, "gone").exists()
    assert "nothing tagged" in platform.notices()[-1]["reason"]


def test_a_destroy_that_leaves_a_tagged_resource_fails_verify_and_keeps_the_record(
    platform: LocalPlatform,
) -> None:
    provision(platform, "sticky")
    group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-sticky-dev"
    leftover = f"{group}/providers/Microsoft.Network/publicIPAddresses/ip"
    platform.arm.leftovers = [{"id": leftover, "tags": {"idp-stack": f"{KIND}-dev-sticky"}}]
    run = platform.run(KIND, example(KIND, name="sticky", request_id="not-gone", action="destroy"))
    assert run.phase == "Failed"
    assert run.found("apply")["verify"].startswith("failed: ")
    assert registered(platform, "sticky").exists()
    assert leftover in platform.notices()[-1]["reason"]
