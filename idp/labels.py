"""The labels that tell a platform Workflow: what the Sensor and the template put on it.

The Sensor labels every Workflow it creates with `app.kubernetes.io/part-of` (`PART_OF` in
`idp.manifests`) and the kind; the WorkflowTemplate's `workflowMetadata` adds the environment,
the request id and the requester from the Workflow's parameters (`labelsFrom`); a preview's
template labels its Workflows `ACTION: preview`. `idp list`, `idp status` and `idp logs` select
Workflows by these keys, so they are written here once.

A label value holds at most 63 characters of `[A-Za-z0-9_.-]`, starting and ending with a
letter or digit; the requester's e-mail address is made into one by `requester_value`, the
same rule as the template's `labelsFrom` expression (`workflows.pipeline.REQUESTER_LABEL`; a
test holds the two equal).
"""

from __future__ import annotations

import re

PREFIX = "idp.platform/"
KIND = PREFIX + "kind"
ENVIRONMENT = PREFIX + "environment"
REQUEST_ID = PREFIX + "request-id"
REQUESTER = PREFIX + "requester"
ACTION = PREFIX + "action"  # on a preview's Workflow: `preview` (its template's labels)
PREVIEW = "preview"
MAX_VALUE = 63
_NOT_IN_VALUE = re.compile(r"[^A-Za-z0-9_.-]")


def requester_value(email: str) -> str:
    """The requester label the template records for `email`: every other character becomes
    `_`, the first 63 characters are kept, then `-`, `_` and `.` are trimmed from both ends."""
    return _NOT_IN_VALUE.sub("_", email)[:MAX_VALUE].strip("-_.")
