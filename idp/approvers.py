"""Who may answer approvals: the ServiceAccount the Argo Server acts as for the approvers' SSO
group, the token Secret it acts with, and a Role of exactly what answering needs.

How the Argo Server (v4.1.2, `--auth-mode=sso` with `rbac.enabled`) picks an identity for a
person, in server/auth/gatekeeper.go: `rbacAuthorization` calls `getServiceAccount` for the
server's own namespace (its SSO namespace; other namespaces only with
`SSO_DELEGATE_RBAC_TO_NAMESPACE`), which lists the ServiceAccounts there that carry the
annotation `workflows.argoproj.io/rbac-rule`, sorts them by
`workflows.argoproj.io/rbac-rule-precedence` (`precedence`: the annotation read as an integer,
0 when absent or not a number; highest first) and takes the first whose rule, an expr-lang
expression over the person's claims (util/expr/argoexpr `EvalBool`), is true. The server then
acts with that account's token, read from a Secret (`authorizationForServiceAccount`) whose
name util/secrets/secret_name.go `TokenNameForServiceAccount` gives: with no `secrets` listed on
the account and no token-name annotation, `TokenName`, `<account>.service-account-token`.
Kubernetes 1.24 and later create no such Secret, so it is compiled here: a Secret of type
`kubernetes.io/service-account-token` naming the account, which Kubernetes fills with a token.
Hence the account and its Secret live in `settings.argo_server_namespace`, and a RoleBinding in
the platform's namespace grants it the Role there.

The rule is `'<approvers_group>' in $env?.groups`, not the usual `... in groups`: the claims
become the expression's environment as JSON (`jsonutil.Jsonify`), where `groups` is left out
when empty (`omitempty` in server/auth/types/claims.go), and expr compiles a map environment
strictly, so a bare `groups` is a compile error ("unknown name groups") for a person without
groups, and an error stops `getServiceAccount` for every account below this one. An optional
member of `$env` is not checked strictly (expr-lang/expr v1.17.8, checker/checker.go
`memberNode`), is nil when missing (expr_test.go, `$env?.unknown`), and `in` over nil is false
(vm/runtime/runtime.go `In`). The group is written inside a single-quoted expr string, which
ends at the first unescaped quote and rejects a newline (parser/lexer/lexer.go `scanString`);
the settings refuse a quote, a backslash and control characters in `approvers_group`, so the
string holds exactly the group.

The Role, verb by verb, from server/workflow/workflow_server.go and workflow/util/util.go:

- workflows `get`: `GetWorkflow` (the UI's workflow page), and `SetWorkflow` and
  `ResumeWorkflow` read the Workflow first (`getWorkflow`); `updateSuspendedNode` reads it again
  before changing it;
- workflows `list`: `ListWorkflows` asks `auth.CanI(ctx, "list", "workflows", ...)` before it
  lists (the UI's list of runs);
- workflows `watch`: `WatchWorkflows` watches with the caller's client (the UI's live view);
- workflows `update`: `updateSuspendedNode`, behind both `set` and a node's `resume`, writes the
  answer and the resumed node with `Update` (never `Patch`).

Nothing else: the UI's workflow page draws the run from the Workflow itself (its stored
template; a WorkflowTemplate is only linked), the approval node carries the plan's summary and
sha256 as inputs, so no WorkflowTemplates or pod logs are needed; and no create, delete,
pods/exec or Secrets.
"""

from __future__ import annotations

from idp.manifests import Manifest, metadata, role, role_binding, service_account
from idp.settings import Settings

RBAC_RULE = "workflows.argoproj.io/rbac-rule"
RBAC_RULE_PRECEDENCE = "workflows.argoproj.io/rbac-rule-precedence"
SERVICE_ACCOUNT_NAME = "kubernetes.io/service-account.name"
TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"  # noqa: S105 - a type, not a value

RULES = [
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflows"],
        "verbs": ["get", "list", "watch", "update"],
    },
]


def rbac_rule(group: str) -> str:
    """The expr-lang rule that matches members of `group` (and nobody without groups)."""
    return f"'{group}' in $env?.groups"


def token_secret_name(service_account_name: str) -> str:
    """The Secret the Argo Server reads the account's token from (secret_name.go, TokenName)."""
    return f"{service_account_name}.service-account-token"


def approver_rbac(settings: Settings) -> list[Manifest]:
    """The approver ServiceAccount and its token Secret (in the Argo Server's namespace), and
    the Role and RoleBinding (in the platform's namespace)."""
    name = settings.approver_service_account
    home = settings.argo_server_namespace
    annotations = {
        RBAC_RULE: rbac_rule(settings.approvers_group),
        RBAC_RULE_PRECEDENCE: str(settings.approver_rbac_precedence),
    }
    token = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(
            token_secret_name(name), home, annotations={SERVICE_ACCOUNT_NAME: name}
        ),
        "type": TOKEN_SECRET_TYPE,
    }
    return [
        service_account(name, home, annotations),
        token,
        role(name, settings.namespace, RULES),
        role_binding(name, settings.namespace, name, home),
    ]
