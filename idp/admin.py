"""The `idp-admin` ServiceAccount: the identity `idp submit`, `run`, `approve` and `doctor` use
through the Argo Server (its token is ARGO_TOKEN), with a Role of exactly what those calls need.

The Argo Server (auth mode `client`) acts with the caller's token, so this Role is what idp may
do there: create, update, delete and read the WorkflowTemplates, EventSources and Sensors it
compiles (delete for `submit --prune`), and create, read and update Workflows (`run`, and the
node `set` and `resume` of `approve`, which update the Workflow). The objects kubectl applies
(EventBus, ConfigMaps, RBAC) go through the operator's own kubectl context, not this token.
"""

from __future__ import annotations

from idp.manifests import Manifest, service_account_with_role
from idp.settings import Settings

RULES = [
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflowtemplates", "eventsources", "sensors"],
        "verbs": ["get", "list", "create", "update", "delete"],
    },
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflows"],
        "verbs": ["get", "list", "create", "update"],
    },
]


def admin_rbac(settings: Settings) -> list[Manifest]:
    """The ServiceAccount, its Role and the RoleBinding, in the settings' namespace."""
    return service_account_with_role(settings.admin_service_account, settings.namespace, RULES)
