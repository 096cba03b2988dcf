"""`idp list`: the platform's requests, newest first, with filters.

The requests are the Workflows labelled `app.kubernetes.io/part-of=idp` that carry a request id
(`idp.platform/request-id`). The server selects them by label, narrowed by `--kind`,
`--environment`, `--requester` (an e-mail address, made into the label value the template
records, `idp.labels.requester_value`) and `-l/--selector` (any Kubernetes label selector). The
selector is sent as given, bounded only (at most `MAX_SELECTOR` printable characters): the Argo
Server parses it itself and refuses one it cannot read with a 400 and the parser's words
(server/utils/list_options.go, `BuildListOptions`, calling k8s.io/apimachinery
`labels.ParseToRequirements`), which idp reports as the server's error. `--outcome` is decided
here from each Workflow (`idp.argo.status`).

`--since` goes to the server as `createdAfter` and is applied here too: the Argo Server applies
it when it reads its own store (persist/sqldb/selector.go: `creationTimestamp >=`), but not
when it lists Workflows from the Kubernetes API (server/workflow/store/lister.go,
`kubeLister.ListWorkflows` ignores it).

The server returns live and archived Workflows and sorts only each page
(server/workflow/workflow_server.go, `ListWorkflows`), so idp asks for one page with only the
fields it shows (the server's `fields`), sorts by creation time, newest first, then by name,
and shows at most `--limit`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from idp import labels
from idp.argo import status
from idp.argo.client import ArgoClient
from idp.argo.connection import from_args
from idp.argo.errors import UsageError
from idp.argo.terminal import table
from idp.catalog import catalog_for, model_for
from idp.contract import MAX_STRING
from idp.durations import DurationError, go_duration
from idp.manifests import PART_OF, Manifest, dump
from idp.settings import Settings

MAX_SINCE = timedelta(days=3660)
MAX_SELECTOR = 1024
# A label value (k8s.io/apimachinery `validation.IsValidLabelValue`): empty, or letters, digits,
# '-', '_' and '.', starting and ending with a letter or digit, at most 63 characters.
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
# What `idp list` reads of each Workflow (the server's `fields`, util/fields/fields.go).
FIELDS = ",".join(
    (
        "metadata",
        "items.metadata.name",
        "items.metadata.namespace",
        "items.metadata.creationTimestamp",
        "items.metadata.labels",
        "items.spec.arguments",
        "items.status.phase",
        "items.status.finishedAt",
        "items.status.outputs",
        "items.status.nodes",
    )
)
HEADERS = ("KIND", "ENVIRONMENT", "NAME", "REQUEST ID", "REQUESTER", "OUTCOME", "APPROVER", "AGE")


@dataclass(frozen=True)
class Filters:
    """What `idp list` selects: label requirements for the server, the rest applied here."""

    requirements: tuple[str, ...]
    since: timedelta | None = None
    state: str | None = None

    @property
    def selector(self) -> str:
        return ",".join(self.requirements)


def part_of() -> str:
    """The label every object idp makes carries, as a requirement."""
    ((key, value),) = PART_OF.items()
    return f"{key}={value}"


def platform_requirements() -> list[str]:
    """The labels every request's Workflow carries."""
    return [part_of(), labels.REQUEST_ID]


def since(text: str) -> timedelta:
    """`--since`: a positive Go duration (`90m`, `24h`, `1h30m`), at most ten years."""
    try:
        seconds = go_duration(text)
    except DurationError as exc:
        raise UsageError(f"--since {exc}") from None
    if seconds <= 0 or seconds > MAX_SINCE.total_seconds():
        raise UsageError(f"--since {text!r}: must be more than 0 and at most 87840h (ten years)")
    return timedelta(seconds=seconds)


