"""`idp logs REQUEST_ID|WORKFLOW [STEP]`: the log of one step, or of every step in order.

The Argo Server reads the pods' logs from Kubernetes and streams them
(`GET /api/v1/workflows/{namespace}/{name}/log`; server/workflow/workflow_server.go,
`WorkflowLogs`, and util/logs/workflow-logger.go). idp asks for one pod at a time (`podName`:
the pod's name as the controller makes it, `idp.argo.steps`) and the step's own container
(`logOptions.container=main`; the other one, `wait`, is Argo's), so the lines of one step come
together. A named STEP prints its lines as they are; every step prints them in the order the
steps ran, each line after the step's name (an attempt's name when a step ran more than once).
STEP may also name one attempt (`plan(1)`). The approval is a Suspend node: it runs no pod.

`--follow` streams as the server does (`logOptions.follow`): the lines of the step's latest
attempt (of every pod, without STEP) until the Workflow completes; the server watches the
Workflow, not the pod, so a named step is followed until the whole run ends.

Bounds: `--tail N` asks for the last N lines of each pod (`logOptions.tailLines`); `--grep`
(the server's `grep`, a Go regular expression, at most 256 characters) keeps matching lines;
at most `--max-lines` lines are printed in all, each cut at 16 KiB with control characters
escaped (`idp.text`), and never the token. A pod already deleted (podGC deletes the
pod of a step that succeeded, after a delay) has no log left to read; idp says so.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from idp.argo import find, steps
from idp.argo.client import ArgoClient, segment
from idp.argo.connection import from_args
from idp.argo.errors import ArgoError, UsageError
from idp.errors import EXIT_NOT_FOUND
from idp.manifests import Manifest
from idp.settings import Settings
from idp.text import printable

Print = Callable[[str], None]
CONTAINER = "main"
MAX_GREP = 256


@dataclass(frozen=True)
class Pod:
    """One pod to read: its name and the label its lines get (empty: printed as they are)."""

    name: str
    label: str


@dataclass
class Printer:
    """Prints log lines: labelled and aligned, escaped, without the token, at most `left`."""

    out: Print
    hide: Callable[[str], str]
    left: int
    width: int = 0
    cut: bool = False

    def line(self, label: str, content: str) -> bool:
        """Print one line; False once the budget is spent (then it notes the cut)."""
        if self.left <= 0:
            self.cut = True
            return False
        text = printable(self.hide(content))
        shown = printable(label, 200)
        self.out(f"{shown:<{self.width}} | {text}" if label else text)
        self.left -= 1
        return True


def chosen(workflow: Manifest, step: str | None) -> list[tuple[steps.Step, list[Pod]]]:
    """The steps to read and their pods; an unknown STEP raises naming the known ones."""
    found = steps.steps(workflow)
    if step is None:
        return [
            (s, [Pod(steps.pod_name(workflow, a), _label(workflow, s, a)) for a in s.attempts])
            for s in found
        ]
    for candidate in found:
        if candidate.name == step:
            return [(candidate, [Pod(steps.pod_name(workflow, a), "") for a in candidate.attempts])]
        for attempt in candidate.attempts:
            if steps.node_name(workflow, attempt) == step and len(candidate.attempts) > 1:
                return [(candidate, [Pod(steps.pod_name(workflow, attempt), "")])]
    known = ", ".join(s.name for s in found) or "none yet"
    raise ArgoError(
        f"workflow {workflow['metadata']['name']} has no step {step[:80]!r}; its steps: {known}",
        EXIT_NOT_FOUND,
    )


def _label(workflow: Manifest, step: steps.Step, attempt: steps.Node) -> str:
    if len(step.attempts) > 1:
        return steps.node_name(workflow, attempt)
    return step.name


def _params(args: argparse.Namespace, pod: str | None) -> dict[str, str]:
    params = {"logOptions.container": CONTAINER}
    if pod is not None:
        params["podName"] = pod
    if args.follow:
        params["logOptions.follow"] = "true"
    if args.tail is not None:
        params["logOptions.tailLines"] = str(args.tail)
    if args.grep:
        params["grep"] = args.grep
    return params


def _entries(client: ArgoClient, name: str, params: dict[str, str]) -> Iterator[dict[str, str]]:
    path = f"api/v1/workflows/{client.namespace}/{segment(name)}/log"
    for result in client.stream(path, params):
        if isinstance(result, dict):
            yield {
                "podName": str(result.get("podName") or ""),
                "content": str(result.get("content") or ""),
            }


def read_pods(
    client: ArgoClient,
    workflow: Manifest,
    pods: list[Pod],
    args: argparse.Namespace,
    printer: Printer,
) -> int:
    """Print the lines of each pod in turn; the number printed."""
    name = str(workflow["metadata"]["name"])
    printed = 0
    for pod in pods:
        for entry in _entries(client, name, _params(args, pod.name)):
            if not printer.line(pod.label, entry["content"]):
                return printed
            printed += 1
    return printed


def follow_all(
    client: ArgoClient, workflow: Manifest, args: argparse.Namespace, printer: Printer
) -> int:
    """Follow every pod of the Workflow in one stream, each line after its step's name."""
    name = str(workflow["metadata"]["name"])
    labels = _labels(workflow)
    asked: set[str] = set()
    printed = 0
    for entry in _entries(client, name, _params(args, None)):
        pod = entry["podName"]
        if pod not in labels and pod not in asked:
            asked.add(pod)  # a pod of a step that started since: read the nodes once more
            labels = _labels(client.get_workflow(name))
            printer.width = max([printer.width, *map(len, labels.values())])
        if not printer.line(labels.get(pod, pod), entry["content"]):
            return printed
        printed += 1
    return printed


