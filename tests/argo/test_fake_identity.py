"""The fake Argo Server records the caller as the real one does (v4.1.2): `set` and `resume`
label the Workflow (workflow/util/util.go `updateSuspendedNode`, workflow/creator/creator.go
`LabelActor` and `Label`), `resume` names the caller in the node's message (`ResumeWorkflow`,
`UserInfoMap`), and `GET /api/v1/userinfo` answers the claims (server/info/info_server.go
`GetUserInfo`)."""

from __future__ import annotations

from typing import Any

import pytest

from idp.argo.client import ArgoClient
from idp.argo.connection import resolve
from idp.manifests import Manifest
from idp.settings import load_settings
from tests.argo import statuses
from tests.argo.fake_argo import FakeArgo
from tests.argo.workflows import name_of, rendered

ACTOR = "workflows.argoproj.io/actor"
EMAIL = "workflows.argoproj.io/actor-email"
USERNAME = "workflows.argoproj.io/actor-preferred-username"
ACTION = "workflows.argoproj.io/action"
LEE = {"sub": "CiQxMjM", "email": "lee@example.com", "preferred_username": "lee"}


@pytest.fixture
def waiting(fake: FakeArgo) -> str:
    workflow = rendered("compute")
    workflow["status"] = statuses.waiting(name_of(workflow))
    fake.put_workflow(workflow)
    return name_of(workflow)


def client_for(fake: FakeArgo, token: str) -> ArgoClient:
    env = {"ARGO_SERVER": fake.url, "ARGO_TOKEN": token}
    return ArgoClient(resolve(env, load_settings().namespace))


def live(fake: FakeArgo, name: str) -> Manifest:
    found = fake.get("workflows", load_settings().namespace, name)
    assert found is not None
    return found


def labels(fake: FakeArgo, name: str) -> dict[str, str]:
    found: dict[str, str] = live(fake, name)["metadata"].get("labels") or {}
    return {k: v for k, v in found.items() if k in (ACTOR, EMAIL, USERNAME, ACTION)}


def test_set_labels_the_workflow_with_the_caller_and_no_action(
    fake: FakeArgo, waiting: str
) -> None:
    fake.identities["lee-token"] = LEE
    with client_for(fake, "lee-token") as client:
        client.set_outputs(waiting, f"{waiting}-4", {"approve": "YES"})
    assert labels(fake, waiting) == {
        ACTOR: "CiQxMjM",
        EMAIL: "lee.at.example.com",
        USERNAME: "lee",
    }


def test_resume_labels_the_workflow_with_the_caller_and_the_action_resume(
    fake: FakeArgo, waiting: str
) -> None:
    fake.identities["lee-token"] = LEE
    with client_for(fake, "lee-token") as client:
        client.resume(waiting, f"{waiting}-4")
    assert labels(fake, waiting)[ACTION] == "Resume"


def test_resume_names_the_caller_in_the_nodes_message_as_go_prints_the_map(
    fake: FakeArgo, waiting: str
) -> None:
    fake.identities["lee-token"] = LEE
    with client_for(fake, "lee-token") as client:
        client.resume(waiting, f"{waiting}-4")
    node = live(fake, waiting)["status"]["nodes"][f"{waiting}-4"]
    assert node["message"] == (
        "Resumed by: map[Email:lee@example.com PreferredUsername:lee User:CiQxMjM]"
    )


def test_each_label_value_is_made_dns_friendly(fake: FakeArgo, waiting: str) -> None:
    fake.identities["t"] = {"sub": "system:serviceaccount:argo-events:idp-admin"}
    with client_for(fake, "t") as client:
        client.set_outputs(waiting, f"{waiting}-4", {"approve": "YES"})
    assert labels(fake, waiting) == {ACTOR: "system-serviceaccount-argo-events-idp-admin"}


def test_a_caller_without_claims_removes_the_labels_an_earlier_caller_left(
    fake: FakeArgo, waiting: str
) -> None:
    """creator.go, Label: a request without auth information unlabels the object."""
    fake.identities["lee-token"] = LEE
    with client_for(fake, "lee-token") as client:
        client.set_outputs(waiting, f"{waiting}-4", {"approve": "YES"})
    with client_for(fake, "not-a-jwt") as client:
        client.resume(waiting, f"{waiting}-4")
    assert labels(fake, waiting) == {}
    assert "message" not in live(fake, waiting)["status"]["nodes"][f"{waiting}-4"]


def test_an_empty_claim_removes_its_label(fake: FakeArgo, waiting: str) -> None:
    fake.identities["lee-token"] = LEE
    fake.identities["no-mail"] = {"sub": "CiQ0NTY"}
    with client_for(fake, "lee-token") as client:
        client.set_outputs(waiting, f"{waiting}-4", {"approve": "YES"})
    with client_for(fake, "no-mail") as client:
        client.resume(waiting, f"{waiting}-4")
    assert labels(fake, waiting) == {ACTOR: "CiQ0NTY", ACTION: "Resume"}


CLAIMS: dict[str, Any] = {
    "iss": "https://login.example.org",
    "sub": "CiQxMjM",
    "email": "lee@example.com",
    "email_verified": True,
    "groups": ["platform-approvers"],
    "name": "Lee Reviewer",
    "preferred_username": "lee",
    "service_account_name": "idp-approver",
    "service_account_namespace": "argo",
}


def test_userinfo_answers_the_claims_as_get_user_info_does(fake: FakeArgo) -> None:
    fake.identities["lee-token"] = CLAIMS
    with client_for(fake, "lee-token") as client:
        assert client.user_info() == {
            "issuer": "https://login.example.org",
            "subject": "CiQxMjM",
            "groups": ["platform-approvers"],
            "email": "lee@example.com",
            "emailVerified": True,
            "serviceAccountName": "idp-approver",
            "serviceAccountNamespace": "argo",
            "name": "Lee Reviewer",
        }


def test_userinfo_without_claims_is_empty(fake: FakeArgo) -> None:
    with client_for(fake, "not-a-jwt") as client:
        assert client.user_info() == {}


@pytest.mark.parametrize("claims", [CLAIMS, {"sub": "x"}, None])
def test_the_fakes_userinfo_answer_keeps_to_the_spec(
    fake: FakeArgo, claims: dict[str, Any] | None
) -> None:
    if claims is not None:
        fake.identities["t"] = claims
    with client_for(fake, "t") as client:
        answer = client.user_info()
    assert fake.contract.answer_errors("GET", "/api/v1/userinfo", answer) == []


def test_the_answer_check_refuses_a_field_the_spec_does_not_list(fake: FakeArgo) -> None:
    errors = fake.contract.answer_errors("GET", "/api/v1/userinfo", {"preferredUsername": "x"})
    assert any("preferredUsername" in line for line in errors)
