"""The day-two steps against real Terraform on the fixture module and its local state: the
registry written by report, drift checks of registered stacks, and the expiry reaper.

Drift is made real by changing a resource in the state, as a change made in Azure outside
Terraform shows up in a refreshed state; the webhook the reaper starts runs through is a fake.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.argo.fake_webhook import FakeWebhook
from tests.fakes.callback import Callback
from tests.steps.conftest import Steps, compute_request, passed

# Each test runs the step programs with real Terraform: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

STACK = ["--backend", "local"]


def provision(steps: Steps, request: dict[str, Any] | None = None) -> None:
    """plan and apply a stack, as a provision run does."""
    passed(steps.plan("plan", request=request))
    passed(steps.apply("plan", request=request))


def entry(steps: Steps, name: str = "demo", environment: str = "dev") -> dict[str, Any]:
    path = steps.tmp / "state" / "compute" / environment / f"{name}.stack.json"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def drift(steps: Steps, env: dict[str, str] | None = None, name: str = "demo") -> Any:
    where = ["--environment", "dev", "--name", name, "--out", str(steps.out("drift"))]
    return steps.run("drift", *steps.stack("drift-pod"), *where, env=env)


def drift_record(steps: Steps) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((steps.out("drift") / "drift.json").read_text())
    return loaded


def change_outside_terraform(steps: Steps) -> None:
    """Someone changes the cluster's node count in Azure: the state now says 7."""
    path = steps.tmp / "state" / "compute" / "dev" / "demo.tfstate"
    state = json.loads(path.read_text())
    for resource in state["resources"]:
        if resource["name"] == "cluster":
            resource["instances"][0]["attributes"]["input"]["value"]["node_count"] = 7
    path.write_text(json.dumps(state))


def expire(steps: Steps, now: datetime, env: dict[str, str]) -> Any:
    at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = ["--out", str(steps.out("expiry")), "--work", str(steps.tmp / "reaper")]
    state = ["--state-dir", str(steps.tmp / "state")]
    return steps.run("expire", "--kind", "compute", *STACK, *state, "--now", at, *out, env=env)


# --- the registry --------------------------------------------------------------------------------


def test_report_registers_the_stack_with_its_request_and_approver(steps: Steps) -> None:
    provision(steps)
    recorded_entry = entry(steps)
    assert recorded_entry["request"] == {
        **compute_request(),
        "cloud_provider": "azure",
        "action": "provision",
        "vm_size": "Standard_D2s_v5",
        "ttl_hours": 0,
    }
    assert (recorded_entry["approver"], recorded_entry["expires_at"]) == (
        "lee.at.example.com",
        None,
    )
    assert recorded_entry["module_version"]


