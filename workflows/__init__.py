"""Hera WorkflowTemplates of the provisioning pipeline, one per kind, and what they need.

Hera is imported only inside `manifests`: the step programs in `workflows.steps` are imported
in every pod and must not pay for Hera's import.
"""

from __future__ import annotations

from idp.catalog import Catalog
from idp.manifests import Manifest
from idp.settings import Settings


def manifests(settings: Settings, catalog: Catalog) -> list[Manifest]:
    """The service account and Role, the artifact repository, and one template per kind."""
    from workflows.pipeline import workflow_template
    from workflows.support import artifact_repository, step_settings, workflow_rbac

    templates = [workflow_template(model, settings).to_dict() for model in catalog.values()]
    return [
        *workflow_rbac(settings),
        step_settings(settings),
        artifact_repository(settings),
        *templates,
    ]
