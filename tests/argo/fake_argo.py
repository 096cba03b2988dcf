"""A real HTTP server on loopback that answers like the Argo Server and checks every request.

Each request is first checked against the Argo Server's OpenAPI spec (`tests.argo.contract`);
a violation is recorded (the fixture fails the test at teardown) and answered with 400. Then the
fake applies, in order: a required bearer token (401), failures a test injected (any status),
and the API itself on an in-memory store of WorkflowTemplates, EventSources, Sensors and
Workflows: create (409 when it exists), get (404), list (label selectors and `fields`, as
`tests.argo.fake_selection` reads them, a selector it cannot read refused with 400;
`createdAfter` as the server's own store applies it, unless `applies_created_after` is off, as
when it lists from Kubernetes), update (requires the
live resourceVersion, 409 when stale), lint, and for Workflows `set` (output parameters of
supplied nodes; a second set of the same parameter fails, as on the real server) and `resume`
(a Running suspend node becomes Succeeded). `read_gate` holds the first GETs until several
clients have all read, to make a race. Errors have the server's shape:
`{"code": <gRPC code>, "message": ...}`.

Two endpoints stream (`tests.argo.fake_streams`): a Workflow's pod logs (from `pod_logs`) and
the workflow events of one Workflow (from `watches`).

A hostile server: `answer_raw` makes the fake answer requests matching a method and a path with
exactly the bytes given (a `Raw`: any status, headers and body, the body made as it is sent, so
that it can be a decompression bomb or a stream of keep-alives that never ends).

Who calls: `identities` maps a bearer token to the claims the server would find for it (JWT
claim names: `sub`, `email`, `preferred_username`, `groups`, `name`, `iss`, ...); a token it
does not map has none, as with SSO off or a client token that is not a JWT. With SSO the claims
are the person's; in client mode they are the token's own JWT payload
(server/auth/gatekeeper.go `getClients`, server/auth/serviceaccount/claims.go `ClaimSetFor`),
for a ServiceAccount token only the subject `system:serviceaccount:<namespace>:<name>`. As the
Argo Server v4.1.2 does with them:

- `set` and a node's `resume` label the Workflow with the caller (workflow/util/util.go,
  `updateSuspendedNode`, calling workflow/creator/creator.go `LabelActor`, through `Label`):
  `workflows.argoproj.io/actor`, `actor-email` (its `@` written `.at.`) and
  `actor-preferred-username`, each `dnsFriendly` and removed when its claim is empty, and
  `workflows.argoproj.io/action` (`Resume`; removed for `set`, whose action is none,
  `SetWorkflow`); without claims all four are removed;
- `resume` also writes `Resumed by: map[Email:... PreferredUsername:... User:...]` (Go's
  printing of `creator.UserInfoMap`, keys sorted, empty claims left out) as the node's message
  when there are claims (`ResumeWorkflow`);
- `GET /api/v1/userinfo` answers the claims as server/info/info_server.go `GetUserInfo` does:
  subject, issuer, groups, name, email, emailVerified, serviceAccountName and
  serviceAccountNamespace, empty ones left out (`omitempty`), `{}` without claims.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from idp.local.controller import label_actor
from tests.argo import fake_selection, fake_streams
from tests.argo.contract import Contract
from tests.fakes.server import serving as loopback

Manifest = dict[str, Any]
_GRPC = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 500: 13, 501: 12, 503: 14}
_RESOURCES = {
    "workflow-templates": ("WorkflowTemplate", "template", "workflowtemplates.argoproj.io"),
    "event-sources": ("EventSource", "eventSource", "eventsources.argoproj.io"),
    "sensors": ("Sensor", "sensor", "sensors.argoproj.io"),
    "workflows": ("Workflow", "workflow", "workflows.argoproj.io"),
}
CREATOR_LABEL = "workflows.argoproj.io/creator"
Claims = dict[str, Any]
_USER_INFO = {  # GetUserInfoResponse field: the claim it comes from (types.Claims' JSON names)
    "issuer": "iss",
    "subject": "sub",
    "groups": "groups",
    "email": "email",
    "serviceAccountName": "service_account_name",
    "serviceAccountNamespace": "service_account_namespace",
    "name": "name",
}


class Reply(Exception):
    """An error answer: HTTP status, message and extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str | None
    template: str | None = None


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    message: str
    times: int
    headers: dict[str, str]


