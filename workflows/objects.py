"""Every Argo Workflows object compiled for a catalog: each kind's WorkflowTemplate and preview
template, its day-two CronWorkflows, and what they share (RBAC, step settings, the artifact
repository)."""

from __future__ import annotations

from idp.catalog import Catalog
from idp.contract import takes_preview
from idp.manifests import Manifest
from idp.settings import Settings
from workflows.cron import drift_cron, expiry_cron
from workflows.pipeline import preview_template, workflow_template
from workflows.support import artifact_repository, step_settings, workflow_rbac


def templates(settings: Settings, catalog: Catalog) -> dict[str, Manifest]:
    """Each kind's compiled WorkflowTemplate (the one a request runs from), by kind."""
    return {kind: workflow_template(model, settings).to_dict() for kind, model in catalog.items()}


def preview_templates(settings: Settings, catalog: Catalog) -> dict[str, Manifest]:
    """The compiled preview WorkflowTemplate of each kind whose `action` takes `preview`."""
    return {
        kind: preview_template(model, settings).to_dict()
        for kind, model in catalog.items()
        if takes_preview(model)
    }


def crons(settings: Settings, catalog: Catalog) -> list[Manifest]:
    """Each kind's day-two CronWorkflows: drift detection and the expiry reaper."""
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
    return [
        *workflow_rbac(settings),
        step_settings(settings),
        artifact_repository(settings),
        *templates.values(),
        *preview_templates(settings, catalog).values(),
        *crons(settings, catalog),
    ]
