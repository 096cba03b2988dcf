"""docs/cluster.md and `idp doctor` tell the same story: every place doctor points to exists,
and every Secret the settings name has its command in the guide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from idp import doctor
from idp.approvers import rbac_rule
from idp.settings import Settings

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "cluster.md"


def anchors(text: str) -> set[str]:
    """GitHub's anchors of the headings: lowercase, punctuation dropped, spaces to hyphens."""
    return {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", text, re.M)
    }


def test_every_section_doctor_points_to_exists() -> None:
    source = Path(doctor.__file__).read_text()
    pointed = set(re.findall(r"#([0-9a-z-]+)\)", source))
    assert pointed
    assert pointed <= anchors(GUIDE.read_text())


@pytest.mark.parametrize(
    "secret",
    ["webhook-token", "platformsecrets", "idp-notify", "artifact-storage"],
)
def test_every_secret_has_the_command_that_creates_it(secret: str, settings: Settings) -> None:
    assert f"kubectl -n {settings.namespace} create secret generic {secret} " in (GUIDE.read_text())


def test_the_guide_names_the_tested_versions() -> None:
    text = GUIDE.read_text()
    assert "Argo Workflows v4.1.2" in text
    assert f"Argo Events {doctor.EVENTS_VERSION}" in text
    assert "releases/download/v4.1.2/install.yaml" in text
    assert f"argo-events/{doctor.EVENTS_VERSION}/manifests/install.yaml" in text


def test_the_readme_links_the_guide() -> None:
    readme = (GUIDE.parents[1] / "README.md").read_text()
    assert "(docs/cluster.md)" in readme


def test_the_guide_shows_the_compiled_approver_rule_and_writes_no_role_by_hand(
    settings: Settings,
) -> None:
    text = GUIDE.read_text()
    assert rbac_rule(settings.approvers_group) in text
    assert settings.approver_service_account in text
    assert "kind: Role" not in text


def test_the_guide_turns_on_sso_rbac_with_the_groups_scope() -> None:
    text = GUIDE.read_text()
    assert "--auth-mode=sso" in text
    assert "scopes: [groups]" in text
    assert "rbac: {enabled: true}" in text
