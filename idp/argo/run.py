"""`idp run KIND FILE`: submit one Workflow from the kind's template, bypassing the webhook.

The request is validated locally, then the Workflow is exactly what the kind's Sensor would
create for it (`events.render`, the code behind `idp render`): the same template, name and
arguments. A request runs from `<kind>-provision-workflow` as `<kind>-<request_id>` (a second
run of the same request meets 409); a preview (`action: preview`) from
`<kind>-preview-workflow` as `<kind>-preview-<request_id>`, so it never takes the name of the
request it previews.
`--wait` polls the workflow and prints each node's phase as it changes, until the workflow
finishes or waits at the approval, within a bounded total time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from idp.argo import status
from idp.argo.client import ArgoClient
from idp.argo.connection import from_args
from idp.argo.ending import Print, finish, waiting_lines
from idp.argo.errors import ArgoError, HttpError, UsageError
from idp.errors import EXIT_CONFLICT, EXIT_TIMEOUT
from idp.manifests import Manifest, dump
from idp.settings import Settings
from idp.text import printable


def create(client: ArgoClient, workflow: Manifest, *, dry_run: bool = False) -> Manifest:
    """Submit `workflow`; 409 becomes a clear `already exists`."""
    name = workflow["metadata"]["name"]
    try:
        return client.create_workflow(workflow, server_dry_run=dry_run)
    except HttpError as exc:
        if exc.status != 409:
            raise
        raise ArgoError(
            f"Workflow {name} already exists in namespace {client.namespace}: this request_id "
            f"was run before; a new run needs a new request_id (follow the existing one with "
            f"idp approve {name} when it waits, or in the Argo UI)",
            EXIT_CONFLICT,
        ) from None


class Progress:
    """Prints each node's phase when it changes, as `idp run --wait` and `idp watch` show it."""

    def __init__(self, out: Print) -> None:
        self.out = out
        self.seen: dict[str, str] = {}

    def show(self, workflow: Manifest) -> None:
        for node in status.nodes(workflow):
            node_phase = str(node.get("phase") or "Pending")
            if self.seen.get(node.get("id", "")) != node_phase:
                self.seen[node.get("id", "")] = node_phase
                note = f"  {node['message']}" if node.get("message") else ""
                name = node.get("displayName") or node.get("name")
                self.out(printable(f"  {name!s:<28} {node_phase}{note}"))


def follow(
    client: ArgoClient,
    name: str,
    *,
    interval: float,
    timeout: float,
    ui_url: str,
    out: Print = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Print node phases as they change until the run finishes or waits for approval."""
    progress = Progress(out)
    deadline = clock() + timeout
    link = status.ui_link(ui_url, client.namespace, name)
    while True:
        workflow = client.get_workflow(name)
        progress.show(workflow)
        phase = status.phase(workflow)
        if phase in status.FINISHED:
            finish(workflow, name, link, out)
            return
        if status.pending(workflow):
            for line in waiting_lines(workflow, name, link):
                out(line)
            return
        left = deadline - clock()
        if left <= 0:
            raise ArgoError(
                f"stopped waiting after {timeout:g}s: workflow {name} is {phase} and keeps "
                f"running on the server; follow it in {link}",
                EXIT_TIMEOUT,
            )
        sleep(min(interval, left))


def command(args: argparse.Namespace, settings: Settings, workflow: Manifest) -> int:
    """`idp run` from parsed arguments: submit `workflow` (as the kind's Sensor makes it)."""
    started = time.monotonic()
    connection = from_args(args, settings.namespace)
    name = workflow["metadata"]["name"]
    if workflow["metadata"].get("namespace", connection.namespace) != connection.namespace:
        raise UsageError(
            f"the Workflow belongs in namespace {workflow['metadata']['namespace']!r} "
            f"(settings.namespace), not {connection.namespace!r} (ARGO_NAMESPACE or --namespace)"
        )
    say: Print = print if args.output is None else lambda line: print(line, file=sys.stderr)
    with ArgoClient(connection) as client:
        created = create(client, workflow, dry_run=args.dry_run)
        if args.output is not None:
            sys.stdout.write(dump(created, args.output))
        if args.dry_run:
            say(f"run       {name}: the Argo Server accepts it (server dry run); not created")
            return 0
        say(f"run       {name}: submitted to namespace {client.namespace} on {connection.server}")
        if args.wait:
            follow(
                client,
                name,
                interval=args.interval,
                timeout=max(args.timeout - (time.monotonic() - started), 0.0),
                ui_url=settings.argo_ui_url,
                out=say,
            )
    return 0
