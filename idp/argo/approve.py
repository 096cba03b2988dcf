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

Who answered is what the server records: with claims for the token (SSO, or a client token
that is a JWT) `set` and `resume` label the Workflow with the caller (`updateSuspendedNode`,
workflow/creator/creator.go `LabelActor`), and the apply step refuses a YES from the requester
(idp/actor.py). Before it writes anything, this asks the server who it takes the
token for (`GET /api/v1/userinfo`, server/info/info_server.go `GetUserInfo`, the same claims
the labels come from) and refuses a YES by the requester (exit 19): the run would only fail at
apply. Afterwards it reads the labels back and prints who is recorded, or says that nobody is
(no claims: SSO off, or a token that is not a JWT), and what apply will make of that under
`settings.approver_identity`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from idp.actor import Approver, dns_friendly, recorded_email
from idp.argo import status
from idp.argo.client import ArgoClient
from idp.argo.connection import from_args
from idp.argo.errors import ArgoError, HttpError
from idp.errors import EXIT_CONFLICT, EXIT_FOUR_EYES, EXIT_NOT_FOUND, EXIT_NOT_WAITING
from idp.manifests import Manifest
from idp.pipeline import APPROVAL, APPROVED
from idp.settings import Settings
from idp.text import printable

Print = Callable[[str], None]
Node = status.Node
REQUESTER = "requester_email"  # the request field the Workflow carries as an argument


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


def _node_of(workflow: Manifest, node_id: str) -> Node:
    found: Node = ((workflow.get("status") or {}).get("nodes") or {}).get(node_id) or {}
    return found


def _node(client: ArgoClient, name: str, node_id: str) -> Node:
    return _node_of(client.get_workflow(name), node_id)


def requester(workflow: Manifest) -> str:
    """The requester's e-mail, from the Workflow's arguments ("" when it has none)."""
    for item in ((workflow.get("spec") or {}).get("arguments") or {}).get("parameters") or []:
        if item.get("name") == REQUESTER:
            return str(item.get("value") or "")
    return ""


def caller(info: Manifest) -> Approver:
    """Whom the server will record for this token's answer, from its userinfo: the subject and
    e-mail as `LabelActor` writes them (userinfo carries no preferred username)."""
    email = str(info.get("email") or "")
    return Approver(
        subject=dns_friendly(str(info.get("subject") or "")),
        email=recorded_email(email) if email else "",
    )


def _four_eyes(name: str, acting: Approver, answer: str, requested_by: str) -> None:
    if answer == APPROVED and acting.is_requester(requested_by):
        raise ArgoError(
            f"workflow {name}: the server takes this token for {acting.shown()}, who asked for "
            f"this change ({REQUESTER}); the requester may not approve it: a second person "
            "must (four eyes); nothing was sent",
            EXIT_FOUR_EYES,
        )


def recorded_identity(
    workflow: Manifest, answer: str, approver_identity: str, requested_by: str
) -> str:
    """One line on who the server recorded as answering, and what apply will make of it."""
    recorded = Approver.from_label_map((workflow.get("metadata") or {}).get("labels") or {})
    if recorded.known:
        parts = [
            f"{what} {value}"
            for what, value in (
                ("email", recorded.email),
                ("subject", recorded.subject),
                ("username", recorded.username),
            )
            if value
        ]
        line = f"approver  the server recorded who answered: {', '.join(parts)}"
        if answer == APPROVED and recorded.is_requester(requested_by):
            line += "; that is the requester, so apply will refuse it (four eyes)"
        elif answer == APPROVED and not recorded.person and approver_identity == "required":
            line += (
                "; no person's e-mail, so apply will refuse it (settings.approver_identity is "
                "required): answer with an SSO token (ARGO_TOKEN) or in the Argo UI"
            )
        return line
    line = (
        "approver  the server recorded no identity for this answer (it found no claims for "
        "the token: SSO off, or a token that is not a JWT)"
    )
    if answer != APPROVED:
        return line
    if approver_identity == "optional":
        return line + "; apply records the approver as unknown (settings.approver_identity)"
    return (
        line + "; apply will refuse it, since settings.approver_identity is required: answer "
        "in the Argo UI with SSO, or with an SSO token (ARGO_TOKEN)"
    )


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


def approve(
    client: ArgoClient,
    name: str,
    answer: str,
    out: Print = print,
    *,
    approver_identity: str = "required",
) -> str:
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
    requested_by = requester(workflow)
    _four_eyes(name, caller(client.user_info()), answer, requested_by)
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
    after = client.get_workflow(name)
    recorded = status.answer(_node_of(after, node_id))
    if recorded != answer:
        raise _lost(name, answer, str(recorded))
    sha = status.parameter(waiting[0], "inputs", "sha256") or "(no sha256)"
    out(
        printable(
            f"approve   {name}: the server recorded {recorded} for plan sha256 {sha}; "
            f"resumed node {node_id}"
        )
    )
    out(printable(recorded_identity(after, answer, approver_identity, requested_by)))
    return node_id


def command(args: argparse.Namespace, settings: Settings) -> int:
    """`idp approve` from parsed arguments."""
    with ArgoClient(from_args(args, settings.namespace)) as client:
        approve(client, args.workflow, args.answer, approver_identity=settings.approver_identity)
    return 0
