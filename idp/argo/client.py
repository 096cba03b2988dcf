"""The Argo Server API calls idp makes, with one error mapping for all of them.

WorkflowTemplates and Workflows go through Hera's `WorkflowsService`. EventSources and Sensors
are sent as plain JSON to the Argo Server's event-source and sensor endpoints, through the same
session, token and error mapping: Hera 7.1's `EventsService` goes through the `hera.events`
models, which drop the webhook fields of the compiled EventSource and cannot parse the Sensor's
retry strategy, so they cannot carry these objects unchanged.

Every failure becomes an ArgoError of one line that names the server, the request and what to
check, with its own exit code (`idp.argo.errors`). The token never appears in a message, and
what the server wrote in one (an error's text, its reason phrase, a redirect's target, a stream's
error) passes through `said`: the token removed (a server may echo the header it was sent), then
escaped and cut (`idp.text`).

Every answer is read within a cap after decompression (`idp.argo.transport`) and checked before
it is used (`idp.argo.answers`): a body that is not a JSON object within the bounds, a list whose
items are not objects with a name, or a Workflow that does not fit Hera's models is "not an
Argo Server answer" (exit 10), never an internal error.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from types import TracebackType
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import requests
from hera.workflows import WorkflowsService
from hera.workflows import models as hm
from pydantic import BaseModel, ValidationError
from urllib3.exceptions import HTTPError

from idp.argo import answers, streams, transport
from idp.argo.connection import Connection
from idp.argo.errors import ArgoError, HttpError, UsageError, code_for_status, reason
from idp.errors import EXIT_FAILURE, EXIT_REJECTED, EXIT_SERVER_ERROR, EXIT_TLS, EXIT_UNREACHABLE
from idp.manifests import Manifest
from idp.settings import is_object_name
from idp.text import one_line

MANAGED_KINDS = ("WorkflowTemplate", "EventSource", "Sensor")
_EVENTS = {"EventSource": ("event-sources", "eventSource"), "Sensor": ("sensors", "sensor")}
_RESOURCES = {"WorkflowTemplate": ("workflow-templates", "template"), **_EVENTS}
_HINTS = {
    401: "check ARGO_TOKEN or --token-file: the token is missing, expired or not accepted",
    403: "the token's service account lacks permission for this; check its Role in the namespace",
    404: "check the name and the namespace (ARGO_NAMESPACE, --namespace) and ARGO_BASE_HREF",
    409: "it already exists, or it changed on the server since it was read",
}
_SERVER_HINT = (
    "the server failed; check the argo-server logs (kubectl -n argo logs deploy/argo-server)"
)
_REJECTED_HINT = "the server rejected the request"
_NOT_ARGO_HINT = "check that --server (and ARGO_BASE_HREF) point at an Argo Server"
MAX_LOCATION = 200
Model = TypeVar("Model", bound=BaseModel)


def not_argo(server: str, where: str, why: str) -> ArgoError:
    """The one failure of an answer that does not fit (exit 10)."""
    return ArgoError(
        f"{server}: the answer to {where} is not an Argo Server answer ({why}); {_NOT_ARGO_HINT}",
        EXIT_SERVER_ERROR,
    )


def said(connection: Connection, text: str, limit: int = 300) -> str:
    """What a server wrote, as a message may show it: without the token (a server may echo the
    Authorization header it was sent), then on one line, printable and cut to `limit`."""
    return one_line(connection.hide(text), limit)


def _server_message(response: requests.Response, connection: Connection) -> str:
    try:
        body = answers.parse(response.content)
    except answers.Malformed:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return said(connection, body["message"])
    text = response.content.decode("utf-8", "replace")
    return said(connection, text) or "(no message)"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def send(
    session: requests.Session, connection: Connection, method: str, url: str, **kwargs: Any
) -> requests.Response:
    """One call within --request-timeout as a whole (retries included); connection failures
    and error statuses raise ArgoError, and so does a body that is not a bounded JSON object
    (unless the answer is streamed: its reader checks it)."""
    response, _ = exchange(session, connection, method, url, **kwargs)
    return response


def exchange(
    session: requests.Session,
    connection: Connection,
    method: str,
    url: str,
    *,
    containers: int = answers.MAX_CONTAINERS,
    **kwargs: Any,
) -> tuple[requests.Response, Manifest | None]:
    """`send`, and the answer's JSON object (None for a streamed answer), of at most
    `containers` objects and lists."""
    where = f"{method.upper()} {urlsplit(url).path}"
    server = f"Argo Server {connection.server}"
    try:
        response = transport.call(session, method, url, connection.timeout, **kwargs)
    except transport.TransportError as exc:
        if exc.kind == "tls":
            raise ArgoError(
                f"{server}: TLS failed ({exc.detail}); check ARGO_SECURE (--no-secure for a "
                "plain-http server), the CA bundle (REQUESTS_CA_BUNDLE) or "
                "ARGO_INSECURE_SKIP_VERIFY",
                EXIT_TLS,
            ) from None
        if exc.kind == "timeout":
            raise ArgoError(
                f"{server}: no complete answer to {where} within {connection.timeout:g}s "
                "(retries included); check the server's health or raise --request-timeout",
                EXIT_UNREACHABLE,
            ) from None
        if exc.kind == "connect":
            raise ArgoError(
                f"{server}: cannot connect ({exc.detail}); check ARGO_SERVER or --server and "
                "that the server is reachable "
                "(kubectl -n argo port-forward svc/argo-server 2746:2746)",
                EXIT_UNREACHABLE,
            ) from None
        if exc.kind == "large":
            raise not_argo(server, where, exc.detail) from None
        raise ArgoError(f"{server}: {where} failed: {exc.detail}", EXIT_FAILURE) from None
    status = response.status_code
    if 300 <= status < 400:
        target = said(connection, str(response.headers.get("Location") or "nowhere"), MAX_LOCATION)
        raise HttpError(
            f"{server}: {status} on {where} redirects to {target}; "
            "point --server (and ARGO_BASE_HREF) at the Argo Server itself",
            EXIT_REJECTED,
            status,
        )
    if not response.ok:
        hint = _HINTS.get(status, _SERVER_HINT if status >= 500 else _REJECTED_HINT)
        phrase = said(connection, response.reason or "", 60) or _phrase(status)
        raise HttpError(
            f"{server}: {status} {phrase} on {where}: {_server_message(response, connection)}; "
            f"{hint}",
            code_for_status(status),
            status,
        )
    if kwargs.get("stream"):
        return response, None
    try:
        return response, answers.parse_object(response.content, containers)
    except answers.Malformed as exc:
        raise not_argo(server, where, said(connection, str(exc), 1000)) from None


class _Workflows(WorkflowsService):
    """Hera's WorkflowsService whose every request goes through `send`."""

    def __init__(self, connection: Connection, session: requests.Session) -> None:
        super().__init__(
            host=connection.url,
            verify_ssl=connection.verify,
            token=connection.token,
            namespace=connection.namespace,
            session=session,
        )
        self.connection = connection

    def _request(self, method: str, **kwargs: Any) -> requests.Response:
        """Hera makes its models of the whole answer: a bound on their number bounds memory."""
        url = kwargs.pop("url")
        containers = answers.MAX_MODEL_CONTAINERS
        response, _ = exchange(
            self.session, self.connection, method, url, containers=containers, **kwargs
        )
        return response


