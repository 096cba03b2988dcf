"""Hera WorkflowTemplates of the provisioning pipeline, one per kind, and what they need.

Hera is imported only inside the functions: the step programs in `workflows.steps` are
imported in every pod and must not pay for Hera's import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the pods import workflows.steps, and with it this file: keep it free
    from idp.catalog import Catalog
    from idp.manifests import Manifest
    from idp.settings import Settings


def templates(settings: Settings, catalog: Catalog) -> dict[str, Manifest]:
    """Each kind's compiled WorkflowTemplate (the one a request runs from), by kind."""
    from workflows.pipeline import workflow_template

    return {kind: workflow_template(model, settings).to_dict() for kind, model in catalog.items()}


def preview_templates(settings: Settings, catalog: Catalog) -> dict[str, Manifest]:
    """The compiled preview WorkflowTemplate of each kind whose `action` takes `preview`."""
    from idp.contract import takes_preview
    from workflows.pipeline import preview_template

    return {
        kind: preview_template(model, settings).to_dict()
        for kind, model in catalog.items()
        if takes_preview(model)
    }


def crons(settings: Settings, catalog: Catalog) -> list[Manifest]:
    """Each kind's day-two CronWorkflows: drift detection and the expiry reaper."""
    from workflows.cron import drift_cron, expiry_cron

    return [
        made(model, settings).to_dict()
        for model in catalog.values()
        for made in (drift_cron, expiry_cron)
    ]


def manifests(
    settings: Settings, templates: dict[str, Manifest], catalog: Catalog
) -> list[Manifest]:
    """The service account and Role, the step settings, the artifact repository, the templates
    (each kind's, then each kind's preview template) and the CronWorkflows."""
    from workflows.support import artifact_repository, step_settings, workflow_rbac

    return [
        *workflow_rbac(settings),
        step_settings(settings),
        artifact_repository(settings),
        *templates.values(),
        *preview_templates(settings, catalog).values(),
        *crons(settings, catalog),
    ]
