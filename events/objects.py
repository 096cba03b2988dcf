"""Every Argo Events object compiled for a catalog: the EventBus, the webhook EventSource, the
sensors' RBAC and each kind's Sensor; and one kind's Sensor alone, for `idp render`."""

from __future__ import annotations

from collections.abc import Mapping

from events.eventbus import event_bus
from events.rbac import sensor_rbac
from events.sensors import deployed, sensor
from events.webhook import event_source
from idp.catalog import Catalog
from idp.contract import RequestBase
from idp.manifests import Manifest
from idp.settings import Settings
from workflows import objects


def manifests(
    settings: Settings, catalog: Catalog, templates: Mapping[str, Manifest]
) -> list[Manifest]:
    """The bus, the webhook, the sensors' RBAC, and a Sensor per kind (on the NATS streaming
    bus, one per route: `events.sensors.deployed`).

    `templates` maps each kind to its compiled WorkflowTemplate: a sensor's parameters are
    derived from that template's argument list (a preview template has the same).
    """
    return [
        event_bus(settings).manifest(),
        event_source(settings, catalog),
        *sensor_rbac(settings),
        *(
            found
            for kind, model in catalog.items()
            for found in deployed(
                model, templates[kind], sensor(model, templates[kind], settings), settings
            )
        ),
    ]


def kind_sensor(model: type[RequestBase], settings: Settings) -> Manifest:
    """One kind's Sensor, built from that kind's WorkflowTemplate (for `idp render`: on the
    NATS streaming bus, the Sensors compiled for the kind are its routes, which take each event
    where this one does)."""
    template = objects.templates(settings, {model.kind: model})[model.kind]
    return sensor(model, template, settings)
