"""Which releases of the Argo products the compiled objects support, and what each one knows.

One table per product, each fact with the release it was read from. Settings are checked
against it (a value every supported release accepts), and the README's compatibility table
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

Argo Workflows: the releases whose controller evaluates the compiled templates' rules the way
`idp local` and the tests do (read in each tag's source): a task's `when` resolved strictly,
its `{{=...}}` expressions by expr and the result by govaluate
(`workflow/controller/dag.go`, `resolveDependencyReferences`: from v4.1.0; v4.0 resolves a
`when` differently), a suspend node's outputs taking their explicit defaults on expiry
(`operator.go`, `executeSuspend`), and the exit handler after the entrypoint with
`workflow.status` and `workflow.failures` (`operator.go`, `operate`). The compiled objects are
checked against v4.1.2's schema and OpenAPI spec. `idp submit` refuses, and `idp doctor`
reports, an Argo Server of another release.
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


ARGO_WORKFLOWS: Product[WorkflowsRelease] = Product(
    name="Argo Workflows",
    releases=(WorkflowsRelease("v4.1.0"), WorkflowsRelease("v4.1.1"), WorkflowsRelease("v4.1.2")),
    source="workflow/controller/dag.go and operator.go",
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
        f"are tested with {release_range(product)}"
    )