@dataclass
class Raw:
    """An answer sent exactly as given: status, headers, and the body's chunks, made as they are
    sent (for at most `RAW_SECONDS`, and until the client hangs up)."""

    status: int
    chunks: Callable[[], Iterable[bytes]]
    headers: dict[str, str] = field(default_factory=dict)


RAW_SECONDS = 60.0


@dataclass
class Hostile:
    method: str
    path: re.Pattern[str]
    raw: Raw
    times: int


@dataclass
class FakeArgo:
    """The server's state; tests read and steer it."""

    contract: Contract
    url: str = ""
    token: str | None = None
    store: dict[tuple[str, str, str], Manifest] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    progress: dict[str, list[Manifest]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    read_gate: threading.Barrier | None = None
    identities: dict[str, Claims] = field(default_factory=dict)
    version: str = "v4.1.2"
    applies_created_after: bool = True
    pod_logs: dict[str, list[str]] = field(default_factory=dict)
    watches: dict[str, list[list[fake_streams.Event | Manifest]]] = field(default_factory=dict)
    keepalives: bool = False
    hostile: list[Hostile] = field(default_factory=list)
    _versions: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    # -- steering and reading

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        message: str = "injected",
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests matching `method` and the `path` regex with `status`."""
        failure = Failure(method, re.compile(path), status, message, times, headers or {})
        self.failures.append(failure)

    def answer_raw(self, method: str, path: str, raw: Raw, *, times: int = 1000) -> None:
        """Answer the next `times` requests matching `method` and the `path` regex with `raw`."""
        self.hostile.append(Hostile(method, re.compile(path), raw, times))

    def writes(self) -> list[Recorded]:
        """Requests that change state (lint and dry runs excluded)."""
        return [
            r
            for r in self.requests
            if r.method in ("POST", "PUT", "DELETE")
            and not r.path.endswith("/lint")
            and not (isinstance(r.body, dict) and r.body.get("serverDryRun"))
        ]

    def get(self, resource: str, namespace: str, name: str) -> Manifest | None:
        return self.store.get((resource, namespace, name))

    def claims_of(self, authorization: str | None) -> Claims | None:
        """The claims the server finds for an Authorization header, None for none."""
        scheme, _, token = (authorization or "").partition(" ")
        return self.identities.get(token) if scheme == "Bearer" else None

    def put_workflow(self, workflow: Manifest) -> None:
        meta = workflow["metadata"]
        self.store[("workflows", meta["namespace"], meta["name"])] = copy.deepcopy(workflow)

    # -- the request path

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """The answer: status, a JSON payload (or a `fake_streams.Streamed`), extra headers."""
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        operation, problems = self.contract.check(
            method, parts.path, query, raw, headers.get("content-type", "")
        )
        gate = self.read_gate
        if gate is not None and method == "GET":
            gate.wait()  # the clients all read once before any of them writes (see race())
        with self.lock:
            record = Recorded(
                method,
                parts.path,
                query,
                body,
                headers.get("authorization"),
                operation.template if operation else None,
            )
            self.requests.append(record)
            self.violations += problems
            try:
                if problems:
                    raise Reply(400, "contract violation: " + "; ".join(problems))
                if (
                    self.token is not None
                    and headers.get("authorization") != f"Bearer {self.token}"
                ):
                    raise Reply(401, "token not valid. See https://argo-workflows.readthedocs.io/")
                for hostile in self.hostile:
                    if (
                        hostile.times
                        and hostile.method == method
                        and hostile.path.search(parts.path)
                    ):
                        hostile.times -= 1
                        return hostile.raw.status, hostile.raw, {}
                for failure in self.failures:
                    if (
                        failure.times
                        and failure.method == method
                        and failure.path.search(parts.path)
                    ):
                        failure.times -= 1
                        raise Reply(failure.status, failure.message, failure.headers)
                assert operation is not None
                claims = self.claims_of(headers.get("authorization"))
                if operation.template in fake_streams.TEMPLATES:
                    events = "text/event-stream" in headers.get("accept", "")
                    return 200, self._stream(operation.template, parts.path, query, events), {}
                answer = self._route(
                    method, operation.template, parts.path, body, query, claims=claims
                )
                return 200, answer, {}
            except Reply as reply:
                error = {"code": _GRPC.get(reply.status, 2), "message": str(reply)}
                return reply.status, error, reply.headers

    def _route(  # noqa: PLR0911 - one return per route of the API
        self,
        method: str,
        template: str,
        path: str,
        body: Any,
        query: dict[str, list[str]],
        *,
        claims: Claims | None,
    ) -> Manifest:
        segments = path.strip("/").split("/")
        if segments[2] == "version" and method == "GET":
            return {"version": self.version}
        if segments[2] == "userinfo" and method == "GET":
            return user_info(claims)
        resource, namespace = segments[2], segments[3]
        if resource not in _RESOURCES:
            self.violations.append(f"{method} {template}: the client should not call this")
            raise Reply(501, "not implemented by the fake")
        _, key, group = _RESOURCES[resource]
        name = segments[4] if len(segments) > 4 else ""
        action = segments[5] if len(segments) > 5 else ""
        if method == "POST" and name == "lint":
            return copy.deepcopy(body[key])
        if method == "POST" and not name:
            return self._create(
                resource, namespace, body[key], group, bool(body.get("serverDryRun"))
            )
        if method == "GET" and name and not action:
            return self._read(resource, namespace, name, group)
        if method == "GET" and not name:
            found = self._list(resource, namespace, query)
            cleaned: Manifest = fake_selection.clean(found, query.get("fields", [""])[0])
            return cleaned
        if method == "DELETE" and name and not action:
            self._existing(resource, namespace, name, group)
            del self.store[(resource, namespace, name)]
            return {}
        if method == "PUT" and name and not action:
            return self._update(resource, namespace, name, body[key], group)
        if resource == "workflows" and method == "PUT" and action in ("set", "resume"):
            workflow = self._existing(resource, namespace, name, group)
            selector = body.get("nodeFieldSelector", "")
            matching = _active_suspend(_select(workflow, selector), selector)
            if action == "set":
                _set_outputs(matching, json.loads(body.get("outputParameters") or "{}"))
            else:
                _resume(matching, claims)
            labels = workflow["metadata"].setdefault("labels", {})
            label_actor(labels, _label_claims(claims), "Resume" if action == "resume" else "")
            return copy.deepcopy(workflow)
        self.violations.append(f"{method} {template}: the client should not call this")
        raise Reply(501, "not implemented by the fake")

    def _list(self, resource: str, namespace: str, query: dict[str, list[str]]) -> Manifest:
        """The objects whose labels match the selector, created at or after `createdAfter`."""
        selector = query.get("listOptions.labelSelector", [""])[0]
        after = query.get("createdAfter", [""])[0] if self.applies_created_after else ""
        try:
            fake_selection.matches(selector, {})  # read before listing, as BuildListOptions does
            items = [
                copy.deepcopy(obj)
                for (kind, ns, _), obj in sorted(self.store.items())
                if kind == resource
                and ns == namespace
                and fake_selection.matches(selector, obj["metadata"].get("labels") or {})
                and (not after or obj["metadata"].get("creationTimestamp", "") >= after)
            ]
        except fake_selection.Unreadable as exc:
            raise Reply(400, str(exc)) from None
        return {"metadata": {}, "items": items or None}

    def _stream(
        self, template: str, path: str, query: dict[str, list[str]], events: bool
    ) -> fake_streams.Streamed:
        segments = path.strip("/").split("/")
        namespace = segments[3]
        if template == fake_streams.LOG:
            workflow = self._existing("workflows", namespace, segments[4], "workflows.argoproj.io")
            messages = fake_streams.log_messages(workflow, self.pod_logs, query)
        else:
            selected = query.get("listOptions.fieldSelector", [""])[0].removeprefix(
                "metadata.name="
            )
            workflow = self._existing("workflows", namespace, selected, "workflows.argoproj.io")
            scripted = self.watches.get(selected)
            script: list[fake_streams.Event | Manifest] = (
                scripted.pop(0)
                if scripted
                else [fake_streams.Event("ADDED", workflow), fake_streams.WATCH_CLOSED]
            )
            messages = fake_streams.watch_messages(script, query.get("fields", [""])[0])
        return fake_streams.Streamed(messages, events, self.keepalives)

    def _existing(self, resource: str, namespace: str, name: str, group: str) -> Manifest:
        found = self.store.get((resource, namespace, name))
        if found is None:
            raise Reply(404, f'{group} "{name}" not found')
        return found

    def _read(self, resource: str, namespace: str, name: str, group: str) -> Manifest:
        found = self._existing(resource, namespace, name, group)
        steps = self.progress.get(name)
        if resource == "workflows" and steps:
            found["status"] = copy.deepcopy(steps.pop(0))
        return copy.deepcopy(found)

    def _create(
        self, resource: str, namespace: str, obj: Manifest, group: str, dry_run: bool
    ) -> Manifest:
        meta = obj["metadata"]
        if meta.get("namespace", namespace) != namespace:
            raise Reply(400, "the namespace of the object does not match the URL")
        if (resource, namespace, meta["name"]) in self.store:
            raise Reply(409, f'{group} "{meta["name"]}" already exists')
        stored = copy.deepcopy(obj)
        stored["metadata"].update(
            namespace=namespace,
            uid=f"uid-{meta['name']}",
            resourceVersion=str(next(self._versions)),
            generation=1,
            creationTimestamp="2024-05-01T10:00:00Z",
        )
        if resource == "workflow-templates":
            stored["metadata"].setdefault("labels", {})[CREATOR_LABEL] = "system-serviceaccount"
        if resource in ("event-sources", "sensors"):
            stored["status"] = {}
        if not dry_run:
            self.store[(resource, namespace, meta["name"])] = stored
        return copy.deepcopy(stored)

    def _update(
        self, resource: str, namespace: str, name: str, obj: Manifest, group: str
    ) -> Manifest:
        live = self._existing(resource, namespace, name, group)
        meta = obj["metadata"]
        if meta.get("name") != name:
            raise Reply(400, "the name of the object does not match the URL")
        if not meta.get("resourceVersion"):
            raise Reply(
                400, "metadata.resourceVersion: Invalid value: must be specified for an update"
            )
        if meta["resourceVersion"] != live["metadata"]["resourceVersion"]:
            raise Reply(
                409,
                f'Operation cannot be fulfilled on {group} "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
            )
        stored = copy.deepcopy(obj)
        stored["metadata"].update(
            namespace=namespace,
            uid=live["metadata"]["uid"],
            creationTimestamp=live["metadata"]["creationTimestamp"],
            resourceVersion=str(next(self._versions)),
            generation=live["metadata"]["generation"] + 1,
        )
        if "status" in live:
            stored["status"] = live["status"]
        self.store[(resource, namespace, name)] = stored
        return copy.deepcopy(stored)


def _select(workflow: Manifest, selector: str) -> list[Manifest]:
    """Nodes matching an Argo node field selector of `field=value` terms joined by commas."""
    terms = [term.split("=", 1) for term in selector.split(",") if term]
    if not terms or any(
        len(t) != 2 or t[0] not in ("id", "templateName", "displayName") for t in terms
    ):
        raise Reply(400, f"unsupported nodeFieldSelector {selector!r}")
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    return [n for n in nodes.values() if all(n.get(k) == v for k, v in terms)]


def _active_suspend(nodes: list[Manifest], selector: str) -> list[Manifest]:
    """The nodes `set` and `resume` act on: active suspend nodes (Suspend and Running).

    As the Argo Server does in workflow/util/util.go, updateSuspendedNode: no such node among
    those selected is an Internal error (HTTP 500).
    """
    active = [n for n in nodes if n.get("type") == "Suspend" and n.get("phase") == "Running"]
    if not active:
        raise Reply(
            500,
            "currently, set only targets suspend nodes: no suspend nodes matching "
            f"nodeFieldSelector: {selector}",
        )
    return active


def _set_outputs(nodes: list[Manifest], values: dict[str, str]) -> None:
    """Set supplied output parameters as updateSuspendedNode (workflow/util/util.go) does: a
    parameter without `valueFrom.supplied` (never one, or already set: setting it drops its
    valueFrom) is refused with an Internal error, so a second `set` of an answer fails."""
    for node in nodes:
        parameters = (node.get("outputs") or {}).get("parameters") or []
        for name, value in values.items():
            target = [p for p in parameters if p["name"] == name]
            if not target:
                raise Reply(500, f"node is not expecting output parameter '{name}'")
            if "supplied" not in (target[0].get("valueFrom") or {}):
                raise Reply(
                    500,
                    f"cannot set output parameter '{name}' because it does not use "
                    "valueFrom.raw or it was already set",
                )
            target[0]["value"] = value
            target[0].pop("valueFrom")


def _resume(nodes: list[Manifest], claims: Claims | None) -> None:
    """Resume the nodes; with claims, record who did in their message (`ResumeWorkflow`)."""
    for node in nodes:
        node["phase"] = "Succeeded"
        node["finishedAt"] = "2024-05-01T11:00:00Z"
        if claims is not None:
            node["message"] = f"Resumed by: {_go_map(user_info_map(claims))}"


def user_info_map(claims: Claims) -> dict[str, str]:
    """creator.go, `UserInfoMap`: the caller's non-empty subject, e-mail and username."""
    keys = {"User": "sub", "Email": "email", "PreferredUsername": "preferred_username"}
    return {key: str(claims[claim]) for key, claim in keys.items() if claims.get(claim)}


def _go_map(values: dict[str, str]) -> str:
    """How Go's fmt prints a map[string]string: `map[k:v k:v]`, keys sorted."""
    return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(values.items())) + "]"


