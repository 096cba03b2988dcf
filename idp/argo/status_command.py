"""The `idp status REQUEST_ID|WORKFLOW` command: one request in full, read from its Workflow
(`idp.argo.status`, `idp.argo.steps`) into one object (`described`) and printed (`lines`).

It shows who asked for what, the outcome and its reason (or where the run stands), the
approval's answer and who gave it, the plan's summary, sha256, cost and changes, the non-sensitive
Terraform outputs (the `outputs` Workflow output `apply` publishes), each step with its phase
and message in the order they ran, the attempts of a step that needed more than one, and the
Argo UI link. `-o json|yaml` prints the same object. A request id naming several Workflows
lists them and chooses none (`idp.argo.find`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from idp.argo import answers, find, status, steps
from idp.argo.client import ArgoClient
from idp.argo.connection import from_args
from idp.argo.status import AWAITING_APPROVAL
from idp.manifests import Manifest, dump
from idp.pipeline import (
    GLOBAL_COST,
    GLOBAL_OUTPUTS,
    GLOBAL_PLAN_SHA256,
    GLOBAL_SUMMARY,
    PLAN,
    UNANSWERED,
)
from idp.settings import Settings
from idp.text import printable

_WIDTH = 10


def _changes(workflow: Manifest, found: list[steps.Step]) -> list[str]:
    """The plan's changes, one per line: the plan step's output, else the approval's input."""
    for step in found:
        if step.name == PLAN:
            for node in (step.node, *reversed(step.attempts)):
                text = status.parameter(node, "outputs", "changes")
                if text is not None:
                    return [line for line in text.splitlines() if line.strip()]
    for node in status.approvals(workflow):
        text = status.parameter(node, "inputs", "changes")
        if text is not None:
            return [line for line in text.splitlines() if line.strip()]
    return []


def _outputs(workflow: Manifest) -> Any:
    text = status.workflow_output(workflow, GLOBAL_OUTPUTS)
    if text is None:
        return None
    try:
        return answers.parse(text)
    except answers.Malformed:  # not JSON, or beyond the bounds of any answer
        return text


def _node(node: steps.Node, workflow: Manifest) -> dict[str, str]:
    shown = {
        "name": steps.node_name(workflow, node),
        "phase": str(node.get("phase") or "Pending"),
        "message": str(node.get("message") or ""),
        "startedAt": str(node.get("startedAt") or ""),
        "finishedAt": str(node.get("finishedAt") or ""),
    }
    if node.get("type") == "Pod":
        shown["pod"] = steps.pod_name(workflow, node)
    return shown


def described(workflow: Manifest, ui_url: str) -> dict[str, Any]:
    """Everything `idp status` shows, as one object."""
    found = steps.steps(workflow)
    meta = workflow["metadata"]
    return {
        **status.request(workflow).as_dict(),
        "namespace": str(meta.get("namespace") or ""),
        "message": str((workflow.get("status") or {}).get("message") or ""),
        "summary": status.workflow_output(workflow, GLOBAL_SUMMARY) or "",
        "sha256": status.workflow_output(workflow, GLOBAL_PLAN_SHA256) or "",
        "cost": status.workflow_output(workflow, GLOBAL_COST) or "",
        "changes": _changes(workflow, found),
        "outputs": _outputs(workflow),
        "steps": [
            {
                **_node(step.node, workflow),
                "name": step.name,
                "attempts": [_node(a, workflow) for a in step.attempts],
            }
            for step in found
        ],
        "link": status.ui_link(ui_url, str(meta.get("namespace") or ""), str(meta.get("name"))),
    }


def _row(label: str, text: str) -> str:
    return f"{label:<{_WIDTH}}{printable(text)}"


def _more(lines: list[str]) -> list[str]:
    return [" " * _WIDTH + printable(line) for line in lines]


def _where(shown: dict[str, Any]) -> str:
    """The outcome line: the recorded outcome and reason, or where the run stands."""
    state = str(shown["state"])
    if state == AWAITING_APPROVAL:
        return (
            f"{state}: the plan waits for an answer (idp approve {shown['workflow']} --yes, "
            "or --no)"
        )
    if shown["reason"]:
        return f"{state}: {shown['reason']}"
    if shown["message"] and shown["phase"] in status.FINISHED:
        return f"{state}: {shown['message']}"
    return state


def _approval(shown: dict[str, Any]) -> str:
    if not shown["approval"]:
        return "-"
    if shown["approval"] == UNANSWERED:
        return f"{UNANSWERED}: nobody answered in time"
    by = shown["approver"] or "nobody recorded (the Argo Server records who answers with SSO)"
    return f"{shown['approval']}, answered by {by}"


def _step_lines(shown: dict[str, Any]) -> list[str]:
    width = max([len(s["name"]) for s in shown["steps"]] + [8]) + 2
    lines = []
    for step in shown["steps"]:
        attempts = step["attempts"]
        note = step["message"]
        if len(attempts) > 1:
            note = f"{len(attempts)} attempts" + (f"; {note}" if note else "")
        lines.append(f"{step['name']:<{width}}{step['phase']:<11}{note}".rstrip())
        if len(attempts) > 1:
            for attempt in attempts:
                row = f"  {attempt['name']:<{width - 2}}{attempt['phase']:<11}{attempt['message']}"
                lines.append(row.rstrip())
    return lines


def lines(shown: dict[str, Any]) -> list[str]:
    """`idp status` for people."""
    found = [
        _row(
            "request",
            f"{shown['request_id'] or '-'}: {shown['kind']} {shown['name']} in "
            f"{shown['environment']}, requested by {shown['requester'] or '-'}",
        ),
        _row(
            "workflow",
            f"{shown['workflow']} in {shown['namespace']}: {shown['phase']}, created "
            f"{shown['created'] or '-'}"
            + (f", finished {shown['finished']}" if shown["finished"] else ""),
        ),
        _row("outcome", _where(shown)),
        _row("approval", _approval(shown)),
    ]
    if shown["summary"]:
        sha = f" (sha256 {shown['sha256']})" if shown["sha256"] else ""
        found.append(_row("plan", shown["summary"] + sha))
    if shown["cost"]:
        found.append(_row("cost", shown["cost"]))
    if shown["changes"]:
        found.append(_row("changes", shown["changes"][0]))
        found += _more(shown["changes"][1:])
    outputs = shown["outputs"]
    if isinstance(outputs, dict) and outputs:
        items = [
            f"{key} = {value if isinstance(value, str) else json.dumps(value)}"
            for key, value in outputs.items()
        ]
        found.append(_row("outputs", items[0]))
        found += _more(items[1:])
    elif outputs is not None and not isinstance(outputs, dict):
        found.append(_row("outputs", str(outputs)))
    step_lines = _step_lines(shown)
    if step_lines:
        found.append(_row("steps", step_lines[0]))
        found += _more(step_lines[1:])
    found.append(_row("link", shown["link"]))
    return found


def command(args: argparse.Namespace, settings: Settings) -> int:
    """`idp status` from parsed arguments."""
    with ArgoClient(from_args(args, settings.namespace)) as client:
        workflow = find.resolve(client, args.request)
    shown = described(workflow, settings.argo_ui_url)
    if args.output is not None:
        sys.stdout.write(dump(shown, args.output))
    else:
        for line in lines(shown):
            print(line)
    return 0
