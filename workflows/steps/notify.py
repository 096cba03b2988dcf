"""Delivers a notice: a JSON POST to the callback URL (`workflows.steps.post`) and an optional
e-mail.

E-mail goes out over SMTP with STARTTLS when `IDP_SMTP_HOST` is set, bounded as a whole
(`bounded`); the password comes from the environment (a Kubernetes Secret), is cleaned as the
callback's token is (`post.clean_token`) and is never printed.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from workflows.steps.bounded import bounded
from workflows.steps.errors import StepError
from workflows.steps.post import TIMEOUT_SECONDS, clean_token

SMTP_PORT = 587


def workflow_url(base: str, namespace: str, name: str) -> str:
    """The workflow's page in the Argo UI (the UI's base when the name is unknown)."""
    if not base or not name or name.startswith("{{"):
        return base
    quote = urllib.parse.quote
    return f"{base.rstrip('/')}/workflows/{quote(namespace, safe='')}/{quote(name, safe='')}"


@dataclass(frozen=True)
class Notice:
    """What a notice says; `outputs` holds non-sensitive Terraform outputs only."""

    request_id: str
    kind: str
    phase: str
    reason: str = ""
    summary: str = ""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    workflow: str = ""
    workflow_url: str = ""
    approver: str = ""
    changes: str = ""  # each resource and its action, a line each (previews, approvals)
    findings: str = ""  # the policy findings that did not block
    cost: str = ""  # the cost estimate, one line

    def payload(self) -> dict[str, Any]:
        """The JSON document POSTed to the callback URL (`changes`, `findings` and `cost` only
        when there is something to say: older receivers see the same document as before)."""
        extra = {
            name: value
            for name, value in (
                ("changes", self.changes),
                ("findings", self.findings),
                ("cost", self.cost),
            )
            if value
        }
        return {
            "request_id": self.request_id,
            "kind": self.kind,
            "phase": self.phase,
            "reason": self.reason,
            "summary": self.summary,
            "outputs": dict(self.outputs),
            "workflow": self.workflow,
            "workflow_url": self.workflow_url,
            "approver": self.approver,
            **extra,
        }


@dataclass(frozen=True)
class Smtp:
    """An SMTP relay reached with STARTTLS; `password` never appears in a repr or a message."""

    host: str
    port: int = SMTP_PORT
    sender: str = ""
    username: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Smtp | None:
        """IDP_SMTP_HOST, _PORT (587), _FROM, _USERNAME, _PASSWORD; None without a host."""
        host = env.get("IDP_SMTP_HOST", "").strip()
        if not host:
            return None
        port_text = env.get("IDP_SMTP_PORT", "").strip() or str(SMTP_PORT)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise StepError(f"IDP_SMTP_PORT must be a port number, got {port_text!r:.20}")
        return cls(
            host=host,
            port=int(port_text),
            sender=env.get("IDP_SMTP_FROM", "").strip() or f"idp@{host}",
            username=env.get("IDP_SMTP_USERNAME", ""),
            password=clean_token(env.get("IDP_SMTP_PASSWORD", ""), "SMTP password", bearer=False),
        )


def email(notice: Notice, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """A plain-text e-mail about `notice`."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = f"[idp] {notice.kind} request {notice.request_id}: {notice.phase}"
    lines = [f"Request {notice.request_id} ({notice.kind}): {notice.phase}"]
    if notice.reason:
        lines.append(f"Why: {notice.reason}")
    if notice.summary:
        lines.append(f"Plan: {notice.summary}")
    if notice.cost:
        lines.append(f"Cost: {notice.cost}")
    if notice.approver:
        lines.append(f"Answered by: {notice.approver}")
    if notice.workflow_url:
        lines.append(f"Workflow: {notice.workflow_url}")
    if notice.changes:
        lines += ["", "Changes:", *(f"  {line}" for line in notice.changes.splitlines())]
    if notice.findings:
        lines += ["", "Policy findings:", *(f"  {line}" for line in notice.findings.splitlines())]
    if notice.outputs:
        lines += ["", "Outputs:"]
        lines += [f"  {name} = {json.dumps(value)}" for name, value in notice.outputs.items()]
    message.set_content("\n".join(lines) + "\n")
    return message


def send_email(smtp: Smtp, message: EmailMessage, *, timeout: float = TIMEOUT_SECONDS) -> None:
    """Send over SMTP with STARTTLS (and login when a user name is set), bounded as a whole."""

    def send() -> None:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(message)

    try:
        bounded(send, 3 * timeout)
    except (smtplib.SMTPException, OSError) as exc:
        code = getattr(exc, "smtp_code", None)
        detail = (
            f"SMTP {code}"
            if code
            else (str(exc) if isinstance(exc, TimeoutError) else type(exc).__name__)
        )
        raise StepError(f"e-mail via {smtp.host}:{smtp.port} failed: {detail}") from exc
