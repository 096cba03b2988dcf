"""The EventBus: a small typed model of what the platform sets (Hera has no EventBus model).

Default: NATS JetStream at a pinned version that every supported Argo Events release lists
(`idp.compat`), three replicas, persistent, with resource requests. Option (settings
`eventbus_type: native`): the NATS streaming bus with token auth.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from idp.manifests import PART_OF, Manifest
from idp.settings import JetStreamVersion, Settings


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class Persistence(_Model):
    access_mode: str = Field("ReadWriteOnce", alias="accessMode")
    volume_size: str = Field("10Gi", alias="volumeSize")
    storage_class_name: str | None = Field(None, alias="storageClassName")


class Resources(_Model):
    requests: dict[str, str] = {"cpu": "100m", "memory": "256Mi"}
    limits: dict[str, str] = {"memory": "1Gi"}


class ContainerTemplate(_Model):
    resources: Resources = Resources()


class JetStreamBus(_Model):
    version: JetStreamVersion
    replicas: int = Field(3, ge=3)
    persistence: Persistence = Persistence()
    container_template: ContainerTemplate = Field(ContainerTemplate(), alias="containerTemplate")


class NativeStrategy(_Model):
    replicas: int = Field(3, ge=3)
    auth: Literal["token", "none"] = "token"
    persistence: Persistence = Persistence()
    container_template: ContainerTemplate = Field(ContainerTemplate(), alias="containerTemplate")


class EventBusSpec(_Model):
    jetstream: JetStreamBus | None = None
    nats: dict[Literal["native"], NativeStrategy] | None = None


class EventBus(_Model):
    name: str
    namespace: str
    spec: EventBusSpec

    def manifest(self) -> Manifest:
        return {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "EventBus",
            "metadata": {"name": self.name, "namespace": self.namespace, "labels": dict(PART_OF)},
            "spec": self.spec.dump(),
        }


def event_bus(settings: Settings) -> EventBus:
    """The bus every EventSource and Sensor names, as settings choose."""
    if settings.eventbus_type == "native":
        spec = EventBusSpec(nats={"native": NativeStrategy(replicas=settings.eventbus_replicas)})
    else:
        spec = EventBusSpec(
            jetstream=JetStreamBus(
                version=settings.jetstream_version, replicas=settings.eventbus_replicas
            )
        )
    return EventBus(name=settings.eventbus_name, namespace=settings.namespace, spec=spec)
