"""`idp submit`: create or update every compiled object on a cluster.

In this order, so that a predictable failure leaves nothing half-written:

1. every WorkflowTemplate goes through the Argo Server's lint endpoint (nothing is written
   unless all pass; this also proves the server is reachable and the token works);
2. the objects the Argo Server does not manage go to `kubectl apply --server-side`, each to
   its own namespace (the approver's ServiceAccount and token Secret live in the Argo Server's;
   see idp.approvers); without kubectl or a context, the exact command to run is printed;
3. each WorkflowTemplate, EventSource and Sensor is read; a missing one is created, a different
   one is updated with the live `resourceVersion`, an equal one is left alone. A create that
   meets 409 (created meanwhile) falls back to read-and-update.

"Equal" means: every top-level field but `metadata` is the same, and every label and annotation
we set is present with our value (the server may add its own, and those are kept on update).
An update replaces the object in one request; a failed update leaves the old object in place.

`--dry-run` writes nothing and shows, for each object that would be updated, a unified diff of
the live object against the compiled one (the fields compared above). `--prune` then deletes
the objects idp created (those labelled `app.kubernetes.io/part-of=idp`, of the kinds idp
compiles into that namespace) that the compiled catalog no longer has, and nothing else.
Objects left for kubectl and not applied (no kubectl, no context, or `--no-kubectl`) make
submit exit 16 after printing the command that applies them.
"""

from __future__ import annotations

import argparse
import copy
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from idp.argo import kubectl
from idp.argo.client import MANAGED_KINDS, ArgoClient
from idp.argo.connection import from_args
from idp.argo.errors import ArgoError, HttpError, UsageError
from idp.compat import workflows_problem
from idp.errors import EXIT_NOT_APPLIED, EXIT_REJECTED, EXIT_UNSUPPORTED
from idp.manifests import PART_OF, Manifest, to_yaml
from idp.settings import Settings
from idp.text import printable

Action = Literal["created", "updated", "unchanged", "deleted"]
SELECTOR = ",".join(f"{key}={value}" for key, value in PART_OF.items())
Print = Callable[[str], None]
_METADATA_MAPS = ("labels", "annotations")


@dataclass(frozen=True)
class Outcome:
    """What happened (or, in a dry run, would happen) to one object."""

    label: str
    action: Action
    diff: list[str] = field(default_factory=list)


def label(manifest: Manifest) -> str:
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


def compared(desired: Manifest, source: Manifest) -> Manifest:
    """What of `source` (live or desired) is compared with `desired` (module docstring)."""
    meta = source.get("metadata") or {}
    view: Manifest = {"metadata": {"name": desired["metadata"]["name"]}}
    for key in _METADATA_MAPS:
        wanted = desired["metadata"].get(key) or {}
        have = meta.get(key) or {}
        if wanted:
            view["metadata"][key] = {k: have.get(k) for k in wanted}
    for key in desired:
        if key not in ("metadata", "apiVersion", "kind"):
            view[key] = source.get(key)
    return view


def differs(desired: Manifest, live: Manifest) -> bool:
    """True when `live` lacks something `desired` sets (see the module docstring)."""
    return compared(desired, live) != compared(desired, desired)


def difference(desired: Manifest, live: Manifest) -> list[str]:
    """A unified diff of the compared fields: live, then compiled."""
    return list(
        difflib.unified_diff(
            to_yaml(compared(desired, live)).splitlines(),
            to_yaml(compared(desired, desired)).splitlines(),
            f"live/{label(desired)}",
            f"compiled/{label(desired)}",
            lineterm="",
        )
    )


def replacement(desired: Manifest, live: Manifest) -> Manifest:
    """`desired`, carrying the live resourceVersion and the labels/annotations others set."""
    body = copy.deepcopy(desired)
    live_meta = live.get("metadata") or {}
    meta = body["metadata"]
    meta["resourceVersion"] = live_meta.get("resourceVersion")
    for key in _METADATA_MAPS:
        merged = {**(live_meta.get(key) or {}), **(meta.get(key) or {})}
        if merged:
            meta[key] = merged
    return body


def put(client: ArgoClient, desired: Manifest, *, dry_run: bool) -> Outcome:
    """Create, update or leave one object."""
    live = client.get(desired["kind"], desired["metadata"]["name"])
    if live is None:
        if dry_run:
            return Outcome(label(desired), "created")
        try:
            client.create(desired)
            return Outcome(label(desired), "created")
        except HttpError as exc:
            if exc.status != 409:
                raise
        live = client.get(desired["kind"], desired["metadata"]["name"])
        if live is None:
            raise ArgoError(f"{label(desired)}: the server says it exists but cannot find it")
    if not differs(desired, live):
        return Outcome(label(desired), "unchanged")
    if not dry_run:
        client.update(replacement(desired, live))
    return Outcome(label(desired), "updated", difference(desired, live))


def prune(client: ArgoClient, managed: list[Manifest], *, dry_run: bool) -> list[Outcome]:
    """Delete what idp created (its label) that `managed` no longer has; nothing else."""
    wanted = {label(m) for m in managed}
    outcomes = []
    for kind in MANAGED_KINDS:
        for name in client.list_names(kind, SELECTOR):
            if f"{kind}/{name}" not in wanted:
                if not dry_run:
                    client.delete(kind, name)
                outcomes.append(Outcome(f"{kind}/{name}", "deleted"))
    return outcomes


