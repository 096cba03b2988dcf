"""The day-two CronWorkflows: what they run, when, how many at once, and under which lock."""

from __future__ import annotations

from typing import Any

import pytest

from idp.catalog import DEFAULT_CATALOG
from idp.compile import build
from idp.manifests import Manifest
from idp.settings import Settings, SettingsError, load_settings

KINDS = sorted(DEFAULT_CATALOG)


def cron(manifests: list[Manifest], name: str) -> Manifest:
    (found,) = [
        m for m in manifests if m["kind"] == "CronWorkflow" and m["metadata"]["name"] == name
    ]
    return found


def templates(manifest: Manifest) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in manifest["spec"]["workflowSpec"]["templates"]}


def provision_mutex(manifests: list[Manifest], kind: str) -> str:
    (template,) = [
        m
        for m in manifests
        if m["kind"] == "WorkflowTemplate" and m["metadata"]["name"] == f"{kind}-provision-workflow"
    ]
    (mutex,) = template["spec"]["synchronization"]["mutexes"]
    return str(mutex["name"])


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_a_drift_and_an_expiry_cron_workflow(
    manifests: list[Manifest], kind: str
) -> None:
    assert cron(manifests, f"{kind}-drift")["spec"]["workflowSpec"]["entrypoint"] == "drift"
    assert cron(manifests, f"{kind}-expiry")["spec"]["workflowSpec"]["entrypoint"] == "expire"


@pytest.mark.parametrize("kind", KINDS)
def test_a_drift_check_takes_the_lock_of_the_stacks_provisioning_runs(
    manifests: list[Manifest], kind: str
) -> None:
    (mutex,) = templates(cron(manifests, f"{kind}-drift"))["check"]["synchronization"]["mutexes"]
    as_check = mutex["name"].replace("inputs.parameters", "X")
    assert as_check == provision_mutex(manifests, kind).replace("workflow.parameters", "X")


def test_only_the_stacks_identity_passes_through_argo_parameters(
    manifests: list[Manifest],
) -> None:
    check = templates(cron(manifests, "compute-drift"))["drift"]["dag"]["tasks"][1]
    assert check["withParam"] == "{{tasks.stacks.outputs.parameters.stacks}}"
    assert check["arguments"]["parameters"] == [
        {"name": "environment", "value": "{{item.environment}}"},
        {"name": "name", "value": "{{item.name}}"},
    ]


def test_every_stack_is_checked_even_after_one_fails(manifests: list[Manifest]) -> None:
    assert templates(cron(manifests, "compute-drift"))["drift"]["dag"]["failFast"] is False


def test_the_checks_fan_out_over_what_was_listed_also_when_a_store_failed(
    manifests: list[Manifest],
) -> None:
    """`stacks` exits 1 when an environment's registry cannot be listed, after writing the
    others' stacks; the executor saves a failed container's outputs (`SaveParameters`), so the
    checks depend on its end, not its success, and nothing at all reads as no stacks."""
    drift = templates(cron(manifests, "compute-drift"))
    check = drift["drift"]["dag"]["tasks"][1]
    assert check["depends"] == "stacks.Succeeded || stacks.Failed"
    (listed,) = drift["stacks"]["outputs"]["parameters"]
    assert listed["valueFrom"]["default"] == "[]"


def test_schedules_and_policies_come_from_settings() -> None:
    settings = Settings.model_validate(
        {
            "drift": {"schedule": "15 2 * * 1", "parallelism": 2},
            "expiry": {"schedule": "@hourly"},
            "cron_timezone": "Europe/Berlin",
            "cron_concurrency_policy": "Replace",
            "cron_starting_deadline_seconds": 60,
        }
    )
    objects = build(settings)
    drift, expiry = cron(objects, "storage-drift"), cron(objects, "storage-expiry")
    assert drift["spec"]["schedules"] == ["15 2 * * 1"]
    assert expiry["spec"]["schedules"] == ["@hourly"]
    assert templates(drift)["drift"]["parallelism"] == 2
    for spec in (drift["spec"], expiry["spec"]):
        assert (spec["timezone"], spec["concurrencyPolicy"]) == ("Europe/Berlin", "Replace")
        assert spec["startingDeadlineSeconds"] == 60


def test_the_reaper_judges_by_the_scheduled_time(manifests: list[Manifest]) -> None:
    args = templates(cron(manifests, "database-expiry"))["expire"]["container"]["args"]
    assert args[args.index("--now") + 1] == "{{workflow.scheduledTime}}"


@pytest.mark.parametrize("name", ["compute-drift", "compute-expiry"])
def test_only_the_steps_that_start_runs_see_the_webhook_token(
    manifests: list[Manifest], name: str
) -> None:
    for template in templates(cron(manifests, name)).values():
        env = (template.get("container") or {}).get("env") or []
        tokens = [e for e in env if e["name"] == "IDP_WEBHOOK_TOKEN"]
        assert bool(tokens) == (template["name"] in ("check", "expire")), template["name"]


@pytest.mark.parametrize("schedule", ["* * *", "every day", "0 3 * * * *", "@sometimes"])
def test_a_schedule_cron_cannot_read_is_refused(schedule: str) -> None:
    with pytest.raises(SettingsError, match="drift"):
        load_settings(env={"IDP_DRIFT__SCHEDULE": schedule})
