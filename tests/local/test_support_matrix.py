"""The pipeline ends the same on every Argo Workflows release of the support matrix.

`idp local --argo-version` runs a request with the rules of one release of `idp.compat`'s
matrix; `idp.compat.RULES` names each rule the compiled objects rely on and the releases it
holds from. The reaper's waived destroy is the path that drifted before (a skipped approval's
output read by apply: `workflow/controller/scope.go`, `addSkippedNodeOutputsToScope`, from
v4.0.7); it now reads nothing of a skipped task, and succeeds for every kind on every release.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from idp.compat import ARGO_WORKFLOWS, OUT, RULES, tags
from tests.argo.fake_webhook import FakeWebhook, serving
from tests.local.conftest import KINDS, LocalPlatform, example

RELEASES = tags(ARGO_WORKFLOWS)


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWebhook]:
    with serving(FakeWebhook()) as fake:
        monkeypatch.setenv("IDP_WEBHOOK_SERVICE_URL", fake.url)
        yield fake


def test_every_rule_the_templates_rely_on_holds_on_every_release_of_the_matrix() -> None:
    for rule in RULES:
        assert all(rule.holds_on(tag) for tag in RELEASES), rule.name


def test_a_release_just_outside_the_matrix_breaks_a_rule_the_templates_rely_on() -> None:
    queued = next(r for r in RULES if "waits for its mutex" in r.name)
    assert not queued.holds_on("v4.1.1") and not queued.holds_on("v4.0.9")
    assert "v4.1.1" in OUT[0][0]


@pytest.mark.slow
@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_reapers_waived_destroy_succeeds(
    platform: LocalPlatform,
    webhook: FakeWebhook,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    release: str,
) -> None:
    monkeypatch.setenv("IDP_EXPIRY__APPROVAL_WAIVED", '["dev"]')
    on_release = ("--argo-version", release)
    secrets = platform.tmp / "secrets" / "webhook-token"
    secrets.mkdir(parents=True)
    (secrets / "token").write_text("webhook-token-for-tests")
    provisioned = platform.run(
        kind, example(kind, name="reaped", environment="dev", ttl_hours=24), extra=on_release
    )
    assert provisioned.outcome == "succeeded", provisioned.log
    entry = platform.tmp / "state" / kind / "dev" / "reaped.stack.json"
    expires = datetime.fromisoformat(json.loads(entry.read_text())["expires_at"])
    at = (expires + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    swept = platform.cron(
        f"{kind}-expiry", at, extra=("--secrets", str(secrets.parent), *on_release)
    )
    assert swept.phase == "Succeeded", swept.log

    run = platform.run(
        kind, json.loads(webhook.received[0].body), approve=None, approver=None, extra=on_release
    )

    assert (run.phase, run.outcome) == ("Succeeded", "succeeded"), run.log
    assert (run.node("approve") or {}).get("phase") == "Skipped"
    assert run.found("apply")["decide"] == "approved by nobody (approval waived: the stack expired)"
    assert not entry.exists()
    assert f"with Argo Workflows {release}'s rules" in run.log