class _Request(Protocol):
    def model_dump_json(
        self, *, exclude_none: bool, by_alias: bool, exclude_unset: bool, exclude_defaults: bool
    ) -> str: ...


@contextmanager
def _hera(connection: Connection) -> Iterator[None]:
    """Around a Hera call: its answer must fit Hera's model; its deprecation noise is hidden.

    (Hera 7.1 calls pydantic's deprecated `.json()`, which is not the user's concern.)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            yield
        except ValidationError as exc:
            raise ArgoError(
                f"Argo Server {connection.server}: the answer is not an Argo Server answer: it "
                f"does not fit Hera's model ({exc.error_count()} problems); {_NOT_ARGO_HINT}",
                EXIT_SERVER_ERROR,
            ) from None


def _plain(model: BaseModel) -> Manifest:
    dumped: Manifest = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dumped


def _model(cls: type[Model], manifest: Manifest) -> Model:
    try:
        return cls.model_validate(manifest)
    except ValidationError as exc:
        raise ArgoError(
            f"{_label(manifest)}: Hera's {cls.__name__} model cannot hold it ({exc.error_count()} "
            "problems); apply the compiled YAML with kubectl instead"
        ) from None


def _faithful(request: _Request, key: str, manifest: Manifest) -> None:
    """Refuse to send an object that Hera's serialisation would change."""
    sent = json.loads(
        request.model_dump_json(
            exclude_none=True, by_alias=True, exclude_unset=True, exclude_defaults=True
        )
    )
    if sent.get(key) != manifest:
        raise ArgoError(
            f"{_label(manifest)}: Hera's model would send it changed; "
            "apply the compiled YAML with kubectl instead"
        )


