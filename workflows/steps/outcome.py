"""How a run ended, decided once from what Argo's exit handler knows; a pure module.

The exit handler (`finish`) gets `{{workflow.status}}`, `{{workflow.failures}}` and the
workflow outputs the steps published (the plan's `has_changes`, the approval's answer). From
those alone it decides one outcome:

    succeeded    the approved plan was applied (and verified)
    no-changes   the plan had nothing to change, so nobody was asked
    policy-failed  the plan broke a policy that stops a run; nobody was asked, nothing applied
    rejected     the approval was answered with anything but exactly `YES`
    expired      nobody answered before the approval's timeout (the answer's default)
    failed       a step failed; the reason names the step and its message
    stopped      the run was stopped (`argo stop`), e.g. while waiting for approval

`{{workflow.failures}}` is the JSON list of failed nodes passed through Go's `strconv.Quote`
(`workflow/controller/operator.go`, `operate`), so it is unquoted as a Go string literal first
(which also covers `\\a`, `\\v` and `\\x..`, which JSON does not know) and then read as JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from idp.pipeline import APPROVED, FULFILLED, UNANSWERED, WAIVED

POLICY_BLOCKED = "blocked by policy"  # how the policy phase's failure begins
COST_BLOCKED = "over budget"  # how the cost phase's failure begins
FAILED_AT = "failed at "  # how a step program names the phase that failed (`phases`)
STOPPED_PREFIX = "Stopped with strategy"
_ARGO_CONTAINER_MESSAGE = re.compile(r"^main: [A-Za-z]+ \(exit code [0-9]+\)(: )?")
_SHOWN = 200


@dataclass(frozen=True)
class Outcome:
    """One of OUTCOMES, with a one-line reason."""

    name: str
    reason: str

    @property
    def fulfilled(self) -> bool:
        """Whether the request was done (or had nothing to do)."""
        return self.name in FULFILLED


@dataclass(frozen=True)
class Facts:
    """What the exit handler knows of the run, each as Argo substituted it."""

    status: str = ""
    failures: str = ""
    action: str = ""
    has_changes: str = ""
    summary: str = ""
    approval: str = ""
    approval_timeout: str = ""
    outputs: str = ""
    plan_sha256: str = ""
    environment: str = ""
    name: str = ""
    labels: str = ""
    waived: str = ""
    verified: str = ""
    changes: str = ""
    findings: str = ""
    cost: str = ""


FACT_FLAGS = {
    "status": "{{workflow.status}}",
    "failures": "{{workflow.failures}}: the failed nodes (Go-quoted JSON)",
    "action": "the request's action: provision, destroy or preview",
    "has_changes": "the plan's has_changes (true/false), if it was published",
    "summary": "the plan's one-line summary, if it was published",
    "approval": "the approval's answer, if any (EXPIRED: nobody answered in time)",
    "approval_timeout": "the approval's duration, for the expiry notice",
    "outputs": "the non-sensitive outputs, a JSON object, if published",
    "plan_sha256": "the plan's sha256, if published: a plan not applied is deleted",
    "environment": "{{workflow.parameters.environment}}: the stack of that plan",
    "name": "{{workflow.parameters.name}}: the stack of that plan",
    "labels": "{{workflow.labels.json}}: the workflow's labels, where the approver is recorded",
    "waived": "true when the plan step waived the approval (an expired stack's destroy)",
    "verified": "what verify proved (after a destroy: nothing remains, what was removed)",
    "changes": "each resource and its action, if the plan published them",
    "findings": "the policy findings that did not block, if published",
    "cost": "the plan's cost estimate (one line), if published",
}


def absent(value: str | None) -> bool:
    """An argument Argo left unresolved (`{{...}}`: the output was never published) or empty."""
    return not value or value.startswith("{{")


def go_unquote(text: str) -> str:
    """The string a Go double-quoted literal (`strconv.Quote`) stands for; text unchanged if it
    is not one."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    body, out, i = text[1:-1], [], 0
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 >= len(body):
            out.append(char)
            i += 1
            continue
        code = body[i + 1]
        if code in simple:
            out.append(simple[code])
            i += 2
        elif code in "\\\"'":
            out.append(code)
            i += 2
        elif code in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[code]
            digits = body[i + 2 : i + 2 + width]
            try:
                value = int(digits, 16)
            except ValueError:
                return text
            # \x is one byte; a lone byte of broken UTF-8 becomes U+FFFD, as a decoder would
            out.append(chr(value) if code != "x" or value < 0x80 else "\ufffd")
            i += 2 + width
        elif code in "01234567":
            try:
                value = int(body[i + 1 : i + 4], 8)
            except ValueError:
                return text
            out.append(chr(value) if value < 0x80 else "\ufffd")
            i += 4
        else:
            return text
    return "".join(out)


