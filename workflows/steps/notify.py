"""Tells people how a run went: the phase, a JSON POST to the callback URL, an optional e-mail.

The phase is decided by `decide_phase`, a pure function of what Argo's exit handler knows
(`{{workflow.status}}`, the plan's `has_changes`, the approval's answer). The POST has a timeout
and a small bounded retry (connection errors, 429 and 5xx). E-mail goes out over SMTP with
STARTTLS when `IDP_SMTP_HOST` is set; the password comes from the environment (a Kubernetes
Secret) and is never printed.
"""

from __future__ import annotations

import json
import re
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from workflows.steps.errors import StepError

PHASES = ("succeeded", "failed", "rejected", "expired", "no-changes", "awaiting-approval")
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
ATTEMPTS = 3
TIMEOUT_SECONDS = 10.0
BACKOFF_SECONDS = 1.0
SMTP_PORT = 587
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _argo_value(value: str | None) -> str:
    """An argument from an Argo expression; an unresolved `{{...}}` counts as absent."""
    value = (value or "").strip()
    return "" if "{{" in value else value


def _flag(value: str | None) -> bool | None:
    text = _argo_value(value).lower()
    return {"true": True, "false": False}.get(text)


def decide_phase(
    requested: str = "",
    status: str = "",
    has_changes: str = "",
    approval: str = "",
    *,
    expired: bool = False,
) -> str:
    """The phase to report, from what the workflow knows when it notifies.

    A workflow whose status is Failed or Error failed, whatever was asked. A NO (or a request
    to report `rejected`) is `expired` when the approval timed out. Otherwise the requested
    phase wins; without one, a succeeded workflow had nothing to change, was applied (YES),
    or, with changes but no answer, did not apply: `failed`.
    """
    state = _argo_value(status).lower()
    requested = _argo_value(requested).lower()
    answer = _argo_value(approval).upper()
    if state in ("failed", "error"):
        return "failed"
    if requested == "rejected" or (not requested and answer == "NO"):
        return "expired" if expired else "rejected"
    if requested:
        return requested
    if state != "succeeded":
        return "failed"
    if _flag(has_changes) is False:
        return "no-changes"
    return "succeeded" if answer == "YES" else "failed"


def duration_seconds(text: str) -> float | None:
    """Seconds in an Argo duration: `24h`, `1h30m`, `2d`, or plain seconds; None if unreadable."""
    text = _argo_value(text)
    if text.isdigit():
        return float(text)
    parts = re.findall(r"([0-9]+)([smhd])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return float(sum(int(n) * _UNIT_SECONDS[u] for n, u in parts))


def _instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(_argo_value(text))
    except ValueError:
        return None


def approval_expired(waited_from: str, waited_until: str, timeout: str) -> bool:
    """True when the approval lasted its whole suspend duration: nobody answered."""
    start, end, limit = _instant(waited_from), _instant(waited_until), duration_seconds(timeout)
    if start is None or end is None or limit is None:
        return False
    return (end - start).total_seconds() >= limit


def failure_summary(failures: str | None) -> str:
    """`step: message` of the first entry of Argo's `{{workflow.failures}}` JSON, if any."""
    try:
        items = json.loads(_argo_value(failures) or "[]")
    except ValueError:
        return ""
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("message"):
            name = item.get("displayName") or item.get("templateName") or "step"
            return " ".join(f"{name}: {item['message']}".split())
    return ""


def workflow_url(base: str, namespace: str, name: str) -> str:
    """The workflow's page in the Argo UI (the UI's base when the name is unknown)."""
    name = _argo_value(name)
    if not base or not name:
        return base
    quote = urllib.parse.quote
    return f"{base.rstrip('/')}/workflows/{quote(namespace)}/{quote(name)}"


@dataclass(frozen=True)
class Status:
    """What notify reports; `outputs` holds non-sensitive Terraform outputs only."""

    request_id: str
    kind: str
    phase: str
    summary: str
    outputs: Mapping[str, Any] = field(default_factory=dict)
    workflow_url: str = ""

    def payload(self) -> dict[str, Any]:
        """The JSON document POSTed to the callback URL."""
        return {
            "request_id": self.request_id,
            "kind": self.kind,
            "phase": self.phase,
            "summary": self.summary,
            "outputs": dict(self.outputs),
            "workflow_url": self.workflow_url,
        }


def shown_url(url: str) -> str:
    """A URL without its query and credentials, for logs."""
    parts = urllib.parse.urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def post(
    url: str,
    payload: Mapping[str, Any],
    *,
    token: str = "",
    attempts: int = ATTEMPTS,
    timeout: float = TIMEOUT_SECONDS,
    backoff: float = BACKOFF_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST `payload` as JSON; retry connection errors, 408, 429 and 5xx. The HTTP status."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise StepError(f"callback URL {shown_url(url)} is not http(s)")
    headers = {"Content-Type": "application/json", "User-Agent": "idp-steps"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(payload).encode("utf-8")
    reason, attempt = "", 0
    while attempt < max(1, attempts):
        attempt += 1
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code}"
            if exc.code not in RETRIED_STATUSES:
                break
        except (urllib.error.URLError, OSError) as exc:
            reason = str(getattr(exc, "reason", exc)) or type(exc).__name__
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    raise StepError(f"callback {shown_url(url)} failed: {reason} (attempts: {attempt})")


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
        if not port_text.isdigit():
            raise StepError(f"IDP_SMTP_PORT must be a port number, got {port_text!r:.20}")
        return cls(
            host=host,
            port=int(port_text),
            sender=env.get("IDP_SMTP_FROM", "").strip() or f"idp@{host}",
            username=env.get("IDP_SMTP_USERNAME", ""),
            password=env.get("IDP_SMTP_PASSWORD", ""),
        )


def email(status: Status, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """A plain-text e-mail about `status`."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = f"[idp] {status.kind} request {status.request_id}: {status.phase}"
    lines = [f"Request {status.request_id} ({status.kind}): {status.phase}"]
    if status.summary:
        lines.append(f"Plan: {status.summary}")
    if status.workflow_url:
        lines.append(f"Workflow: {status.workflow_url}")
    if status.outputs:
        lines += ["", "Outputs:"]
        lines += [f"  {name} = {json.dumps(value)}" for name, value in status.outputs.items()]
    message.set_content("\n".join(lines) + "\n")
    return message


def send_email(smtp: Smtp, message: EmailMessage, *, timeout: float = TIMEOUT_SECONDS) -> None:
    """Send over SMTP with STARTTLS (and login when a user name is set)."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        code = getattr(exc, "smtp_code", None)
        detail = f"SMTP {code}" if code else type(exc).__name__
        raise StepError(f"e-mail via {smtp.host}:{smtp.port} failed: {detail}") from exc
