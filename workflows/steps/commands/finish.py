"""`finish`, the exit handler: decide the outcome, send the one final notice, record both.

It reads what Argo hands every exit handler (`{{workflow.status}}`, `{{workflow.failures}}`)
and what the steps published as workflow outputs: the plan's facts, the approval's answer,
the outputs, what verify proved. An output that was never published reaches it as the
unresolved text `{{...}}` and counts as absent (`outcome.absent`). The decision itself is
`workflows.steps.outcome.decide`, a pure function.

Writes OUT/outcome, OUT/reason and OUT/delivery. Exits 0 when the request was done or had
nothing to do, whether or not the notice got through (a delivery failure never changes the
outcome); otherwise exits 1 with the outcome as the reason, which Argo makes the Workflow's
message. A saved plan that was not applied is deleted.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from idp.actor import Approver
from idp.contract import NAME_PATTERN
from idp.settings import Settings
from workflows.steps import outputs, request
from workflows.steps.delivery import Delivery, Recipient, deliver, notice
from workflows.steps.errors import StepError
from workflows.steps.outcome import FACT_FLAGS, Facts, absent, decide
from workflows.steps.stack import Stack

SHA256 = re.compile(r"[0-9a-f]{64}")


def run(args: argparse.Namespace) -> int:
    """The command's entry: typed values from the arguments, then `finish`."""
    facts = Facts(**{name: getattr(args, name) for name in FACT_FLAGS})
    recipient = Recipient(
        args.kind, args.workflow, args.namespace, args.request_id, args.requester_email
    )
    return finish(Stack.from_args(args), recipient, facts, args.out)


def finish(stack: Stack, recipient: Recipient, facts: Facts, out: Path) -> int:
    """Decide, notify, clean up; 0 when the request was fulfilled, else StepError."""
    outcome = decide(
        status=facts.status,
        failures=facts.failures,
        has_changes=facts.has_changes,
        approval=facts.approval,
        approval_timeout=facts.approval_timeout,
        action="" if absent(facts.action) else facts.action,
        summary=facts.summary,
        waived=facts.waived,
        verified=facts.verified,
    )
    outputs.write(out, "outcome", outcome.name)
    outputs.write(out, "reason", outcome.reason)
    outputs.write(out, "delivery", "not attempted")
    summary = "" if absent(facts.summary) else " ".join(facts.summary.split())
    published = _published(facts.outputs) if outcome.name == "succeeded" else {}
    # What the plan found, for a preview (whose notice is its only report) and whenever a plan
    # was made; absent outputs were never published.
    found = {
        name: "" if absent(value) else value
        for name, value in (
            ("changes", facts.changes),
            ("findings", facts.findings),
            ("cost", facts.cost),
        )
    }
    approver = _approver(facts.labels)
    answered = approver if not absent(facts.approval) else ""
    try:
        settings = request.settings()
        made, email = notice(
            recipient,
            outcome.name,
            settings,
            reason=outcome.reason,
            summary=summary,
            outputs=published,
            approver=answered,
            **found,
        )
        delivery = deliver(made, settings, [email] if email else [])
        _clean_up_plan(stack, facts, settings)
    except StepError as exc:
        delivery = Delivery(problems=exc.lines)
    outputs.write(out, "delivery", delivery.describe())
    print(f"finish: {outcome.name}: {outcome.reason}")
    print(f"finish: notice {delivery.describe()}")
    if not outcome.fulfilled:
        raise StepError(f"{outcome.name}: {outcome.reason}")
    return 0


def _approver(labels: str) -> str:
    try:
        return Approver.from_labels(labels).shown()
    except ValueError:
        return "unknown"


def _published(text: str) -> dict[str, Any]:
    if absent(text):
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        print("finish: the outputs are not a JSON object; sending no outputs")
        return {}
    return value


def _clean_up_plan(stack: Stack, facts: Facts, settings: Settings) -> None:
    """Delete the run's saved plan if it is still there (not applied: rejected, expired,
    failed): a plan is kept only as long as its approval needs it."""
    sha256 = "" if absent(facts.plan_sha256) else facts.plan_sha256
    if not SHA256.fullmatch(sha256) or absent(facts.environment) or absent(facts.name):
        return
    if not re.fullmatch(NAME_PATTERN, facts.name) or not facts.environment.isalpha():
        return
    if stack.plans(facts.environment, facts.name, settings).delete(sha256):
        print(f"finish: deleted the saved plan {sha256}, which was not applied")
