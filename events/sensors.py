"""One Sensor per kind: filters derived from the request model (`events.filters`), a k8s
trigger that creates a Workflow from the kind's WorkflowTemplate, and parameters mapped by
argument name.

The Workflow is named `<kind>-<request_id>`, so a request delivered twice creates one Workflow
(the second create is refused as already existing). Parameter positions (`dest:
spec.arguments.parameters.N.value`) are computed from the compiled WorkflowTemplate's own
argument list, never written by hand.

A kind whose `action` takes `preview` has two routes through its Sensor (`Route`), each a
dependency on the kind's webhook event and a trigger conditioned on it alone (`conditions`:
Argo Events v1.9.11, `pkg/sensors/listener.go`, `getDependencyExpression`; without it a
trigger waits for every dependency). Both dependencies carry the contract's filters; one more
splits on the action (`events.filters.action_route`). A preview creates `<kind>-preview-
<request_id>` from `<kind>-preview-workflow`, everything else `<kind>-<request_id>` from
`<kind>-provision-workflow`: a preview and the request of the same request_id both run. The
JetStream bus serves two dependencies on one event (`pkg/eventbus/jetstream/sensor/
trigger_conn.go`, `sourceDepMap`); the NATS streaming (`native`) bus refuses them in one Sensor
(`pkg/reconciler/sensor/validate.go`, `validateDependencies`), so there each route is a Sensor
of its own (`deployed`), which takes the same events to the same Workflows.

`check` runs on every Sensor built: each path must be one `idp render` reads exactly as Argo
Events does (`events.gjson`, `events.paths`), each pattern one Go's regexp compiles to the same
matcher (`events.goregexp`), and each filter one Argo Events' validation takes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

from hera.events import models as em
from hera.events.models.io.k8s.apimachinery.pkg.apis.meta.v1 import ObjectMeta

from events import gjson, goregexp, paths
from events.delivery import BODY
from events.filters import action_route, data_filters
from events.render import dependency_of
from events.shape import dump, with_path
from events.webhook import pod_security_context
from idp import labels
from idp.contract import LONGEST_REQUEST_ID, RequestBase, takes_preview
from idp.manifests import PART_OF, Manifest
from idp.pipeline import preview_name_prefix, preview_template_name, workflow_name_prefix
from idp.settings import Settings

DEPENDENCY = "request"
PREVIEW_DEPENDENCY = "preview"
MAX_WORKFLOW_NAME = 63  # Argo Workflows: workflow/validate/validate.go, maxCharsInObjectName
WHOLE_REQUEST = "request"
COMPARATORS = {"string": ("", "=", "!="), "number": ("", "=", "!=", ">", ">=", "<", "<=")}
RETRY = {"steps": 3, "duration": "2s", "factor": 2, "jitter": 0.2}
RATE_LIMIT = em.RateLimit(unit="Second", requests_per_unit=10)


def sensor_name(kind: str) -> str:
    return f"{kind}-provision-sensor"


@dataclass(frozen=True)
class Route:
    """One way through a kind's Sensor: a dependency (the contract's filters, and `split` when
    the kind has more than one route), and the trigger that creates a Workflow named `prefix`
    + request_id from `template`. `sensor` names the Sensor that holds the route alone."""

    dependency: str
    trigger: str
    template: str
    prefix: str
    sensor: str
    split: em.DataFilter | None = None


def routes(model: type[RequestBase], template: Manifest) -> list[Route]:
    """The routes of a kind's Sensor: a request's, then a preview's when the kind takes one."""
    kind = model.kind
    request = Route(
        DEPENDENCY,
        f"create-{kind}-workflow",
        template["metadata"]["name"],
        workflow_name_prefix(kind),
        sensor_name(kind),
    )
    if not takes_preview(model):
        return [request]
    preview = Route(
        PREVIEW_DEPENDENCY,
        f"create-{kind}-preview-workflow",
        preview_template_name(kind),
        preview_name_prefix(kind),
        f"{kind}-preview-sensor",
        action_route(model, preview=True),
    )
    return [replace(request, split=action_route(model, preview=False)), preview]


def _workflow_skeleton(kind: str, template: Manifest, route: Route) -> Manifest:
    arguments = template["spec"]["arguments"]["parameters"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": route.prefix,
            "namespace": template["metadata"]["namespace"],
            "labels": {**PART_OF, labels.KIND: kind},
        },
        "spec": {
            "workflowTemplateRef": {"name": route.template},
            "arguments": {
                "parameters": [{"name": p["name"], "value": p.get("value", "")} for p in arguments]
            },
        },
    }


