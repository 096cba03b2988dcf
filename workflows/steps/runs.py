"""Start a provisioning run the way the portal does: POST a request to the webhook.

Drift remediation and the expiry reaper start their runs through the same door as every other
request, so the Sensor's filters, the validation, the policy check and (unless waived) the
approval all apply. A run started here gets a new request id (the Workflow is named after it);
the rest is the stack's recorded request. The webhook's bearer token comes from the pod's
IDP_WEBHOOK_TOKEN (the webhook token Secret, given to these steps only) and goes to the webhook
URL of the settings, never to a redirect.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any

from idp.image import WEBHOOK_TOKEN_ENV
from workflows.steps.errors import StepError
from workflows.steps.post import post


def new_request_id() -> str:
    """A fresh request id (a lowercase UUID, as the contract suggests)."""
    return str(uuid.uuid4())


def start(
    webhook_url: str,
    kind: str,
    request: Mapping[str, Any],
    *,
    request_id: str = "",
    **changes: Any,
) -> dict[str, Any]:
    """POST `request` with `changes` and a new request id (or `request_id`) to the kind's
    webhook endpoint; the request as sent. StepError when the webhook did not accept it."""
    sent = {**request, **changes, "request_id": request_id or new_request_id()}
    token = os.environ.get(WEBHOOK_TOKEN_ENV, "")
    if not token:
        raise StepError(f"{WEBHOOK_TOKEN_ENV} is empty: the webhook token Secret is not given")
    status = post(f"{webhook_url.rstrip('/')}/{kind}", sent, token=token, what="webhook")
    if not 200 <= status < 300:
        raise StepError(f"webhook answered HTTP {status} to the run for {request.get('name')}")
    return sent
