"""One Sensor per kind: filters derived from the request model, a k8s trigger that creates a
Workflow from the kind's WorkflowTemplate, and parameters mapped by argument name.

The Workflow is named `<kind>-<request_id>`, so a request delivered twice creates one Workflow
(the second create is refused as already existing). Parameter positions (`dest:
spec.arguments.parameters.N.value`) are computed from the compiled WorkflowTemplate's own
argument list, never written by hand.
"""

from __future__ import annotations

import re
from typing import Any

from hera.events import models as em
from hera.events.models.io.k8s.apimachinery.pkg.apis.meta.v1 import ObjectMeta

from events.shape import dump, with_path
from events.webhook import pod_security_context
from idp.contract import MAX_STRING, RequestBase, required_string_rules
from idp.manifests import PART_OF, Manifest
from idp.settings import Settings

DEPENDENCY = "request"
WHOLE_REQUEST = "request"
BODY = "body"
RETRY = {"steps": 3, "duration": "2s", "factor": 2, "jitter": 0.2}
RATE_LIMIT = em.RateLimit(unit="Second", requests_per_unit=10)


def sensor_name(kind: str) -> str:
    return f"{kind}-provision-sensor"


def workflow_name_prefix(kind: str) -> str:
    """Workflows are named prefix + request_id: the idempotency key makes the name."""
    return f"{kind}-"


def _anchored(pattern: str) -> str:
    return (
        ("" if pattern.startswith("^") else "^") + pattern + ("" if pattern.endswith("$") else "$")
    )


def _one_of(values: list[Any]) -> str:
    return "^(?:" + "|".join(re.escape(str(v)) for v in values) + ")$"


def field_patterns(model: type[RequestBase], settings: Settings) -> dict[str, str]:
    """An anchored regex per required field, derived from the request model.

    Argo Events matches string filters as unanchored regular expressions, so every pattern
    here is anchored. The region comes from settings, as the model's validator takes it.
    """
    patterns = {}
    for name, rule in required_string_rules(model).items():
        if name == "region":
            patterns[name] = _one_of(list(settings.allowed_regions))
        elif rule.pattern:
            patterns[name] = _anchored(rule.pattern)
        elif rule.choices:
            patterns[name] = _one_of(list(rule.choices))
        else:
            low, high = rule.min_length or 1, rule.max_length or MAX_STRING
            patterns[name] = f"^.{{{low},{high}}}$"
    return patterns


def data_filters(model: type[RequestBase], settings: Settings) -> list[em.DataFilter]:
    """Drop events that miss a required field or whose value breaks the contract's pattern."""
    return [
        em.DataFilter(path=f"{BODY}.{name}", type="string", value=[pattern])
        for name, pattern in field_patterns(model, settings).items()
    ]


def _workflow_skeleton(kind: str, template: Manifest) -> Manifest:
    arguments = template["spec"]["arguments"]["parameters"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": workflow_name_prefix(kind),
            "namespace": template["metadata"]["namespace"],
            "labels": {**PART_OF, "idp.platform/kind": kind},
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
    manifest = dump("Sensor", built)
    trigger = ("spec", "triggers", 0)
    with_path(manifest, (*trigger, "retryStrategy"), dict(RETRY))
    with_path(
        manifest,
        (*trigger, "template", "k8s", "source"),
        {"resource": _workflow_skeleton(kind, template)},
    )
    return manifest