def trigger_parameters(
    template: Manifest, dependency: str = DEPENDENCY
) -> list[em.TriggerParameter]:
    """The Workflow's name, then every template argument from the same-named body field."""
    found = [
        em.TriggerParameter(
            src=em.TriggerParameterSource(
                dependency_name=dependency, data_key=f"{BODY}.request_id"
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
                    dependency_name=dependency, data_key=key, value=argument.get("value")
                ),
                dest=f"spec.arguments.parameters.{index}.value",
            )
        )
    return found


def _check_name_length(route: Route) -> None:
    longest = len(route.prefix) + LONGEST_REQUEST_ID
    if longest > MAX_WORKFLOW_NAME:
        raise SensorError(
            f"Workflow names {route.prefix}<request_id> reach {longest} characters; Argo "
            f"Workflows refuses names over {MAX_WORKFLOW_NAME}: shorten the kind's name"
        )


def sensor(model: type[RequestBase], template: Manifest, settings: Settings) -> Manifest:
    """The kind's Sensor, as Argo Events v1.9 accepts it (on the JetStream bus; see
    `deployed`). `template` is the kind's WorkflowTemplate; a preview's has the same
    arguments."""
    kind = model.kind
    found = routes(model, template)
    contract = data_filters(model, settings)
    for route in found:
        _check_name_length(route)
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
                    name=route.dependency,
                    event_source_name=settings.webhook_eventsource,
                    event_name=kind,
                    filters=em.EventDependencyFilter(
                        data=[*contract, *([route.split] if route.split else [])],
                        data_logical_operator="and",
                    ),
                )
                for route in found
            ],
            triggers=[
                em.Trigger(
                    at_least_once=True,
                    rate_limit=RATE_LIMIT,
                    template=em.TriggerTemplate(
                        name=route.trigger,
                        conditions=route.dependency if len(found) > 1 else None,
                        k8s=em.StandardK8STrigger(
                            operation="create",
                            source=em.ArtifactLocation(),
                            parameters=trigger_parameters(template, route.dependency),
                        ),
                    ),
                )
                for route in found
            ],
        ),
    )
    manifest = check(dump("Sensor", built))
    for index, route in enumerate(found):
        trigger = ("spec", "triggers", index)
        with_path(manifest, (*trigger, "retryStrategy"), dict(RETRY))
        with_path(
            manifest,
            (*trigger, "template", "k8s", "source"),
            {"resource": _workflow_skeleton(kind, template, route)},
        )
    return manifest


def deployed(
    model: type[RequestBase], template: Manifest, built: Manifest, settings: Settings
) -> list[Manifest]:
    """The Sensors that carry `built` (the kind's Sensor) on the configured bus: itself, or on
    the NATS streaming bus one Sensor per route, each its dependency and its trigger."""
    if settings.eventbus_type != "native" or len(built["spec"]["triggers"]) == 1:
        return [built]
    found = []
    for index, route in enumerate(routes(model, template)):
        alone = copy.deepcopy(built)
        alone["metadata"]["name"] = route.sensor
        alone["spec"]["dependencies"] = [alone["spec"]["dependencies"][index]]
        alone["spec"]["triggers"] = [alone["spec"]["triggers"][index]]
        found.append(check(alone))
    return found


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


def _unique(what: str, names: list[str]) -> None:
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise SensorError(f"{what} names given twice: {', '.join(twice)}")


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
        _unique("dependency", [d["name"] for d in manifest["spec"]["dependencies"]])
        _unique("trigger", [t["template"]["name"] for t in manifest["spec"]["triggers"]])
        for trigger in manifest["spec"]["triggers"]:
            waits_for = dependency_of(manifest, trigger)["name"]
            for parameter in trigger["template"]["k8s"].get("parameters", []):
                source = parameter["src"]
                if set(source) - {"dependencyName", "dataKey", "value"}:
                    raise SensorError(f"parameter {parameter['dest']}: only dataKey and value")
                if source.get("dependencyName") != waits_for:
                    raise SensorError(
                        f"parameter {parameter['dest']}: reads dependency "
                        f"{source.get('dependencyName')!r}, not its trigger's {waits_for!r}"
                    )
                gjson.check_path(source["dataKey"])
                paths.check_dest(parameter["dest"], parameter.get("operation", "overwrite"))
    except ValueError as exc:  # PathError, PatternError, SensorError
        raise SensorError(f"Sensor {manifest['metadata']['name']}: {exc}") from None
    return manifest