def _labels(workflow: Manifest) -> dict[str, str]:
    return {pod.name: pod.label for _, pods in chosen(workflow, None) for pod in pods}


def _note(line: str) -> None:
    print(f"logs      {line}", file=sys.stderr)


def check(args: argparse.Namespace) -> None:
    """The bounds of the options (a usage error names the one broken)."""
    if not 1 <= args.max_lines <= 1_000_000:
        raise UsageError(f"--max-lines {args.max_lines}: must be 1 to 1000000")
    if args.tail is not None and not 0 <= args.tail <= 1_000_000:
        raise UsageError(f"--tail {args.tail}: must be 0 to 1000000")
    if args.grep is not None and (len(args.grep) > MAX_GREP or not args.grep.isprintable()):
        raise UsageError(f"--grep: at most {MAX_GREP} printable characters")


def command(args: argparse.Namespace, settings: Settings, out: Print = print) -> int:
    """`idp logs` from parsed arguments."""
    check(args)
    connection = from_args(args, settings.namespace)
    printer = Printer(out, connection.hide, args.max_lines)
    with ArgoClient(connection) as client:
        workflow = find.resolve(client, args.request)
        name = workflow["metadata"]["name"]
        found = chosen(workflow, args.step)
        printer.width = max([len(p.label) for _, pods in found for p in pods] or [0])
        if args.follow and args.step is None:
            printed = follow_all(client, workflow, args, printer)
        else:
            printed = 0
            for step, pods in found:
                if not pods and args.step is not None:
                    _nothing_to_read(name, step)
                read = pods[-1:] if args.follow else pods  # following: the latest attempt
                printed += read_pods(client, workflow, read, args, printer)
                if printer.cut:
                    break
    if printer.cut:
        _note(f"stopped after {args.max_lines} lines (--max-lines)")
    elif printed == 0:
        _note(
            f"{name}: no log lines"
            + (f" of step {args.step}" if args.step else "")
            + "; a step's pod is deleted a while after it succeeds (podGC), and a step that has "
            "not started has none yet"
        )
    return 0


def _nothing_to_read(name: str, step: steps.Step) -> None:
    if step.node.get("type") == "Suspend":
        raise ArgoError(
            f"workflow {name}: step {step.name} waits for an answer and runs no pod: it has no log",
            EXIT_NOT_FOUND,
        )
    _note(f"{name}: step {step.name} is {step.phase} and ran no pod")