def lint(client: ArgoClient, templates: list[Manifest]) -> None:
    for template in templates:
        try:
            client.lint_template(template)
        except HttpError as exc:
            if exc.status in (400, 422):
                raise ArgoError(
                    f"{label(template)}: the Argo Server's lint rejects it; nothing was written: "
                    f"{exc}",
                    EXIT_REJECTED,
                ) from None
            raise


def _others(
    others: list[Manifest],
    tool: kubectl.Kubectl | None,
    manual: str,
    *,
    home: str,
    dry_run: bool,
    prune_them: bool,
    out: Print,
) -> bool:
    """Apply (or diff) the objects kubectl manages; False when they were left unapplied."""
    kinds = ", ".join(sorted({m["kind"] for m in others}))
    if tool is None:
        done = "are not checked in a dry run" if dry_run else "were not applied"
        out(
            f"kubectl   not available (no kubectl on PATH, no current context, or --no-kubectl): "
            f"{len(others)} objects the Argo Server does not manage ({kinds}) {done}; run:"
        )
        out(f"  {manual}")
        if prune_them:
            listed = kubectl.manual_prune(others, SELECTOR)
            out(f"  {listed}   (then delete those the catalog lacks)")
        return dry_run
    if dry_run:
        changed = kubectl.diff(tool, others)
        out(
            f"kubectl   context {tool.context}: kubectl diff --server-side finds "
            f"{len(changed)} of {len(others)} objects ({kinds}) to change"
        )
        for name in changed:
            out(f"  would apply {name}")
    else:
        lines = kubectl.apply(tool, others)
        out(
            f"kubectl   context {tool.context}: applied {len(others)} objects ({kinds}) with "
            "kubectl apply --server-side"
        )
        for line in lines:
            out(printable(f"  {line}", 1000))
    if prune_them:
        for name in kubectl.prune(tool, others, SELECTOR, home=home, dry_run=dry_run):
            out(f"{'would be deleted' if dry_run else 'deleted':<17} {name}")
    return True


def submit(
    client: ArgoClient,
    manifests: list[Manifest],
    *,
    dry_run: bool,
    tool: kubectl.Kubectl | None,
    manual: str,
    prune_them: bool = False,
    out: Print = print,
) -> list[Outcome]:
    """Put every object on the cluster (see the module docstring); returns what happened.

    Raises ArgoError (exit 16) at the end when objects for kubectl were left unapplied.
    """
    managed = [m for m in manifests if m["kind"] in MANAGED_KINDS]
    others = [m for m in manifests if m["kind"] not in MANAGED_KINDS]
    for manifest in managed:  # kubectl places the others in their own namespaces
        if manifest["metadata"].get("namespace", client.namespace) != client.namespace:
            raise UsageError(
                f"{label(manifest)} belongs in namespace {manifest['metadata']['namespace']!r} "
                f"(settings.namespace), not {client.namespace!r} (ARGO_NAMESPACE or --namespace); "
                "unset one or set IDP_NAMESPACE to the same namespace"
            )
    templates = [m for m in managed if m["kind"] == "WorkflowTemplate"]
    version = client.version()
    problem = workflows_problem(version)
    if problem is not None:
        raise ArgoError(
            f"{client.connection.server}: {problem}; nothing was written", EXIT_UNSUPPORTED
        )
    out(f"server    Argo Workflows {version}")
    lint(client, templates)
    out(f"lint      {len(templates)} WorkflowTemplates pass the Argo Server's lint")
    applied = True
    if others:
        applied = _others(
            others,
            tool,
            manual,
            home=client.connection.namespace,
            dry_run=dry_run,
            prune_them=prune_them,
            out=out,
        )
    outcomes = [put(client, manifest, dry_run=dry_run) for manifest in managed]
    if prune_them:
        outcomes += prune(client, managed, dry_run=dry_run)
    prefix = "would be " if dry_run else ""
    for outcome in outcomes:
        shown = outcome.action if outcome.action == "unchanged" else prefix + outcome.action
        out(f"{shown:<17} {outcome.label}")
        if dry_run:
            for line in outcome.diff:
                out(f"  {line}")
    counts = ", ".join(
        f"{sum(o.action == a for o in outcomes)} {a}"
        for a in ("created", "updated", "unchanged", *(("deleted",) if prune_them else ()))
    )
    where = f"namespace {client.namespace} on {client.connection.server}"
    if dry_run:
        out(f"dry run: {len(outcomes)} objects in {where} ({counts}); nothing was written")
    else:
        out(f"submit: {len(outcomes)} objects in {where}: {counts}")
    if not applied:
        raise ArgoError(
            f"submit: {len(others)} objects for kubectl were not applied; run the command "
            "printed above",
            EXIT_NOT_APPLIED,
        )
    return outcomes


def command(args: argparse.Namespace, settings: Settings, manifests: list[Manifest]) -> int:
    """`idp submit` from parsed arguments: `manifests` are what `idp compile` writes."""
    connection = from_args(args, settings.namespace)
    others = [m for m in manifests if m["kind"] not in MANAGED_KINDS]
    tool = None if args.no_kubectl or not others else kubectl.find()
    manual = kubectl.manual_command(others, args.config)
    with ArgoClient(connection) as client:
        submit(
            client,
            manifests,
            dry_run=args.dry_run,
            tool=tool,
            manual=manual,
            prune_them=args.prune,
        )
    return 0