def _label_claims(claims: Claims | None) -> dict[str, str] | None:
    """The claims `Label` reads, as strings (an absent one is empty)."""
    if claims is None:
        return None
    return {key: str(claims.get(key) or "") for key in ("sub", "email", "preferred_username")}


def user_info(claims: Claims | None) -> Manifest:
    """info_server.go, `GetUserInfo`: the caller's claims, empty ones left out; `{}` without."""
    if claims is None:
        return {}
    found: Manifest = {
        field: claims[claim] for field, claim in _USER_INFO.items() if claims.get(claim)
    }
    if claims.get("email_verified") in (True, "true"):  # types.Claims, UnmarshalJSON
        found["emailVerified"] = True
    return found


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArgo

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        status, payload, extra = self.fake.handle(self.command, self.path, headers, raw)
        if isinstance(payload, Raw):
            self._raw(payload)
            return
        if isinstance(payload, fake_streams.Streamed):
            data, content_type = payload.body(), payload.content_type
        else:
            data, content_type = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _raw(self, payload: Raw) -> None:
        self.close_connection = True
        self.send_response(payload.status)
        for key, value in payload.headers.items():
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.end_headers()
        ends = time.monotonic() + RAW_SECONDS
        try:
            for chunk in payload.chunks():
                self.wfile.write(chunk)
                self.wfile.flush()
                if time.monotonic() > ends:
                    return
        except OSError:
            return  # the client hung up: what a hostile answer is for

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the fake's records, not its log."""


@contextmanager
def serving(fake: FakeArgo) -> Iterator[FakeArgo]:
    """The fake on a free loopback port (`fake.url`) until the block ends."""
    handler = type("Handler", (_Handler,), {"fake": fake})
    with loopback(handler) as url:
        fake.url = url
        yield fake
