"""One Sensor per kind: filters derived from the request model (`events.filters`), a k8s
trigger that creates a Workflow from the kind's WorkflowTemplate, and parameters mapped by
argument name.

The Workflow is named `<kind>-<request_id>`, so a request delivered twice creates one Workflow
(the second create is refused as already existing). Parameter positions (`dest:
spec.arguments.parameters.N.value`) are computed from the compiled WorkflowTemplate's own
argument list, never written by hand.

`check` runs on every Sensor built: each path must be one `idp render` reads exactly as Argo
Events does (`events.gjson`, `events.paths`), each pattern one Go's regexp compiles to the same
matcher (`events.goregexp`), and each filter one Argo Events' validation takes.
"""

from __future__ import annotations

from typing import Any

from hera.events import models as em
from hera.events.models.io.k8s.apimachinery.pkg.apis.meta.v1 import ObjectMeta

from events import gjson, goregexp, paths
from events.delivery import BODY
from events.filters import data_filters
from events.shape import dump, with_path
from events.webhook import pod_security_context
from idp import labels
from idp.contract import RequestBase
from idp.manifests import PART_OF, Manifest
from idp.settings import Settings

DEPENDENCY = "request"
WHOLE_REQUEST = "request"
COMPARATORS = {"string": ("", "=", "!="), "number": ("", "=", "!=", ">", ">=", "<", "<=")}
RETRY = {"steps": 3, "duration": "2s", "factor": 2, "jitter": 0.2}
RATE_LIMIT = em.RateLimit(unit="Second", requests_per_unit=10)


def sensor_name(kind: str) -> str:
    return f"{kind}-provision-sensor"


def workflow_name_prefix(kind: str) -> str:
    """Workflows are named prefix + request_id: the idempotency key makes the name."""
    return f"{kind}-"


def _workflow_skeleton(kind: str, template: Manifest) -> Manifest:
    arguments = template["spec"]["arguments"]["parameters"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": workflow_name_prefix(kind),
            "namespace": template["metadata"]["namespace"],
            "labels": {**PART_OF, labels.KIND: kind},
        },
        "spec": {
            "workflowTemplateRef": {"name": template["metadata"]["name"]},
            "arguments": {
                "parameters": [{"name": p["name"], "value": p.get("value", "")} for p in arguments]
            },
        },
    }


def trigger_parameters(template: Manifest) -> list[em.TriggerParameter]:
    """The Workflow's name, then every template argument from the same-named body field."""
    found = [
        em.TriggerParameter(
            src=em.TriggerParameterSource(
                dependency_name=DEPENDENCY, data_key=f"{BODY}.request_id"
            ),
            dest="metadata.name",
            operation="append",
        )
    ]
    for index, argument in enumerate(template["spec"]["arguments"]["parameters"]):
        name = argument["name"]
        key = BODY if name == WHOLE_REQUEST else f"{BODY}.{name}"
        found.append(
            em.TriggerParameter(
                src=em.TriggerParameterSource(
                    dependency_name=DEPENDENCY, data_key=key, value=argument.get("value")
                ),
                dest=f"spec.arguments.parameters.{index}.value",
            )
        )
    return found


def sensor(model: type[RequestBase], template: Manifest, settings: Settings) -> Manifest:
    """The kind's Sensor, as Argo Events v1.9 accepts it."""
    kind = model.kind
    built = em.Sensor(
        metadata=ObjectMeta(
            name=sensor_name(kind), namespace=settings.namespace, labels=dict(PART_OF)
        ),
        spec=em.SensorSpec(
            event_bus_name=settings.eventbus_name,
            template=em.Template(
                service_account_name=settings.sensor_service_account,
                security_context=pod_security_context(),
            ),
            dependencies=[
                em.EventDependency(
                    name=DEPENDENCY,
                    event_source_name=settings.webhook_eventsource,
                    event_name=kind,
                    filters=em.EventDependencyFilter(
                        data=data_filters(model, settings), data_logical_operator="and"
                    ),
                )
            ],
            triggers=[
                em.Trigger(
                    at_least_once=True,
                    rate_limit=RATE_LIMIT,
                    template=em.TriggerTemplate(
                        name=f"create-{kind}-workflow",
                        k8s=em.StandardK8STrigger(
                            operation="create",
                            source=em.ArtifactLocation(),
                            parameters=trigger_parameters(template),
                        ),
                    ),
                )
            ],
        ),
    )
    manifest = check(dump("Sensor", built))
    trigger = ("spec", "triggers", 0)
    with_path(manifest, (*trigger, "retryStrategy"), dict(RETRY))
    with_path(
        manifest,
        (*trigger, "template", "k8s", "source"),
        {"resource": _workflow_skeleton(kind, template)},
    )
    return manifest


class SensorError(ValueError):
    """A Sensor whose filters or parameters `idp render` could not predict exactly."""


def _check_filter(rule: dict[str, Any]) -> None:
    kind, comparator = rule.get("type", ""), rule.get("comparator", "")
    if kind not in COMPARATORS or comparator not in COMPARATORS[kind]:
        raise SensorError(f"filter {rule['path']}: type {kind!r} with {comparator!r} unsupported")
    if not rule.get("value") or "" in rule["value"] or "template" in rule:
        raise SensorError(f"filter {rule['path']}: needs non-empty values and no template")
    gjson.check_path(rule["path"])
    for value in rule["value"]:
        if kind == "string":
            goregexp.check(value)
        elif not gjson.is_number(value):
            raise SensorError(f"filter {rule['path']}: {value!r} is not a number")


def check(manifest: Manifest) -> Manifest:
    """`manifest` itself when every filter and parameter is one the renderer reads exactly."""
    try:
        for dependency in manifest["spec"]["dependencies"]:
            filters = dependency.get("filters", {})
            if set(filters) - {"data", "dataLogicalOperator"}:
                raise SensorError(f"filters {sorted(filters)}: only data filters are rendered")
            if filters.get("dataLogicalOperator", "and") != "and":
                raise SensorError("dataLogicalOperator: only 'and' is rendered")
            for rule in filters.get("data", []):
                _check_filter(rule)
        for trigger in manifest["spec"]["triggers"]:
            for parameter in trigger["template"]["k8s"].get("parameters", []):
                source = parameter["src"]
                if set(source) - {"dependencyName", "dataKey", "value"}:
                    raise SensorError(f"parameter {parameter['dest']}: only dataKey and value")
                gjson.check_path(source["dataKey"])
                paths.check_dest(parameter["dest"], parameter.get("operation", "overwrite"))
    except ValueError as exc:  # PathError, PatternError, SensorError
        raise SensorError(f"Sensor {manifest['metadata']['name']}: {exc}") from None
    return manifest
