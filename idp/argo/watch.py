"""`idp watch REQUEST_ID|WORKFLOW`: follow a run until it completes, printing what changes.

It reads the server's workflow events (`GET /api/v1/workflow-events/{namespace}` with
`listOptions.fieldSelector=metadata.name=<name>`, as `argo watch` does; server/workflow/
workflow_server.go, `WatchWorkflows`). A Kubernetes watch begins with the object as it is, then
sends each change. idp prints the Workflow's phase and each step's (`idp.argo.steps`; each
attempt's too when a step runs more than once) as they change, says when the approval waits and
how to answer, and at the end the outcome. The exit code is
`idp run --wait`'s: 0 when the Workflow Succeeded, 14 when it Failed or Errored, 13 after
`--timeout` (by default it waits as long as the run takes), 8 when the Workflow is deleted.
The timeout is checked on every line the stream brings, keep-alives included, and the stream's
connection is shut down when it passes, so a server that only sends keep-alives (as the real
one does every 15 seconds while nothing changes) cannot hold the watch past it.

A watch ends on the server's side from time to time (the Kubernetes watch closes and the server
sends a ResourceExhausted error, `WatchWorkflows`), and a connection can break or go quiet
(`idp.argo.streams`): idp then watches again, from the Workflow as it then is, after a pause
that doubles from one second up to 30 and starts again at one after an event. Only the fields
shown are asked for (`fields`, which the server applies to each event).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Generator
from typing import Any

from idp.argo import answers, find, status, steps, streams
from idp.argo.client import ArgoClient, said
from idp.argo.connection import from_args
from idp.argo.ending import finish, waiting_lines
from idp.argo.errors import ArgoError, HttpError
from idp.errors import EXIT_NOT_FOUND, EXIT_SERVER_ERROR, EXIT_TIMEOUT
from idp.manifests import Manifest
from idp.settings import Settings
from idp.text import printable

Print = Callable[[str], None]
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0
WATCH_ENDED = 429  # ResourceExhausted, what the server sends when its watch closes
FIELDS = ",".join(
    (
        "result.type",
        "result.object.metadata.name",
        "result.object.metadata.namespace",
        "result.object.metadata.labels",
        "result.object.status.phase",
        "result.object.status.message",
        "result.object.status.finishedAt",
        "result.object.status.nodes",
        "result.object.status.outputs",
    )
)


class StepProgress:
    """Prints the Workflow's phase and each step's when it changes (see the module docstring)."""

    def __init__(self, name: str, phase: str, out: Print) -> None:
        self.name = name
        self.out = out
        self.seen: dict[str, str] = {"": phase}

    def _changed(self, key: str, phase: str) -> bool:
        changed = self.seen.get(key) != phase
        self.seen[key] = phase
        return changed

    def show(self, workflow: Manifest) -> None:
        phase = status.phase(workflow)
        if self._changed("", phase) and phase not in status.FINISHED:
            self.out(printable(f"watch     {self.name}: {phase}"))
        for step in steps.steps(workflow):
            shown = [(step.name, step.node)]
            if len(step.attempts) > 1:
                shown += [(steps.node_name(workflow, a), a) for a in step.attempts]
            for label, node in shown:
                node_phase = str(node.get("phase") or "Pending")
                if self._changed(str(node.get("id") or label), node_phase):
                    note = f"  {node['message']}" if node.get("message") else ""
                    self.out(printable(f"  {label:<28} {node_phase}{note}"))


class Watcher:
    """Follows one Workflow's events; `run` returns when it succeeded and raises otherwise."""

    def __init__(
        self,
        client: ArgoClient,
        name: str,
        link: str,
        *,
        phase: str = "Pending",
        timeout: float | None = None,
        out: Print = print,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.name = name
        self.link = link
        self.timeout = timeout
        self.out = out
        self.sleep = sleep
        self.clock = clock
        self.deadline = None if timeout is None else clock() + timeout
        self.progress = StepProgress(name, phase, out)
        self.told_waiting = False
        self.pause = FIRST_PAUSE

    def _check_time(self, phase: str) -> None:
        if self.deadline is not None and self.clock() >= self.deadline:
            raise ArgoError(
                f"stopped watching after {self.timeout:g}s: workflow {self.name} is {phase} "
                f"and keeps running on the server; follow it in {self.link}",
                EXIT_TIMEOUT,
            )

    def _event(self, result: object) -> Manifest | None:
        """The Workflow an event carries (None for anything else); a deletion raises."""
        if not isinstance(result, dict):
            return None
        if result.get("type") == "DELETED":
            raise ArgoError(f"workflow {self.name} was deleted before it completed", EXIT_NOT_FOUND)
        try:
            return answers.workflow(result.get("object"), "result.object")
        except answers.Malformed as exc:
            raise ArgoError(
                f"Argo Server {self.client.connection.server}: a workflow event is not an Argo "
                f"Server answer ({said(self.client.connection, str(exc), 1000)}); check that "
                "--server points at an Argo Server",
                EXIT_SERVER_ERROR,
            ) from None

    def _seen(self, workflow: Manifest) -> bool:
        """Print what changed; True once the Workflow finished (then it has said how)."""
        self.progress.show(workflow)
        if status.phase(workflow) in status.FINISHED:
            finish(workflow, self.name, self.link, self.out, word="watch")
            return True
        waiting = bool(status.pending(workflow))
        if waiting and not self.told_waiting:
            for line in waiting_lines(workflow, self.name, self.link, word="watch"):
                self.out(line)
        self.told_waiting = waiting
        return False

    def _once(self, phase: str) -> tuple[bool, str]:
        """One watch, until it ends; (finished, the last phase seen)."""
        path = f"api/v1/workflow-events/{self.client.namespace}"
        params = {"listOptions.fieldSelector": f"metadata.name={self.name}", "fields": FIELDS}
        until = None
        if self.deadline is not None:
            until = time.monotonic() + max(self.deadline - self.clock(), 0.0)
        events: Generator[Any, None, None] = self.client.stream(path, params, until)
        try:
            for result in events:
                self._check_time(phase)
                workflow = self._event(result)
                if workflow is None:
                    continue
                self.pause = FIRST_PAUSE
                phase = status.phase(workflow)
                if self._seen(workflow):
                    return True, phase
        except HttpError as exc:
            if exc.status != WATCH_ENDED:
                raise
        except streams.StreamBroken as exc:
            self._check_time(phase)  # the deadline cut the stream: no "watching again"
            self.out(f"watch     {exc}; watching again")
        finally:
            events.close()
        return False, phase

    def run(self) -> None:
        phase = "Pending"
        while True:
            done, phase = self._once(phase)
            if done:
                return
            self._check_time(phase)
            wait = self.pause
            if self.deadline is not None:
                wait = min(wait, max(self.deadline - self.clock(), 0.0))
            self.sleep(wait)
            self.pause = min(self.pause * 2, LONGEST_PAUSE)


def command(args: argparse.Namespace, settings: Settings) -> int:
    """`idp watch` from parsed arguments."""
    with ArgoClient(from_args(args, settings.namespace)) as client:
        workflow = find.resolve(client, args.request)
        name = str(workflow["metadata"]["name"])
        link = status.ui_link(settings.argo_ui_url, client.connection.namespace, name)
        print(
            f"watch     {name} in namespace {client.connection.namespace}: {status.phase(workflow)}"
        )
        Watcher(client, name, link, timeout=args.timeout).run()
    return 0
