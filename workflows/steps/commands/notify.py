"""`notify`: tell the approvers that a plan waits for them (beside the approval, not before it).

The notice carries the plan's summary; it goes to `callback_url` and by e-mail to
`IDP_APPROVERS`. The step fails when the notice was not delivered; the template lets it fail
alone (`continueOn`), so the run and the approval go on.
"""

from __future__ import annotations

import argparse
import os

from workflows.steps import request
from workflows.steps.delivery import Recipient, deliver, notice
from workflows.steps.errors import StepError
from workflows.steps.outcome import absent

APPROVERS_ENV = "IDP_APPROVERS"


def run(args: argparse.Namespace) -> int:
    """The command's entry: typed values from the arguments, then `notify`."""
    recipient = Recipient(
        args.kind, args.workflow, args.namespace, args.request_id, args.requester_email
    )
    notify(recipient, args.phase, args.summary, args.cost)
    return 0


def notify(recipient: Recipient, phase: str, summary: str, cost: str = "") -> None:
    """Send the approvers' notice; StepError when it was not delivered."""
    settings = request.settings()
    shown = "" if absent(summary) else " ".join(summary.split())
    made, _ = notice(recipient, phase, settings, summary=shown, cost="" if absent(cost) else cost)
    approvers = [a.strip() for a in os.environ.get(APPROVERS_ENV, "").split(",") if a.strip()]
    delivery = deliver(made, settings, approvers)
    if delivery.problems:
        raise StepError("notice not delivered: " + "; ".join(delivery.problems))
