"""`idp approve WORKFLOW --yes|--no`: answer a pending approval as the Argo UI does.

The UI sets the suspended node's output parameter (`PUT .../set` with `nodeFieldSelector` and
`outputParameters` as a JSON string) and then resumes that node (`PUT .../resume`); so does this,
selecting the node by its id. It refuses when the workflow does not exist, has finished, or has
no approval waiting, saying which.

It reports what the server recorded, never what it meant to send. The Argo Server refuses a
second `set` of an answer (workflow/util/util.go, updateSuspendedNode), so of two answers sent
at once only one is recorded: the other command re-reads the node and fails with a conflict
naming the recorded answer. An answer already recorded but not yet resumed (a resume that
failed) is resumed when the same answer is given again.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from idp.argo import status
from idp.argo.client import ArgoClient
from idp.argo.connection import from_args
from idp.argo.errors import ArgoError, HttpError
from idp.errors import EXIT_CONFLICT, EXIT_NOT_FOUND, EXIT_NOT_WAITING
from idp.manifests import Manifest
from idp.settings import Settings
from workflows.pipeline import APPROVAL

Print = Callable[[str], None]
Node = status.Node


def _nothing_waits(name: str, workflow: Manifest) -> ArgoError:
    phase = status.phase(workflow)
    nodes = status.approvals(workflow)
    answered = [status.answer(n) for n in nodes if n.get("phase") == "Succeeded"]
    if phase in status.FINISHED:
        detail = f"already finished ({phase}"
        detail += f", answered {answered[-1]})" if answered and answered[-1] else ")"
    elif answered:
        detail = f"already answered {answered[-1]}; the run goes on"
    elif any(n.get("phase") in ("Skipped", "Omitted") for n in nodes):
        detail = "skipped its approval (the plan has no changes)"
    else:
        detail = f"is {phase} and has not reached its approval yet (idp run --wait follows it)"
    return ArgoError(f"workflow {name} {detail}: nothing waits for approval", EXIT_NOT_WAITING)


def _lost(name: str, answer: str, recorded: str) -> ArgoError:
    return ArgoError(
        f"workflow {name}: another answer came first: the server recorded {recorded}, not "
        f"this {answer}; nothing was changed",
        EXIT_CONFLICT,
    )


def _node(client: ArgoClient, name: str, node_id: str) -> Node:
    nodes = (client.get_workflow(name).get("status") or {}).get("nodes") or {}
    found: Node = nodes.get(node_id) or {}
    return found


def _record(client: ArgoClient, name: str, node: Node, answer: str) -> None:
    """Set the answer, unless this very answer is already recorded; a lost race raises."""
    node_id = str(node["id"])
    recorded = status.answer(node)
    if recorded is None:
        try:
            client.set_outputs(name, node_id, {APPROVAL: answer})
            return
        except HttpError:
            recorded = status.answer(_node(client, name, node_id))
            if recorded is None:
                raise
        raise _lost(name, answer, recorded)
    if recorded != answer:
        raise _lost(name, answer, recorded)


def approve(client: ArgoClient, name: str, answer: str, out: Print = print) -> str:
    """Answer the pending approval of `name`; returns the node id it resumed."""
    try:
        workflow = client.get_workflow(name)
    except HttpError as exc:
        if exc.status != 404:
            raise
        raise ArgoError(
            f"workflow {name} not found in namespace {client.connection.namespace} on "
            f"{client.connection.server}: check the name (idp run prints it) and --namespace",
            EXIT_NOT_FOUND,
        ) from None
    waiting = status.pending(workflow)
    if status.phase(workflow) in status.FINISHED or not waiting:
        raise _nothing_waits(name, workflow)
    if len(waiting) > 1:
        ids = ", ".join(str(n.get("id")) for n in waiting)
        raise ArgoError(f"workflow {name}: several approvals wait ({ids})", EXIT_NOT_WAITING)
    node_id = str(waiting[0]["id"])
    _record(client, name, waiting[0], answer)
    try:
        client.resume(name, node_id)
    except ArgoError as exc:
        after = _node(client, name, node_id)
        if after.get("phase") != "Succeeded" or status.answer(after) != answer:
            raise ArgoError(
                f"workflow {name}: the answer {answer} was recorded but the node was not "
                f"resumed; run the same command again ({exc})",
                exc.code,
            ) from None
    recorded = status.answer(_node(client, name, node_id))
    if recorded != answer:
        raise _lost(name, answer, str(recorded))
    sha = status.parameter(waiting[0], "inputs", "sha256") or "(no sha256)"
    out(
        f"approve   {name}: the server recorded {recorded} for plan sha256 {sha}; "
        f"resumed node {node_id}"
    )
    return node_id


def command(args: argparse.Namespace, settings: Settings) -> int:
    """`idp approve` from parsed arguments."""
    with ArgoClient(from_args(args, settings.namespace)) as client:
        approve(client, args.workflow, args.answer)
    return 0
