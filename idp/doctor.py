"""`idp doctor`: check a cluster against everything docs/cluster.md sets up, one line per check.

Through the Argo Server (ARGO_SERVER, with the idp-admin token): it answers, at the version the
project is tested against, the token may list and read in the namespace, and every compiled
WorkflowTemplate, EventSource and Sensor is there. Through kubectl (its current context, when
there is one): the namespace, the Argo CRDs, the EventBus, every Secret with the keys the
platform reads (key names only: no value is read), the ServiceAccounts with their annotations,
the ConfigMaps, the approver ServiceAccount SSO RBAC maps the approvers' group to (in the Argo
Server's namespace, with the compiled rule) and its token, and the workload identity webhook.
And the settings: what `idp compile --strict` refuses. Each failing line says what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from idp.approvers import RBAC_RULE, RBAC_RULE_PRECEDENCE, rbac_rule, token_secret_name
from idp.argo import kubectl
from idp.argo.client import MANAGED_KINDS, ArgoClient
from idp.argo.connection import Connection
from idp.argo.errors import ArgoError
from idp.compat import ARGO_EVENTS, ARGO_WORKFLOWS, tags, workflows_problem
from idp.errors import EXIT_FORBIDDEN, EXIT_UNAUTHORIZED
from idp.manifests import Manifest, dump
from idp.settings import Settings, unusable
from idp.text import printable

WORKFLOWS_VERSION = tags(ARGO_WORKFLOWS)[-1]
EVENTS_VERSION = tags(ARGO_EVENTS)[-1]
CRDS = (
    "workflows.argoproj.io",
    "workflowtemplates.argoproj.io",
    "eventsources.argoproj.io",
    "sensors.argoproj.io",
    "eventbus.argoproj.io",
)
CLIENT_ID = "azure.workload.identity/client-id"
WI_WEBHOOK = "azure-wi-webhook-mutating-webhook-configuration"
GUIDE = "docs/cluster.md"


@dataclass(frozen=True)
class Check:
    """One line of the report: `state` is ok, FAIL or skip."""

    name: str
    state: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """The check as one printable line (a detail may hold what a server said)."""
        text = f"{self.state:<5} {self.name:<32} {self.detail}"
        return printable(text + (f"; fix: {self.fix}" if self.fix and self.state != "ok" else ""))


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, "FAIL", detail, fix)


def skip(name: str, detail: str, fix: str) -> Check:
    return Check(name, "skip", detail, fix)


# -- settings


def settings_checks(settings: Settings) -> list[Check]:
    problems = unusable(settings)
    if not problems:
        return [ok("settings", "no placeholder, a subscription and client id for every env")]
    fix = "set it in the settings file (idp compile --strict checks the same)"
    found = []
    for problem in problems:
        name, _, why = problem.partition(": ")
        found.append(fail(name, why, fix))
    return found


# -- the Argo Server


def argo_checks(client: ArgoClient | None, compiled: list[Manifest], why_not: str) -> list[Check]:
    if client is None:
        return [
            fail(
                "argo-server",
                why_not,
                "kubectl -n argo port-forward svc/argo-server 2746:2746 and export "
                "ARGO_SERVER=localhost:2746 ARGO_TOKEN (see " + GUIDE + ")",
            )
        ]
    where = client.connection.server
    renew = (
        f'ARGO_TOKEN="Bearer $(kubectl -n {client.connection.namespace} create token '
        'idp-admin)"; the idp-admin Role comes with idp compile'
    )
    try:
        version = client.version() or "?"
    except ArgoError as exc:
        if exc.code in (EXIT_UNAUTHORIZED, EXIT_FORBIDDEN):
            return [ok("argo-server", f"{where} answers"), fail("argo-token", str(exc), renew)]
        return [fail("argo-server", str(exc), f"install Argo Workflows {WORKFLOWS_VERSION}")]
    problem = workflows_problem(version)
    found = [
        ok("argo-server", f"{where} answers, Argo Workflows {version}")
        if problem is None
        else fail(
            "argo-server",
            f"{where}: {problem}",
            f"install Argo Workflows {WORKFLOWS_VERSION} (see {GUIDE})",
        )
    ]
    try:
        client.list_names("WorkflowTemplate", "app.kubernetes.io/part-of=idp")
    except ArgoError as exc:
        return [*found, fail("argo-token", str(exc), renew)]
    found.append(ok("argo-token", f"the token may read namespace {client.connection.namespace}"))
    for manifest in (m for m in compiled if m["kind"] in MANAGED_KINDS):
        label = f"{manifest['kind']}/{manifest['metadata']['name']}"
        try:
            present = client.get(manifest["kind"], manifest["metadata"]["name"]) is not None
        except ArgoError as exc:
            found.append(fail(label, str(exc), f"install Argo Events {EVENTS_VERSION}"))
            continue
        found.append(
            ok(label, "present")
            if present
            else fail(label, "missing", "idp submit (after idp compile --strict)")
        )
    return found


# -- kubectl


class Cluster:
    """Read-only kubectl queries in the current context."""

    def __init__(self, tool: kubectl.Kubectl, namespace: str) -> None:
        self.tool = tool
        self.namespace = namespace

    def get(
        self, kind: str, name: str, *, namespaced: bool = True, namespace: str = ""
    ) -> Manifest | None:
        where = ["-n", namespace or self.namespace] if namespaced else []
        done = kubectl.query(self.tool, [*where, "get", kind, name, "-o", "json"])
        if done.returncode != 0:
            return None
        found: Manifest = json.loads(done.stdout)
        return found

    def secret_keys(self, name: str, namespace: str = "") -> set[str] | None:
        """The key names of a Secret (never its values), or None when it is missing."""
        template = '{{range $k, $v := .data}}{{$k}}{{"\\n"}}{{end}}'
        where = namespace or self.namespace
        args = ["-n", where, "get", "secret", name, "-o", f"go-template={template}"]
        done = kubectl.query(self.tool, args)
        if done.returncode != 0:
            return None
        return {line.strip() for line in done.stdout.splitlines() if line.strip()}


def _secret(
    cluster: Cluster, name: str, keys: tuple[str, ...], create: str, *, optional: bool = False
) -> Check:
    label = f"secret/{name}"
    found = cluster.secret_keys(name)
    if found is None:
        if optional:
            return ok(label, "absent (optional: " + create + ")")
        return fail(label, "missing", create)
    missing = [k for k in keys if k not in found]
    if missing and not optional:
        return fail(label, f"lacks the key {', '.join(missing)}", create)
    return ok(label, "present with " + (", ".join(sorted(found & set(keys))) or "its keys"))


def secret_checks(cluster: Cluster, settings: Settings) -> list[Check]:
    ns = settings.namespace
    token = settings.webhook_token_secret
    found = [
        _secret(
            cluster,
            token.name,
            (token.key,),
            f"openssl rand -hex 32 > token.txt && kubectl -n {ns} create secret generic "
            f"{token.name} --from-file={token.key}=token.txt",
        )
    ]
    if settings.azure_auth != "workload-identity":
        found.append(
            _secret(
                cluster,
                settings.platform_secret,
                ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"),
                f"kubectl -n {ns} create secret generic {settings.platform_secret} "
                "--from-literal=AZURE_CLIENT_ID=... --from-literal=AZURE_TENANT_ID=... "
                "--from-file=AZURE_CLIENT_SECRET=client-secret.txt",
            )
        )
    found.append(
        _secret(
            cluster,
            settings.notify_secret,
            ("callback-token",),
            f"kubectl -n {ns} create secret generic {settings.notify_secret} "
            "--from-file=callback-token=callback-token.txt",
            optional=True,
        )
    )
    repo = settings.artifact_repository
    if not repo.use_sdk_creds:
        key = repo.account_key_secret
        found.append(
            _secret(
                cluster,
                key.name,
                (key.key,),
                f"kubectl -n {ns} create secret generic {key.name} "
                f"--from-file={key.key}=account-key.txt",
            )
        )
    return found


def _service_account(cluster: Cluster, name: str, settings: Settings, client_id: str) -> Check:
    label = f"serviceaccount/{name}"
    found = cluster.get("serviceaccount", name)
    if found is None:
        return fail(label, "missing", "idp submit (or kubectl apply -k dist/)")
    annotations = (found.get("metadata") or {}).get("annotations") or {}
    if client_id and annotations.get(CLIENT_ID) != client_id:
        return fail(
            label,
            f"annotation {CLIENT_ID} is not {client_id}",
            "idp submit after setting azure_client_id",
        )
    return ok(label, "present" + (f" ({CLIENT_ID} {client_id})" if client_id else ""))


def approver_checks(cluster: Cluster, settings: Settings) -> list[Check]:
    """The approver ServiceAccount in the Argo Server's namespace, with the compiled rule and
    precedence, and its token Secret filled by Kubernetes (idp.approvers)."""
    name, home = settings.approver_service_account, settings.argo_server_namespace
    apply = f"idp submit (or kubectl apply -k dist/; see {GUIDE}#9-sso-and-approvers)"
    label = f"serviceaccount/{name}"
    account = cluster.get("serviceaccount", name, namespace=home)
    if account is None:
        return [fail(label, f"missing in namespace {home}", apply)]
    annotations = (account.get("metadata") or {}).get("annotations") or {}
    wanted = {
        RBAC_RULE: rbac_rule(settings.approvers_group),
        RBAC_RULE_PRECEDENCE: str(settings.approver_rbac_precedence),
    }
    for key, value in wanted.items():
        if annotations.get(key) != value:
            return [fail(label, f"annotation {key} is not {value!r}", apply)]
    found = [ok(label, f"present in {home}: SSO group {settings.approvers_group!r} answers")]
    secret = token_secret_name(name)
    keys = cluster.secret_keys(secret, home)
    if keys is None:
        found.append(fail(f"secret/{secret}", f"missing in namespace {home}", apply))
    elif "token" not in keys:
        found.append(
            fail(
                f"secret/{secret}",
                "holds no token yet: Kubernetes fills it for an existing ServiceAccount",
                f"kubectl -n {home} describe secret {secret}",
            )
        )
    else:
        found.append(ok(f"secret/{secret}", "holds the token the Argo Server acts with"))
    return found


def kubectl_checks(cluster: Cluster, settings: Settings) -> list[Check]:
    ns = settings.namespace
    found = [
        ok("namespace", f"{ns} exists")
        if cluster.get("namespace", ns, namespaced=False) is not None
        else fail("namespace", f"{ns} is missing", f"kubectl create namespace {ns}")
    ]
    missing = [crd for crd in CRDS if cluster.get("crd", crd, namespaced=False) is None]
    found.append(
        fail(
            "crds",
            f"missing {', '.join(missing)}",
            f"install Argo Workflows {WORKFLOWS_VERSION}.2 and Argo Events {EVENTS_VERSION} "
            f"(see {GUIDE})",
        )
        if missing
        else ok("crds", "Argo Workflows and Argo Events CRDs installed")
    )
    for kind, name in (
        ("eventbus", settings.eventbus_name),
        ("configmap", settings.step_settings_configmap),
        ("configmap", settings.artifact_repository.configmap),
    ):
        found.append(
            ok(f"{kind}/{name}", "present")
            if cluster.get(kind, name) is not None
            else fail(f"{kind}/{name}", "missing", "idp submit (or kubectl apply -k dist/)")
        )
    found += secret_checks(cluster, settings)
    wi = settings.azure_auth == "workload-identity"
    found.append(
        _service_account(
            cluster,
            settings.workflow_service_account,
            settings,
            settings.azure_client_id if wi else "",
        )
    )
    for name in (settings.sensor_service_account, settings.admin_service_account):
        found.append(_service_account(cluster, name, settings, ""))
    found += approver_checks(cluster, settings)
    if wi:
        found.append(
            ok("workload-identity", "the Azure workload identity webhook is installed")
            if cluster.get("mutatingwebhookconfiguration", WI_WEBHOOK, namespaced=False) is not None
            else fail(
                "workload-identity",
                f"no mutating webhook {WI_WEBHOOK}",
                "az aks update --enable-oidc-issuer --enable-workload-identity "
                f"(see {GUIDE}#5-workload-identity)",
            )
        )
    return found


def diagnose(
    settings: Settings,
    compiled: list[Manifest],
    connection: Callable[[], Connection],
    tool: kubectl.Kubectl | None,
) -> list[Check]:
    """Every check, in the order of the guide."""
    checks = settings_checks(settings)
    try:
        chosen: Connection | None = connection()
        why_not = ""
    except ArgoError as exc:
        chosen, why_not = None, str(exc)
    if chosen is None:
        checks += argo_checks(None, compiled, why_not)
    else:
        with ArgoClient(chosen, notify=lambda _: None) as client:
            checks += argo_checks(client, compiled, "")
    if tool is None:
        checks.append(
            skip(
                "kubectl",
                "no kubectl with a current context: namespace, Secrets, ServiceAccounts and "
                "CRDs not checked",
                "install kubectl and select the cluster's context",
            )
        )
    else:
        checks.append(ok("kubectl", f"context {tool.context}"))
        checks += kubectl_checks(Cluster(tool, settings.namespace), settings)
    return checks


def report(checks: list[Check], output: str | None) -> str:
    """The lines people read, or the checks as JSON or YAML."""
    if output is None:
        return "".join(c.line() + "\n" for c in checks)
    return dump({"checks": [asdict(c) for c in checks]}, output)
