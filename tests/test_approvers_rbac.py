"""Who may answer approvals: the compiled approver ServiceAccount the Argo Server's SSO RBAC maps
the approvers' group to, its token Secret, and a Role of exactly what answering needs.

The rules are the Argo Server's (v4.1.2): server/auth/gatekeeper.go `getServiceAccount`,
`precedence` and `authorizationForServiceAccount`, util/secrets/secret_name.go `TokenName`; and
expr-lang/expr v1.17.8 for the rule's text (parser/lexer/lexer.go `scanString`).
"""

from __future__ import annotations

import pytest

from idp.approvers import approver_rbac, rbac_rule
from idp.compile import build
from idp.manifests import Manifest
from idp.settings import Settings, SettingsError, load_settings


def approver(manifests: list[Manifest], kind: str, settings: Settings) -> Manifest:
    name = settings.approver_service_account
    if kind == "Secret":
        name += ".service-account-token"
    return next(m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name)


def granted(role: Manifest) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_the_approver_role_grants_exactly_reading_and_updating_workflows(
    manifests: list[Manifest], settings: Settings
) -> None:
    """get, list and watch to show runs; update for set and resume (updateSuspendedNode)."""
    role = approver(manifests, "Role", settings)
    assert granted(role) == {
        ("argoproj.io", "workflows", "get"),
        ("argoproj.io", "workflows", "list"),
        ("argoproj.io", "workflows", "watch"),
        ("argoproj.io", "workflows", "update"),
    }


@pytest.mark.parametrize(
    "forbidden",
    ["create", "delete", "deletecollection", "patch", "*", "pods", "pods/exec", "secrets"],
)
def test_no_approver_rule_grants_writing_more_executing_or_secrets(
    manifests: list[Manifest], settings: Settings, forbidden: str
) -> None:
    rules = approver(manifests, "Role", settings)["rules"]
    assert not any(forbidden in rule["verbs"] + rule["resources"] for rule in rules)


def test_the_approver_role_and_binding_live_in_the_platform_namespace(
    manifests: list[Manifest], settings: Settings
) -> None:
    role = approver(manifests, "Role", settings)
    binding = approver(manifests, "RoleBinding", settings)
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "argo-events"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "idp-approver",
    }


def test_the_binding_names_the_account_in_the_argo_servers_namespace(
    manifests: list[Manifest], settings: Settings
) -> None:
    """SSO RBAC looks for accounts in the server's own namespace (gatekeeper.go,
    rbacAuthorization: getServiceAccount(claims, s.ssoNamespace))."""
    binding = approver(manifests, "RoleBinding", settings)
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "idp-approver", "namespace": "argo"}
    ]
    account = approver(manifests, "ServiceAccount", settings)
    assert account["metadata"]["namespace"] == "argo"


def test_the_account_carries_the_rbac_rule_for_the_approvers_group(
    manifests: list[Manifest], settings: Settings
) -> None:
    annotations = approver(manifests, "ServiceAccount", settings)["metadata"]["annotations"]
    assert annotations == {
        "workflows.argoproj.io/rbac-rule": "'platform-approvers' in $env?.groups",
        "workflows.argoproj.io/rbac-rule-precedence": "1",
    }


def test_the_rule_reads_groups_optionally_so_a_person_without_groups_does_not_match() -> None:
    """Claims without groups have no `groups` key (omitempty), and a bare `groups` fails to
    compile in expr's strict map environment, which aborts getServiceAccount for everyone below;
    `$env?.groups` is nil then, and `in nil` is false (expr vm/runtime `In`)."""
    assert rbac_rule("ops") == "'ops' in $env?.groups"


def test_the_precedence_comes_from_the_settings() -> None:
    settings = Settings.model_validate({"approver_rbac_precedence": -5})
    account = approver(approver_rbac(settings), "ServiceAccount", settings)
    assert account["metadata"]["annotations"]["workflows.argoproj.io/rbac-rule-precedence"] == "-5"


