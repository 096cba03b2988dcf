"""Which Workflow a person means by `REQUEST_ID|WORKFLOW` (`idp status`, `idp logs`, `idp watch`).

A request id (the contract's pattern) is looked up by the label the template puts on its
Workflow (`idp.platform/request-id`, with the platform's `app.kubernetes.io/part-of`): one
Workflow is that one. A preview of the request (`<kind>-preview-<id>`, labelled
`idp.platform/action: preview`) carries the same id: when the request's own Workflow is there
too, the request id means it, and a note on stderr names the preview. Several others (the same
id sent for two kinds, or a run resubmitted) are listed, newest first, and none is chosen
(exit 19). When no Workflow carries the id, or the text is no
request id, it is taken as a Workflow's name. Neither found is exit 8, naming both lookups.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

from idp import labels
from idp.argo import listing, status
from idp.argo.client import ArgoClient
from idp.argo.errors import ArgoError, HttpError, UsageError
from idp.contract import REQUEST_ID_PATTERN
from idp.errors import EXIT_AMBIGUOUS, EXIT_NOT_FOUND
from idp.manifests import Manifest
from idp.settings import is_object_name
from idp.text import printable

Print = Callable[[str], None]

SHOWN = 10
_FIELDS = ",".join(
    (
        "metadata",
        "items.metadata.name",
        "items.metadata.creationTimestamp",
        "items.metadata.labels",
        "items.status.phase",
    )
)


def _by_request_id(client: ArgoClient, request_id: str) -> list[Manifest]:
    selector = f"{listing.part_of()},{labels.REQUEST_ID}={request_id}"
    found = client.list_workflows(selector, _FIELDS)
    return listing.newest_first(found)


def _ambiguous(request_id: str, found: list[Manifest]) -> ArgoError:
    described = [
        f"{w['metadata'].get('name')} ({(w['metadata'].get('labels') or {}).get(labels.KIND)}, "
        f"{status.phase(w)}, created {w['metadata'].get('creationTimestamp')})"
        for w in found[:SHOWN]
    ]
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return ArgoError(
        f"request {request_id} has {len(found)} workflows: {'; '.join(described)}{more}; "
        "name one of them",
        EXIT_AMBIGUOUS,
    )


def _is_preview(workflow: Manifest) -> bool:
    return (workflow["metadata"].get("labels") or {}).get(labels.ACTION) == labels.PREVIEW


def _not_previews(request_id: str, found: list[Manifest], note: Print) -> list[Manifest]:
    """`found` without its previews when a Workflow of the request itself is among them; the
    previews left out are named (`note`)."""
    requests = [w for w in found if not _is_preview(w)]
    if not requests or len(requests) == len(found):
        return found
    previews = ", ".join(str(w["metadata"].get("name")) for w in found if _is_preview(w))
    if len(requests) == 1:
        note(
            f"request {request_id} also has a preview ({previews}): this is its request's "
            f"workflow {requests[0]['metadata'].get('name')}; name the preview to see it"
        )
    return requests


def _stderr(line: str) -> None:
    print(printable(f"idp: {line}"), file=sys.stderr)


def resolve(client: ArgoClient, text: str, note: Print = _stderr) -> Manifest:
    """The one Workflow `text` names (see the module docstring), as the server has it."""
    if re.fullmatch(REQUEST_ID_PATTERN, text):
        found = _not_previews(text, _by_request_id(client, text), note)
        if len(found) > 1:
            raise _ambiguous(text, found)
        if found:
            return client.get_workflow(str(found[0]["metadata"]["name"]))
    elif not is_object_name(text):
        raise UsageError(
            f"{text[:80]!r} is neither a request id nor a workflow name (lowercase letters, "
            "digits, '-' and '.')"
        )
    try:
        return client.get_workflow(text)
    except HttpError as exc:
        if exc.status != 404:
            raise
    where = f"in namespace {client.connection.namespace} on {client.connection.server}"
    lookups = f"no workflow named {text}"
    if re.fullmatch(REQUEST_ID_PATTERN, text):
        lookups = f"no workflow with the label {labels.REQUEST_ID}={text} and " + lookups
    raise ArgoError(
        f"{lookups} {where}; idp list shows the requests (check --namespace)", EXIT_NOT_FOUND
    )