def test_a_stack_with_a_ttl_expires_that_long_after_its_apply(steps: Steps) -> None:
    provision(steps, compute_request(ttl_hours=24))
    recorded_entry = entry(steps)
    applied = datetime.fromisoformat(recorded_entry["applied_at"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(recorded_entry["expires_at"].replace("Z", "+00:00"))
    assert expires - applied == timedelta(hours=24)


def test_stacks_lists_every_registered_stack_of_the_kind(steps: Steps) -> None:
    provision(steps)
    state = ["--state-dir", str(steps.tmp / "state"), "--out", str(steps.out("stacks"))]
    passed(steps.run("stacks", "--kind", "compute", *STACK, *state))
    listed = json.loads((steps.out("stacks") / "stacks").read_text())
    assert listed == [{"environment": "dev", "name": "demo"}]


# --- drift ---------------------------------------------------------------------------------------


def test_a_stack_as_its_code_says_is_in_sync(steps: Steps) -> None:
    provision(steps)
    passed(drift(steps))
    assert (steps.out("drift") / "result").read_text() == "in-sync"


def test_a_stack_changed_outside_terraform_is_drifted_and_its_requester_told(
    steps: Steps, callback: Callback
) -> None:
    provision(steps)
    change_outside_terraform(steps)
    passed(drift(steps, {"IDP_CALLBACK_URL": callback.url}))
    record = drift_record(steps)
    assert record["result"] == "drifted"
    assert "terraform_data.cluster" in record["changes"]
    (notice,) = [body for _, body in callback.received]
    assert (notice["phase"], notice["request_id"]) == ("drifted", compute_request()["request_id"])


def test_a_drift_check_never_applies(steps: Steps) -> None:
    provision(steps)
    change_outside_terraform(steps)
    before = (steps.tmp / "state" / "compute" / "dev" / "demo.tfstate").read_text()
    passed(drift(steps))
    assert (steps.tmp / "state" / "compute" / "dev" / "demo.tfstate").read_text() == before


def test_a_stack_that_cannot_be_planned_is_failed(steps: Steps) -> None:
    provision(steps)
    (steps.tmp / "state" / "compute" / "dev" / "demo.tfstate").write_text("{not json")
    result = drift(steps)
    assert result.returncode == 1
    assert drift_record(steps)["result"] == "failed"


def test_a_drifted_stack_gets_a_provision_run_where_settings_say_so(
    steps: Steps, webhook: FakeWebhook
) -> None:
    provision(steps)
    change_outside_terraform(steps)
    env = {
        "IDP_DRIFT__REMEDIATE": '["dev"]',
        "IDP_WEBHOOK_SERVICE_URL": webhook.url,
        "IDP_WEBHOOK_TOKEN": "hook-token\n",
    }
    passed(drift(steps, env))
    (sent,) = webhook.received
    body = json.loads(sent.body)
    assert sent.path == "/compute"
    assert sent.headers["authorization"] == "Bearer hook-token"
    assert body["request_id"] != compute_request()["request_id"]
    assert {k: v for k, v in body.items() if k != "request_id"} == {
        k: v for k, v in entry(steps)["request"].items() if k != "request_id"
    }
    assert (
        drift_record(steps)["remediation"] == f"provision run started: request {body['request_id']}"
    )


def test_a_stack_not_in_the_registry_is_an_error(steps: Steps) -> None:
    result = drift(steps, name="never-made")
    assert result.returncode == 1
    assert "compute/dev/never-made: not in the registry" in result.stderr


# --- expiry --------------------------------------------------------------------------------------


def reaper_env(webhook: FakeWebhook, callback: Callback) -> dict[str, str]:
    return {
        "IDP_WEBHOOK_SERVICE_URL": webhook.url,
        "IDP_WEBHOOK_TOKEN": "hook-token",
        "IDP_CALLBACK_URL": callback.url,
    }


def expires_at(steps: Steps) -> datetime:
    return datetime.fromisoformat(entry(steps)["expires_at"].replace("Z", "+00:00"))


def test_nothing_is_done_before_the_warning_time(
    steps: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    provision(steps, compute_request(ttl_hours=48))
    passed(expire(steps, expires_at(steps) - timedelta(hours=25), reaper_env(webhook, callback)))
    assert (webhook.received, callback.received) == ([], [])


def test_the_requester_is_warned_once_before_the_stack_expires(
    steps: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    provision(steps, compute_request(ttl_hours=48))
    soon = expires_at(steps) - timedelta(hours=2)
    passed(expire(steps, soon, reaper_env(webhook, callback)))
    passed(expire(steps, soon + timedelta(minutes=30), reaper_env(webhook, callback)))
    assert [body["phase"] for _, body in callback.received] == ["expiring"]
    assert webhook.received == []


def test_an_expired_stack_gets_a_destroy_run_recorded_in_its_entry(
    steps: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    provision(steps, compute_request(ttl_hours=24))
    passed(expire(steps, expires_at(steps) + timedelta(minutes=1), reaper_env(webhook, callback)))
    (sent,) = webhook.received
    body = json.loads(sent.body)
    assert body["action"] == "destroy"
    assert entry(steps)["reaper_request_id"] == body["request_id"]
    assert [b["phase"] for _, b in callback.received] == ["expired"]


def test_an_expired_stack_is_reaped_once(
    steps: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    provision(steps, compute_request(ttl_hours=24))
    later = expires_at(steps) + timedelta(minutes=1)
    passed(expire(steps, later, reaper_env(webhook, callback)))
    passed(expire(steps, later + timedelta(minutes=30), reaper_env(webhook, callback)))
    assert len(webhook.received) == 1


def test_a_destroy_the_webhook_refuses_is_tried_again_next_time(
    steps: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    provision(steps, compute_request(ttl_hours=24))
    webhook.answers = [(400, "refused", {}), (200, "success", {})]
    later = expires_at(steps) + timedelta(minutes=1)
    result = expire(steps, later, reaper_env(webhook, callback))
    assert result.returncode == 1
    assert entry(steps)["reaper_request_id"] is None
    passed(expire(steps, later + timedelta(minutes=30), reaper_env(webhook, callback)))
    assert entry(steps)["reaper_request_id"] == json.loads(webhook.received[-1].body)["request_id"]


# --- the waiver ----------------------------------------------------------------------------------


def reaped(steps: Steps, webhook: FakeWebhook, callback: Callback) -> dict[str, Any]:
    """A stack with a ttl, expired and reaped: the destroy request the reaper sent."""
    provision(steps, compute_request(ttl_hours=24))
    passed(expire(steps, expires_at(steps) + timedelta(minutes=1), reaper_env(webhook, callback)))
    body: dict[str, Any] = json.loads(webhook.received[-1].body)
    return body


def unapproved_apply(steps: Steps, request: dict[str, Any], env: dict[str, str]) -> Any:
    args = ["--sha256", steps.sha256("destroy-plan"), "--approval", "", "--next", "apply"]
    args += ["--out", str(steps.out("destroy-applied"))]
    return steps.run("apply", *steps.stack("destroy-apply"), *args, request=request, env=env)


def test_the_reapers_destroy_needs_no_approval_where_settings_waive_it(
    steps: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    destroy = reaped(steps, webhook, callback)
    waived = {"IDP_EXPIRY__APPROVAL_WAIVED": '["dev"]'}
    passed(
        steps.run(
            "plan",
            *steps.stack("dp"),
            "--out",
            str(steps.out("destroy-plan")),
            request=destroy,
            env=waived,
        )
    )
    assert (steps.out("destroy-plan") / "waived").read_text() == "true"
    passed(unapproved_apply(steps, destroy, waived))
    assert steps.state().get("resources") in ([], None)


def test_without_the_setting_the_reapers_destroy_waits_for_approval(
    steps: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    destroy = reaped(steps, webhook, callback)
    passed(
        steps.run(
            "plan", *steps.stack("dp"), "--out", str(steps.out("destroy-plan")), request=destroy
        )
    )
    assert (steps.out("destroy-plan") / "waived").read_text() == "false"
    result = unapproved_apply(steps, destroy, {})
    assert result.returncode == 1
    assert "not the reaper's destroy of an expired stack" in result.stderr


def test_a_destroy_someone_else_sends_is_never_waived(
    steps: Steps, webhook: FakeWebhook, callback: Callback
) -> None:
    destroy = {**reaped(steps, webhook, callback), "request_id": "someone-else"}
    waived = {"IDP_EXPIRY__APPROVAL_WAIVED": '["dev"]'}
    passed(
        steps.run(
            "plan",
            *steps.stack("dp"),
            "--out",
            str(steps.out("destroy-plan")),
            request=destroy,
            env=waived,
        )
    )
    assert (steps.out("destroy-plan") / "waived").read_text() == "false"
    assert unapproved_apply(steps, destroy, waived).returncode == 1


def test_apply_refuses_an_empty_answer_without_a_waiver(steps: Steps) -> None:
    passed(steps.plan("plan"))
    args = ["--sha256", steps.sha256("plan"), "--approval", "", "--next", "apply"]
    result = steps.run("apply", *steps.stack("apply-pod"), *args, "--out", "applied")
    assert result.returncode == 1
    assert result.stderr == (
        "apply: failed at decide: refusing to apply: no approval, and this is not the reaper's"
        " destroy of an expired stack in an environment that waives it\n"
    )