def failed_nodes(failures: str | None) -> list[dict[str, Any]]:
    """The entries of `{{workflow.failures}}`, however many times it was quoted; [] if none."""
    if absent(failures):
        return []
    value: Any = failures
    for _ in range(3):  # Go-quoted JSON text, then JSON; tolerate one level more or less
        if not isinstance(value, str):
            break
        text = value.strip()
        unquoted = go_unquote(text)
        if unquoted != text:
            value = unquoted
            continue
        try:
            value = json.loads(text)
        except ValueError:
            return []
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _one_line(text: str, limit: int = _SHOWN) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _step_message(node: dict[str, Any]) -> str:
    message = _one_line(node.get("message") or "", 1000)
    return _ARGO_CONTAINER_MESSAGE.sub("", message) or message


def _first_failure(nodes: list[dict[str, Any]], entrypoint: str) -> dict[str, Any] | None:
    """The failed node that explains the run: a step's node (not the entrypoint DAG) with a
    message, the earliest to finish. Argo lists the failures in no set order."""
    candidates = [
        n for n in nodes if n.get("message") and str(n.get("templateName") or "") != entrypoint
    ]
    if not candidates:
        return None
    return min(
        candidates, key=lambda n: (str(n.get("finishedAt") or "~"), str(n.get("displayName")))
    )


def _ended_badly(state: str, nodes: list[dict[str, Any]], entrypoint: str) -> Outcome:
    stopped = [n for n in nodes if str(n.get("message") or "").startswith(STOPPED_PREFIX)]
    if stopped:
        where = sorted({str(n.get("displayName") or n.get("templateName")) for n in stopped})
        return Outcome("stopped", f"{_one_line(stopped[0]['message'])} (at {', '.join(where)})")
    node = _first_failure(nodes, entrypoint)
    if node is None:
        return Outcome("failed", f"the workflow ended {state or 'without a status'}")
    step = str(node.get("templateName") or node.get("displayName") or "a step")
    message = _step_message(node)
    if message.startswith(f"{FAILED_AT}cost: {COST_BLOCKED}"):
        return Outcome("cost-blocked", _one_line(message.removeprefix(f"{FAILED_AT}cost: "), 1000))
    if message.startswith(f"{FAILED_AT}policy: {POLICY_BLOCKED}"):
        return Outcome(
            "policy-failed", _one_line(message.removeprefix(f"{FAILED_AT}policy: "), 1000)
        )
    if message.startswith(FAILED_AT):  # the program named its phase
        phase, _, reason = message.partition(": ")
        return Outcome("failed", f"{phase}: {_one_line(reason)}")
    return Outcome("failed", f"failed at {step}: {_one_line(message)}")


def _answered(answer: str | None, timeout: str, action: str, plan: str) -> Outcome:
    if answer in (APPROVED, WAIVED):
        done = "destroyed" if action == "destroy" else "applied"
        if answer == WAIVED:
            done += " (expired; approval waived)"
        return Outcome("succeeded", f"{done}: {plan}" if plan else done)
    if answer == UNANSWERED:
        within = "" if absent(timeout) else f" within {timeout}"
        return Outcome("expired", f"nobody answered the approval{within}; nothing was applied")
    if answer is None:
        return Outcome("rejected", "the approval ended without an answer; nothing was applied")
    shown = repr(answer) if len(answer) <= 40 else repr(answer[:40]) + "…"
    return Outcome("rejected", f"the approval was answered {_one_line(shown)}, not {APPROVED}")


def decide(
    *,
    status: str,
    failures: str = "",
    has_changes: str = "",
    approval: str = "",
    approval_timeout: str = "",
    action: str = "provision",
    summary: str = "",
    entrypoint: str = "provision",
    waived: str = "",
    verified: str = "",
) -> Outcome:
    """The outcome of a run, from the exit handler's view of it (see the module docstring)."""
    nodes = failed_nodes(failures)
    state = "" if absent(status) else status
    if state in ("Failed", "Error") or (not state and nodes):
        return _ended_badly(state, nodes, entrypoint)
    if state != "Succeeded":
        return Outcome("failed", "the workflow ended without a status")
    plan = "" if absent(summary) else _one_line(summary)
    if action == "preview":
        return Outcome("previewed", f"a preview: {plan}" if plan else "a preview")
    if has_changes == "false":
        return Outcome("no-changes", f"the plan has no changes{f' ({plan})' if plan else ''}")
    answer = WAIVED if waived == "true" and absent(approval) else approval
    outcome = _answered(None if absent(answer) else answer, approval_timeout, action, plan)
    if outcome.name == "succeeded" and action == "destroy" and not absent(verified):
        return Outcome(outcome.name, f"{outcome.reason}; {_one_line(verified)}")
    return outcome