def test_the_token_secret_is_the_one_the_argo_server_reads(
    manifests: list[Manifest], settings: Settings
) -> None:
    """secret_name.go, TokenNameForServiceAccount: an account that lists no Secret and has no
    token-name annotation is read from `<name>.service-account-token`; Kubernetes fills a Secret
    of type service-account-token that names its account."""
    secret = approver(manifests, "Secret", settings)
    assert secret["metadata"]["name"] == "idp-approver.service-account-token"
    assert secret["metadata"]["namespace"] == "argo"
    assert secret["type"] == "kubernetes.io/service-account-token"
    assert secret["metadata"]["annotations"] == {
        "kubernetes.io/service-account.name": "idp-approver"
    }
    assert "data" not in secret and "stringData" not in secret


def test_the_names_and_namespaces_come_from_the_settings() -> None:
    settings = Settings.model_validate(
        {"approver_service_account": "answerers", "argo_server_namespace": "argo-system"}
    )
    objects = approver_rbac(settings)
    assert [(m["kind"], m["metadata"]["namespace"], m["metadata"]["name"]) for m in objects] == [
        ("ServiceAccount", "argo-system", "answerers"),
        ("Secret", "argo-system", "answerers.service-account-token"),
        ("Role", "argo-events", "answerers"),
        ("RoleBinding", "argo-events", "answerers"),
    ]
    assert objects[3]["subjects"][0]["namespace"] == "argo-system"


def test_compile_writes_the_approver_objects(settings: Settings) -> None:
    kinds = {(m["kind"], m["metadata"]["name"]) for m in build(settings)}
    assert {
        ("ServiceAccount", "idp-approver"),
        ("Secret", "idp-approver.service-account-token"),
        ("Role", "idp-approver"),
        ("RoleBinding", "idp-approver"),
    } <= kinds


# -- the group inside the rule's quoted string


def expr_string(text: str) -> tuple[str, str]:
    """The single-quoted string `text` starts with, and what follows it, as expr's lexer reads
    them (lexer.go, scanString: the string ends at the first unescaped quote; a newline or the
    end of the text is an error; a backslash escapes the next character)."""
    assert text.startswith("'")
    index = 1
    value = []
    while text[index] != "'":
        if text[index] == "\n":
            raise ValueError("literal not terminated")
        if text[index] == "\\":
            index += 1
        value.append(text[index])
        index += 1
    return "".join(value), text[index + 1 :]


@pytest.mark.parametrize(
    "group",
    [
        "platform-approvers",
        "ac1ef805-ac6a-4ce9-854a-1cb406aa7121",
        "Platform Approvers",
        'x" || true || "y',
        "x) || (true",
        "a in groups || true",
        "équipe/approbation",
        "{{workflow.name}}",
    ],
)
def test_every_group_the_settings_accept_stays_inside_the_rules_string(group: str) -> None:
    settings = Settings.model_validate({"approvers_group": group})
    rule = rbac_rule(settings.approvers_group)
    assert expr_string(rule) == (group, " in $env?.groups")


@pytest.mark.parametrize(
    "group",
    ["x' || true || 'y", "x\\' || true", "a\nb", "a\rb", "a\tb", "a\x00", "a\x7f", "a\x85", ""],
)
def test_a_group_that_could_leave_the_string_is_refused_naming_the_setting(group: str) -> None:
    with pytest.raises(SettingsError, match=r"^settings\.approvers_group: "):
        load_settings(env={"IDP_APPROVERS_GROUP": group})


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("approver_rbac_precedence", "1001"),
        ("approver_service_account", "Approvers"),
        ("argo_server_namespace", "argo.system"),
    ],
)
def test_the_approver_settings_are_checked(setting: str, value: str) -> None:
    with pytest.raises(SettingsError, match=rf"^settings\.{setting}: "):
        load_settings(env={f"IDP_{setting.upper()}": value})
