"""Sending one notice about a run: who it is about, where it goes, and what became of it.

The notice is about the Workflow's own request id and requester (its parameters, never the
body), each used only if it has the contract's form, so a bad request still gets its notice,
to nobody. It goes to `callback_url` and, when SMTP is set, by e-mail (`workflows.steps.notify`
delivers); a delivery that fails is recorded, never raised: it must not change an outcome.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from idp.contract import EMAIL_PATTERN, REQUEST_ID_PATTERN
from idp.settings import Settings
from workflows.steps import notify as notifier
from workflows.steps.errors import StepError
from workflows.steps.outcome import absent
from workflows.steps.post import post, shown_url

CALLBACK_TOKEN_ENV = "IDP_CALLBACK_TOKEN"  # noqa: S105 - the variable name, not a token


@dataclass(frozen=True)
class Recipient:
    """The Workflow a notice is about, from its own parameters."""

    kind: str
    workflow: str = ""
    namespace: str = ""
    request_id: str = ""
    requester_email: str = ""

    def checked(self) -> tuple[str, str]:
        """The request id and the requester's address, each only if it has the contract's
        form (an unresolved `{{...}}` or a bad value becomes empty)."""
        request_id = "" if absent(self.request_id) else self.request_id
        email = "" if absent(self.requester_email) else self.requester_email
        return (
            request_id if re.fullmatch(REQUEST_ID_PATTERN, request_id) else "",
            email if len(email) <= 256 and re.fullmatch(EMAIL_PATTERN, email) else "",
        )


@dataclass
class Delivery:
    """Where a notice went, and what failed."""

    sent: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.problems:
            return "failed: " + "; ".join(self.problems)
        if self.sent:
            return "delivered: " + ", ".join(self.sent)
        return "not sent: no callback_url and no SMTP host in settings"


def notice(
    recipient: Recipient, phase: str, settings: Settings, **values: Any
) -> tuple[notifier.Notice, str]:
    """The notice of `phase` about `recipient`'s Workflow (printed), and the requester's
    address to e-mail it to (empty when it has not the contract's form)."""
    request_id, email = recipient.checked()
    workflow = "" if recipient.workflow.startswith("{{") else recipient.workflow
    made = notifier.Notice(
        request_id=request_id,
        kind=recipient.kind,
        phase=phase,
        workflow=workflow,
        workflow_url=notifier.workflow_url(
            settings.argo_ui_url, recipient.namespace or settings.namespace, recipient.workflow
        ),
        **values,
    )
    print(json.dumps(made.payload(), sort_keys=True))
    return made, email


def _callback(url: str, made: notifier.Notice, delivery: Delivery) -> None:
    if not url:
        print("notify: no callback_url in settings; callback skipped")
        return
    try:
        code = post(url, made.payload(), token=os.environ.get(CALLBACK_TOKEN_ENV, ""))
    except StepError as exc:
        delivery.problems += exc.lines
        return
    print(f"notify: {made.phase} sent to {shown_url(url)} (HTTP {code})")
    delivery.sent.append("callback")


def _email(made: notifier.Notice, recipients: list[str], delivery: Delivery) -> None:
    try:
        smtp = notifier.Smtp.from_env(os.environ)
    except StepError as exc:
        delivery.problems += exc.lines
        return
    if smtp is None or not recipients:
        why = "IDP_SMTP_HOST not set" if smtp is None else "no recipient"
        print(f"notify: {why}; e-mail skipped")
        return
    try:
        notifier.send_email(smtp, notifier.email(made, smtp.sender, recipients))
    except StepError as exc:
        delivery.problems += exc.lines
        return
    print(f"notify: e-mail sent to {len(recipients)} recipients")
    delivery.sent.append("e-mail")


def deliver(made: notifier.Notice, settings: Settings, recipients: list[str]) -> Delivery:
    """POST `made` to the callback and e-mail it to `recipients`; never raises."""
    delivery = Delivery()
    _callback(settings.callback_url, made, delivery)
    _email(made, recipients, delivery)
    return delivery