def segment(name: str) -> str:
    """A Kubernetes name as one URL path segment: checked (DNS-1123), then percent-encoded, so
    no name can reach another path (`x/../y`) or cut the path short (`#`, `?`)."""
    if not is_object_name(name):
        raise UsageError(
            f"{name[:80]!r} is not a Kubernetes name (lowercase letters, digits, '-' and '.')"
        )
    return quote(name, safe="")


def _label(manifest: Manifest) -> str:
    return f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"


def _note(line: str) -> None:
    print(f"retry     {line}", file=sys.stderr)


class ArgoClient:
    """The calls `idp submit`, `idp run` and `idp approve` make, on plain dicts."""

    def __init__(
        self,
        connection: Connection,
        session: requests.Session | None = None,
        notify: transport.Notify | None = None,
    ) -> None:
        self.connection = connection
        self._session = session or transport.session(connection.policy, notify or _note)
        self._workflows = _Workflows(connection, self._session)

    def __enter__(self) -> ArgoClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._session.close()

    @property
    def namespace(self) -> str:
        """The namespace, checked and encoded as a URL path segment."""
        return segment(self.connection.namespace)

    # -- EventSources and Sensors: plain JSON through the same session and mapping

    def _events(self, method: str, kind: str, name: str = "", body: Manifest | None = None) -> Any:
        return self._rest(method, kind, name, body)

    def _rest(
        self,
        method: str,
        kind: str,
        name: str = "",
        body: Manifest | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """A plain-JSON call on one kind's endpoint; the answer as JSON."""
        resource, key = _RESOURCES[kind]
        path = f"api/v1/{resource}/{self.namespace}" + (f"/{segment(name)}" if name else "")
        return self.call(method, path, {key: body} if body is not None else None, params)

    def _authorization(self) -> dict[str, str]:
        return {"Authorization": self._workflows.token} if self._workflows.token else {}

    def call(
        self,
        method: str,
        path: str,
        body: Manifest | None = None,
        params: dict[str, str] | None = None,
    ) -> Manifest:
        """`method path` (relative to the server's base URL) with the token; the answer, a JSON
        object (anything else raises: `not_argo`)."""
        headers = self._authorization()
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        _, answer = exchange(
            self._session,
            self.connection,
            method,
            urljoin(self.connection.url, path),
            headers=headers,
            data=data,
            params=params,
            verify=self.connection.verify,
        )
        assert answer is not None  # noqa: S101 - not streamed: exchange parsed it
        return answer

    def _not_argo(self, method: str, path: str, why: answers.Malformed) -> ArgoError:
        where = f"{method.upper()} {urlsplit(urljoin(self.connection.url, path)).path}"
        return not_argo(
            f"Argo Server {self.connection.server}", where, said(self.connection, str(why), 1000)
        )

    def stream(
        self, path: str, params: dict[str, str], until: float | None = None
    ) -> Generator[Any, None, None]:
        """The results of a streamed answer (`idp.argo.streams`), with `streams.KEEPALIVE` for
        each keep-alive. The answer must begin within --request-timeout (retries included);
        then each read may wait `streams.IDLE_SECONDS`, and with `until` (a `time.monotonic`
        time) the connection is shut down then, ending the stream. Closing the iterator closes
        the connection."""
        where = f"GET {urlsplit(urljoin(self.connection.url, path)).path}"
        response = send(
            self._session,
            self.connection,
            "get",
            urljoin(self.connection.url, path),
            headers={"Accept": streams.EVENT_STREAM, **self._authorization()},
            params=params,
            verify=self.connection.verify,
            stream=True,
            timeout=(self.connection.timeout, streams.IDLE_SECONDS),
        )
        timer = None if until is None else transport.cut_off(response, until - time.monotonic())
        try:
            chunks = streams.lines(self._chunks(response, where), where)
            yield from streams.results(chunks, where, self.connection.hide)
        finally:
            if timer is not None:
                timer.cancel()
            response.close()

    def _chunks(self, response: requests.Response, where: str) -> Iterator[bytes]:
        """The body as it arrives, decompressed, at most 64 KiB a read: `read1` returns what
        there is, so a keep-alive line reaches the reader at once even when the answer is not
        chunked (a plain read would wait for 64 KiB or the end)."""
        try:
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                yield chunk
        except (requests.exceptions.RequestException, HTTPError, OSError) as exc:
            why = reason(exc)
            if why == "timed out":
                why = f"nothing arrived for {streams.IDLE_SECONDS:g}s"
            raise streams.StreamBroken(
                f"Argo Server {self.connection.server}: {where} broke off ({why})"
            ) from None

    def list_workflows(
        self, label_selector: str, fields: str, created_after: str | None = None
    ) -> list[Manifest]:
        """The Workflows in the namespace that match the selector, with only `fields` (the
        server's `fields` parameter); `created_after` (RFC 3339) is passed on, but not every
        server applies it (see `idp.argo.listing`)."""
        params = {"listOptions.labelSelector": label_selector, "fields": fields}
        if created_after:
            params["createdAfter"] = created_after
        path = f"api/v1/workflows/{self.namespace}"
        found = self.call("get", path, params=params)
        try:
            return [
                answers.workflow(item, f"items[{index}]")
                for index, item in enumerate(answers.items(found))
            ]
        except answers.Malformed as exc:
            raise self._not_argo("get", path, exc) from None

    def user_info(self) -> Manifest:
        """Who the server takes the caller for (`GET /api/v1/userinfo`): the claims it found for
        the token, `{}` when it found none."""
        return self.call("get", "api/v1/userinfo")

    def version(self) -> str:
        """The server's version (`GET /api/v1/version`), printable and at most 64 characters."""
        found = self.call("get", "api/v1/version").get("version")
        return one_line(found if isinstance(found, str) else "", 64)

    def list_names(self, kind: str, label_selector: str) -> list[str]:
        """Names of the objects of `kind` in the namespace that carry the labels."""
        found = self._rest("get", kind, params={"listOptions.labelSelector": label_selector})
        try:
            return sorted(
                answers.name(item, f"items[{index}]")
                for index, item in enumerate(answers.items(found))
            )
        except answers.Malformed as exc:
            raise self._not_argo("get", f"api/v1/{_RESOURCES[kind][0]}/", exc) from None

    def delete(self, kind: str, name: str) -> None:
        """Delete one WorkflowTemplate, EventSource or Sensor."""
        self._rest("delete", kind, name)

    # -- objects of `idp submit`

    def lint_template(self, manifest: Manifest) -> None:
        """Ask the server's lint endpoint; a rejection raises HttpError (exit 11)."""
        request = hm.WorkflowTemplateLintRequest(template=_model(hm.WorkflowTemplate, manifest))
        _faithful(request, "template", manifest)
        with _hera(self.connection):
            self._workflows.lint_workflow_template(request, namespace=self.namespace)

    def get(self, kind: str, name: str) -> Manifest | None:
        """The live object, or None when it does not exist."""
        try:
            if kind == "WorkflowTemplate":
                with _hera(self.connection):
                    found = self._workflows.get_workflow_template(
                        segment(name), namespace=self.namespace
                    )
                return _plain(found)
            found = self._events("get", kind, name)
            try:
                return answers.resource(found, kind)
            except answers.Malformed as exc:
                raise self._not_argo("get", f"api/v1/{_RESOURCES[kind][0]}/", exc) from None
        except HttpError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, manifest: Manifest) -> Manifest:
        """Create the object; 409 (it exists) raises HttpError."""
        kind = manifest["kind"]
        if kind != "WorkflowTemplate":
            created: Manifest = self._events("post", kind, body=manifest)
            return created
        request = hm.WorkflowTemplateCreateRequest(template=_model(hm.WorkflowTemplate, manifest))
        _faithful(request, "template", manifest)
        with _hera(self.connection):
            return _plain(self._workflows.create_workflow_template(request, self.namespace))

    def update(self, manifest: Manifest) -> Manifest:
        """Replace the object; `manifest` carries the live `metadata.resourceVersion`."""
        kind, name = manifest["kind"], manifest["metadata"]["name"]
        if kind != "WorkflowTemplate":
            updated: Manifest = self._events("put", kind, name, body=manifest)
            return updated
        request = hm.WorkflowTemplateUpdateRequest(template=_model(hm.WorkflowTemplate, manifest))
        _faithful(request, "template", manifest)
        with _hera(self.connection):
            return _plain(
                self._workflows.update_workflow_template(segment(name), request, self.namespace)
            )

    # -- workflows of `idp run` and `idp approve`

    def create_workflow(self, manifest: Manifest, *, server_dry_run: bool = False) -> Manifest:
        """Submit a Workflow; with `server_dry_run` the server checks it and creates nothing."""
        workflow = _model(hm.Workflow, manifest)
        request = hm.WorkflowCreateRequest(
            workflow=workflow, server_dry_run=True if server_dry_run else None
        )
        _faithful(request, "workflow", manifest)
        with _hera(self.connection):
            return _plain(self._workflows.create_workflow(request, namespace=self.namespace))

    def get_workflow(self, name: str) -> Manifest:
        """The Workflow, checked (`answers.workflow`): it has a name, and fits Hera's models."""
        with _hera(self.connection):
            found = _plain(self._workflows.get_workflow(segment(name), namespace=self.namespace))
        try:
            return answers.workflow(found)
        except answers.Malformed as exc:
            path = f"api/v1/workflows/{self.namespace}/{segment(name)}"
            raise self._not_argo("get", path, exc) from None

    def set_outputs(self, name: str, node_id: str, outputs: dict[str, str]) -> Manifest:
        """Set a node's output parameters (`PUT .../set`), as the Argo UI does before resuming."""
        request = hm.WorkflowSetRequest(
            node_field_selector=f"id={node_id}", output_parameters=json.dumps(outputs)
        )
        with _hera(self.connection):
            return _plain(
                self._workflows.set_workflow(segment(name), request, namespace=self.namespace)
            )

    def resume(self, name: str, node_id: str) -> Manifest:
        """Resume one suspended node (`PUT .../resume`)."""
        request = hm.WorkflowResumeRequest(node_field_selector=f"id={node_id}")
        with _hera(self.connection):
            return _plain(
                self._workflows.resume_workflow(segment(name), request, namespace=self.namespace)
            )