def requester(text: str) -> str:
    """`--requester`: an e-mail address as the template labels it, or a label value as is."""
    if len(text) > MAX_STRING:
        raise UsageError(f"--requester: {len(text)} characters; at most {MAX_STRING}")
    value = labels.requester_value(text) if "@" in text else text
    if len(value) > labels.MAX_VALUE or not _LABEL_VALUE.fullmatch(value):
        raise UsageError(
            f"--requester {text[:80]!r}: a label value is at most {labels.MAX_VALUE} characters "
            "of letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        )
    return value


def selector(text: str) -> str:
    """`-l/--selector`: sent as given, once bounded (the server parses it)."""
    if len(text) > MAX_SELECTOR or not text.isprintable():
        raise UsageError(
            f"-l/--selector: {len(text)} characters; a selector is at most {MAX_SELECTOR} "
            "printable characters (no control characters)"
        )
    return text


def filters(args: argparse.Namespace, settings: Settings) -> Filters:
    """The filters of parsed arguments, each checked; a bad one is a usage error naming it."""
    found = platform_requirements()
    if args.kind:
        model_for(args.kind, catalog_for(settings.catalog))
        found.append(f"{labels.KIND}={args.kind}")
    if args.environment:
        found.append(f"{labels.ENVIRONMENT}={args.environment}")
    if args.requester:
        found.append(f"{labels.REQUESTER}={requester(args.requester)}")
    if args.selector:
        found.append(selector(args.selector))
    return Filters(tuple(found), since(args.since) if args.since else None, args.outcome or None)


def timestamp(text: str) -> datetime | None:
    """A Kubernetes timestamp (RFC 3339), or None when empty or unreadable."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def age(created: str, now: datetime) -> str:
    """How long ago `created` was, as kubectl shows ages: 45s, 12m, 5h, 3d ('-' if unknown)."""
    when = timestamp(created)
    if when is None:
        return "-"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = max(int((now - when).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 120 * 60:
        return f"{seconds // 60}m"
    if seconds < 48 * 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _created(workflow: Manifest) -> datetime:
    when = timestamp(str(workflow["metadata"].get("creationTimestamp") or ""))
    return when if when is not None else datetime.min.replace(tzinfo=UTC)


def newest_first(workflows: Sequence[Manifest]) -> list[Manifest]:
    """Sorted by creation time, newest first; equal times by name (a stable order)."""
    by_name = sorted(workflows, key=lambda w: str(w["metadata"].get("name") or ""))
    return sorted(by_name, key=_created, reverse=True)


def select(workflows: Sequence[Manifest], chosen: Filters, now: datetime) -> list[status.Request]:
    """The requests among `workflows` that pass the filters applied here, newest first."""
    kept = []
    for workflow in newest_first(workflows):
        if chosen.since is not None and _created(workflow) < now - chosen.since:
            continue
        found = status.request(workflow)
        if chosen.state is not None and found.state != chosen.state:
            continue
        kept.append(found)
    return kept


def rows(found: Sequence[status.Request], now: datetime) -> list[str]:
    """The table `idp list` prints."""
    return table(
        HEADERS,
        [
            (
                r.kind,
                r.environment,
                r.name,
                r.request_id,
                r.requester,
                r.state,
                r.approver,
                age(r.created, now),
            )
            for r in found
        ],
    )


def command(
    args: argparse.Namespace,
    settings: Settings,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """`idp list` from parsed arguments."""
    if not 1 <= args.limit <= 10000:
        raise UsageError(f"--limit {args.limit}: must be 1 to 10000")
    chosen = filters(args, settings)
    connection = from_args(args, settings.namespace)
    moment = now()
    created_after = None
    if chosen.since is not None:
        created_after = (moment - chosen.since).strftime("%Y-%m-%dT%H:%M:%SZ")
    with ArgoClient(connection) as client:
        workflows = client.list_workflows(chosen.selector, FIELDS, created_after)
    found = select(workflows, chosen, moment)
    shown = found[: args.limit]
    if args.output in ("json", "yaml"):
        sys.stdout.write(dump([r.as_dict() for r in shown], args.output))
    elif shown:
        for line in rows(shown, moment):
            print(line)
    if not found:
        print(
            f"no requests in namespace {connection.namespace} on {connection.server} match "
            f"{chosen.selector}" + _here(chosen),
            file=sys.stderr,
        )
    elif len(found) > len(shown):
        print(
            f"showing the newest {len(shown)} of {len(found)} requests (--limit)", file=sys.stderr
        )
    return 0


def _here(chosen: Filters) -> str:
    parts = []
    if chosen.since is not None:
        parts.append(f"created in the last {_duration(chosen.since)}")
    if chosen.state is not None:
        parts.append(f"outcome {chosen.state}")
    return (" and " + " and ".join(parts)) if parts else ""


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{seconds}s" if seconds or not text else "")
