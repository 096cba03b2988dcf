"""The fake Argo Server's two streamed answers: a Workflow's pod logs and its workflow events.

Shaped as the server sends them (argoproj/pkg grpc/http/forwarders.go, `StreamForwarder`, over
grpc-gateway's `ForwardResponseStream`): one JSON object per message, `{"result": ...}`, and a
failure after the answer began as a last `{"error": {...}}`; as server-sent events
(`data: <json> ` and an empty line, and `:` lines to keep a quiet stream alive) when asked with
`Accept: text/event-stream`, else one object per line.

Logs (util/logs/workflow-logger.go, `WorkflowLogs`): only the pods of the Workflow (named after
it), only `podName` when given, only the `main` container's lines (the stream of a pod whose
container is not named is dropped on the server, so it sends nothing), `grep` as a regular
expression searched in each line (one that does not compile fails the stream), and the last
`logOptions.tailLines` lines of each pod.

Workflow events (server/workflow/workflow_server.go, `WatchWorkflows`): what a test scripted
for each connection in turn, else the Workflow as it is (`ADDED`) and then the end the server
sends when its Kubernetes watch closes (ResourceExhausted, HTTP 429); `fields` applied to each
message as the server does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tests.argo.fake_selection import clean

LOG = "/api/v1/workflows/{namespace}/{name}/log"
WATCH = "/api/v1/workflow-events/{namespace}"
TEMPLATES = (LOG, WATCH)
Message = dict[str, Any]


@dataclass(frozen=True)
class Event:
    """One workflow event: its type (ADDED, MODIFIED, DELETED) and the Workflow."""

    type: str
    workflow: dict[str, Any]


def error(status: int, grpc: int, message: str) -> Message:
    return {"error": {"grpc_code": grpc, "http_code": status, "message": message}}


WATCH_CLOSED = error(429, 8, "EOF")


def log_messages(
    workflow: dict[str, Any], pod_logs: dict[str, list[str]], query: dict[str, list[str]]
) -> list[Message]:
    name = workflow["metadata"]["name"]
    chosen = query.get("podName", [""])[0]
    if query.get("logOptions.container", [""])[0] != "main":
        return []
    try:
        pattern = re.compile(query.get("grep", [""])[0])
    except re.error as exc:
        return [error(500, 13, f"failed to compile: {exc}")]
    tail = query.get("logOptions.tailLines", [""])[0]
    found = []
    for pod, lines in pod_logs.items():
        if not (pod == name or pod.startswith(f"{name}-")) or (chosen and pod != chosen):
            continue
        kept = [line for line in lines if pattern.search(line)]
        if tail:
            kept = kept[len(kept) - int(tail) :] if int(tail) else []
        found += [{"result": {"podName": pod, "content": line}} for line in kept]
    return found


def watch_messages(script: list[Event | Message], fields: str) -> list[Message]:
    return [
        clean({"result": {"type": item.type, "object": item.workflow}}, fields)
        if isinstance(item, Event)
        else item
        for item in script
    ]


@dataclass(frozen=True)
class Streamed:
    """A streamed answer: its messages, as events or lines."""

    messages: list[Message]
    events: bool
    keepalives: bool = False

    @property
    def content_type(self) -> str:
        return "text/event-stream" if self.events else "application/json"

    def body(self) -> bytes:
        if not self.events:
            return b"".join(json.dumps(m).encode() + b"\n" for m in self.messages)
        parts = [b":\n"] if self.keepalives else []
        for message in self.messages:
            parts.append(b"data: " + json.dumps(message).encode() + b" \n\n")
            if self.keepalives:
                parts.append(b":\n")
        return b"".join(parts)
