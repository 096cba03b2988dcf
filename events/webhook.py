"""The webhook EventSource: one POST endpoint per kind, bearer-token protected, size-capped."""

from __future__ import annotations

from hera.events import models as em
from hera.events.models.io.k8s.api.core.v1 import (
    PodSecurityContext,
    SeccompProfile,
    SecretKeySelector,
    ServicePort,
)
from hera.events.models.io.k8s.apimachinery.pkg.apis.meta.v1 import ObjectMeta
from hera.events.models.io.k8s.apimachinery.pkg.util.intstr import IntOrString

from events.shape import dump
from idp.catalog import Catalog
from idp.manifests import PART_OF, Manifest
from idp.pipeline import endpoint
from idp.settings import Settings


def pod_security_context() -> PodSecurityContext:
    return PodSecurityContext(
        run_as_non_root=True,
        seccomp_profile=SeccompProfile(type="RuntimeDefault"),
    )


def event_source(settings: Settings, catalog: Catalog) -> Manifest:
    """The `webhook` EventSource, with an endpoint (and an event name) per kind."""
    token = settings.webhook_token_secret
    port = str(settings.webhook_port)
    endpoints = {
        kind: em.WebhookEventSource(
            webhook_context=em.WebhookContext(
                endpoint=endpoint(kind),
                method="POST",
                port=port,
                max_payload_size=str(settings.webhook_max_payload_bytes),
                auth_secret=SecretKeySelector(name=token.name, key=token.key),
                url="",
            )
        )
        for kind in catalog
    }
    source = em.EventSource(
        metadata=ObjectMeta(
            name=settings.webhook_eventsource, namespace=settings.namespace, labels=dict(PART_OF)
        ),
        spec=em.EventSourceSpec(
            event_bus_name=settings.eventbus_name,
            service=em.Service(
                ports=[
                    ServicePort(
                        name="http",
                        port=settings.webhook_port,
                        target_port=IntOrString(settings.webhook_port),
                    )
                ]
            ),
            template=em.Template(security_context=pod_security_context()),
            webhook=endpoints,
        ),
    )
    return dump("EventSource", source)
