"""Which releases of the Argo products the compiled objects support, and what each one knows.

One table per product, each fact with the release it was read from. Settings are checked
against it (a value every supported release accepts), and docs/compatibility.md
states the same ranges. A product is a `Product` of its own release type, so another product
(with other facts) fits beside Argo Events without changing the ones here.

Argo Events: the JetStream versions each release's default controller configuration lists
(`manifests/base/controller-manager/controller-config.yaml` at the release tag,
`eventBus.jetstream.versions`). The controller refuses an EventBus whose version is not in
that list, so the bus never starts and no request reaches a Sensor. v1.9.10 replaced 2.10.10
(listed from v1.9.2 to v1.9.9) with 2.10.29. The range starts at v1.9.10: the compiled objects
are checked against v1.9.11's schema and `idp render` follows v1.9.11's source, and v1.9.10
has the same filter, parameter and webhook code (with gjson v1.18, whose path and value rules
v1.19 keeps); a JetStream version shared with older releases would be 2.9.16 at best.

Argo Workflows: the newest patch of each minor release upstream maintains (the two newest
minors, `docs/releases.md`), v4.0.10 and v4.1.2. Each was read for every rule the compiled
objects rely on (`RULES`: the functions named there, at each tag) and reads them alike, so
`idp local --argo-version` runs either the same way. `OUT` says why the releases around them
are not supported. The compiled objects are checked against v4.1.2's schema and OpenAPI spec.
`idp submit` refuses, `idp doctor` reports, and `idp local` refuses a release outside the matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


@dataclass(frozen=True)
class EventsRelease:
    """One Argo Events release and the JetStream versions its default controller config lists."""

    tag: str
    jetstream_versions: tuple[str, ...]


class Tagged(Protocol):
    @property
    def tag(self) -> str: ...


Release = TypeVar("Release", bound=Tagged)


@dataclass(frozen=True)
class Product(Generic[Release]):
    """A product and its supported releases, oldest first, each with the facts read from it."""

    name: str
    releases: tuple[Release, ...]
    source: str  # where in each release the facts were read


JETSTREAM_CONFIG = "manifests/base/controller-manager/controller-config.yaml"

_V1_9_10_JETSTREAM = (
    *("latest", "2.8.1", "2.8.1-alpine", "2.8.2", "2.8.2-alpine"),
    *("2.9.1", "2.9.12", "2.9.16", "2.10.29"),
)

ARGO_EVENTS: Product[EventsRelease] = Product(
    name="Argo Events",
    releases=(
        EventsRelease(tag="v1.9.10", jetstream_versions=_V1_9_10_JETSTREAM),
        EventsRelease(tag="v1.9.11", jetstream_versions=_V1_9_10_JETSTREAM),
    ),
    source=JETSTREAM_CONFIG,
)


@dataclass(frozen=True)
class WorkflowsRelease:
    """One Argo Workflows release whose controller applies the rules the templates rely on."""

    tag: str


@dataclass(frozen=True)
class Rule:
    """A rule of the controller the compiled objects rely on, where it is, and the first tag of
    each supported minor from which it reads as the compiled objects need (read at the tags of
    the matrix; `holds_on` checks a tag against it)."""

    name: str
    upstream: str
    since: dict[str, str]

    def holds_on(self, tag: str) -> bool:
        minor = ".".join(tag.split(".")[:2])
        first = self.since.get(minor)
        return first is not None and _version(tag) >= _version(first)


def _version(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in tag.lstrip("v").split("."))


ARGO_WORKFLOWS: Product[WorkflowsRelease] = Product(
    name="Argo Workflows",
    releases=(WorkflowsRelease("v4.0.10"), WorkflowsRelease("v4.1.2")),
    source="workflow/controller (dag.go, operator.go, scope.go, steps.go) and workflow/util",
)

RULES = (
    Rule(
        "a task's `depends` reads its dependencies' results; false is Omitted",
        "workflow/common/ancestry.go GetTaskDependsLogic; workflow/controller/dag.go "
        "evaluateDependsLogic",
        {"v4.0": "v4.0.0", "v4.1": "v4.1.0"},
    ),
    Rule(
        "`when` is substituted, then read by govaluate with bare words as strings; false is "
        "Skipped",
        "workflow/controller/steps.go shouldExecute; dag.go resolveDependencyReferences",
        {"v4.0": "v4.0.0", "v4.1": "v4.1.0"},
    ),
    Rule(
        "a Skipped or Omitted task's outputs resolve to their valueFrom.default, else to an "
        "absent optional (the compiled objects read none of them)",
        "workflow/controller/scope.go addSkippedNodeOutputsToScope, markAbsentOptionalArgs",
        {"v4.0": "v4.0.7", "v4.1": "v4.1.0"},
    ),
    Rule(
        "a container's globalName outputs become workflow outputs when its pod is reconciled; "
        "a suspend node's answer when the server sets it; its expired default when the DAG ends",
        "operator.go podReconciliation; workflow/util/util.go updateSuspendedNode; dag.go "
        "executeDAG",
        {"v4.0": "v4.0.0", "v4.1": "v4.1.0"},
    ),
    Rule(
        "a workflow output never published stays the text {{...}} where it is used",
        "workflow/common/util.go SubstituteParams (unresolved allowed)",
        {"v4.0": "v4.0.0", "v4.1": "v4.1.0"},
    ),
    Rule(
        "an expired suspend node's supplied outputs take their defaults",
        "operator.go executeSuspend; workflow/util/util.go OverrideOutputParametersWithDefault",
        {"v4.0": "v4.0.0", "v4.1": "v4.1.0"},
    ),
    Rule(
        "the exit handler gets workflow.status and workflow.failures (null when none failed); "
        "its failure message is the Workflow's when the entrypoint succeeded",
        "operator.go operate",
        {"v4.0": "v4.0.0", "v4.1": "v4.1.0"},
    ),
    Rule(
        "a Workflow terminated while it waits for its mutex ends Failed",
        "operator.go releaseLocksForPendingShuttingdownWfs (argo-workflows #16776)",
        {"v4.0": "v4.0.10", "v4.1": "v4.1.2"},
    ),
    Rule(
        "a node waiting for its template's mutex fails when its Workflow is stopped or "
        "terminated (the drift CronWorkflow's checks)",
        "operator.go failNodesWithoutCreatedPodsAfterDeadlineOrShutdown (argo-workflows #16777)",
        {"v4.0": "v4.0.10", "v4.1": "v4.1.2"},
    ),
)

# The releases around the matrix, and why each is out.
OUT = (
    (
        "v4.0.0 to v4.0.9, v4.1.0, v4.1.1",
        "a request terminated while it waits for its stack's mutex ends Succeeded "
        "(operator.go releaseLocksForPendingShuttingdownWfs), and a drift check waiting for "
        "the stack's mutex ignores a stop until the lock frees up "
        "(failNodesWithoutCreatedPodsAfterDeadlineOrShutdown); both fixed in v4.0.10 and v4.1.2",
    ),
    (
        "v3.7 and older",
        "upstream maintains the two newest minors only (docs/releases.md); the compiled "
        "objects are checked against v4.1.2's schema",
    ),
)


def workflows_release(tag: str, product: Product[WorkflowsRelease] = ARGO_WORKFLOWS) -> str:
    """`tag` when it is in the matrix; ValueError naming the matrix and why the rest is out."""
    if tag in tags(product):
        return tag
    why = "; ".join(f"{releases}: {reason}" for releases, reason in OUT)
    raise ValueError(
        f"Argo Workflows {tag!r} is not in the support matrix ({', '.join(tags(product))}); {why}"
    )


UNPINNED = "latest"  # listed by every release, but a moving target: never compiled
DEFAULT_JETSTREAM_VERSION = "2.10.29"


def tags(product: Product[Release]) -> tuple[str, ...]:
    return tuple(release.tag for release in product.releases)


def release_range(product: Product[Release]) -> str:
    """`v1.9.10 to v1.9.11`, or the one tag."""
    found = tags(product)
    return found[0] if len(found) == 1 else f"{found[0]} to {found[-1]}"


def jetstream_versions(product: Product[EventsRelease] = ARGO_EVENTS) -> tuple[str, ...]:
    """The pinned JetStream versions every supported release lists, in the listed order."""
    first, *others = product.releases
    return tuple(
        version
        for version in first.jetstream_versions
        if version != UNPINNED and all(version in other.jetstream_versions for other in others)
    )


def jetstream_problem(version: str, product: Product[EventsRelease] = ARGO_EVENTS) -> str | None:
    """Why `version` cannot be the EventBus's JetStream version, or None when it can."""
    valid = jetstream_versions(product)
    if version in valid:
        return None
    if version == UNPINNED:
        why = "is not pinned"
    else:
        why = (
            f"is not listed by every supported {product.name} release "
            f"({release_range(product)}, {product.source})"
        )
    return f"{version!r} {why}; use one of: {', '.join(valid)}"


def workflows_problem(
    version: str, product: Product[WorkflowsRelease] = ARGO_WORKFLOWS
) -> str | None:
    """Why an Argo Server reporting `version` (its `/api/v1/version`) is not supported, or None."""
    tag = version.split("+", 1)[0]
    tag = tag if tag.startswith("v") else f"v{tag}"
    if tag in tags(product):
        return None
    return (
        f"Argo Workflows {version or '(no version)'} is not a supported release; idp's templates "
        f"are correct on {', '.join(tags(product))} (see idp.compat)"
    )
