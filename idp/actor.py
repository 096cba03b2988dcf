"""Who answered an approval, as the Argo Server recorded it, and the four-eyes rule.

With SSO (or a token with claims) the Argo Server labels the Workflow with the caller of every
`set` and `resume` (`workflow/creator/creator.go`, `LabelActor`, called from
`workflow/util/util.go`, `updateSuspendedNode`): `workflows.argoproj.io/actor` (the subject),
`actor-email` (the e-mail with its `@` written `.at.`) and `actor-preferred-username`, each
made DNS-friendly (`dnsFriendly`: other characters become `-`, the last 63 kept, non
alphanumerics trimmed from both ends). Steps read them from `{{workflow.labels.json}}`, all
the Workflow's labels as a JSON object, which the controller sets on every pass
(`workflow/controller/operator.go`, `setGlobalParameters`). A single label's tag would not do:
the Workflow carries no actor label when it is created, and a tag naming a label it lacks fails
validation (`workflow/validate/validate.go`, `resolveAllVariables`). A label the server removed
(no claims: SSO off) is simply absent, which means unknown.

The four-eyes rule compares the requester's e-mail in the form the server records e-mails with
the recorded actor-email, ignoring case (e-mail addresses are not case sensitive in practice).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

LABEL_PREFIX = "workflows.argoproj.io/"
ACTOR, ACTOR_EMAIL, ACTOR_USERNAME = "actor", "actor-email", "actor-preferred-username"
UNKNOWN = "unknown"
LABELS_TAG = "{{workflow.labels.json}}"
MAX_LABELS_TEXT = 64 * 1024


def dns_friendly(text: str) -> str:
    """creator.go `dnsFriendly`: a label value made from any text."""
    value = re.sub(r"[^-_.a-zA-Z0-9]", "-", text)
    if len(value) > 63:
        value = value[-63:]
    value = re.sub(r"^[^a-zA-Z0-9]*", "", value)
    return re.sub(r"[^a-zA-Z0-9]*$", "", value)


def recorded_email(email: str) -> str:
    """An e-mail address as the server records it in `actor-email`."""
    return dns_friendly(email.replace("@", ".at.", 1))


@dataclass(frozen=True)
class Approver:
    """The recorded identity of whoever answered (each part empty when not recorded)."""

    subject: str = ""
    email: str = ""
    username: str = ""

    @classmethod
    def from_labels(cls, text: str) -> Approver:
        """The approver in the Workflow's labels (`{{workflow.labels.json}}`); empty text or a
        tag left unresolved (no controller: a step run by hand) records nobody."""
        if not text or text.startswith("{{"):
            return cls()
        if len(text) > MAX_LABELS_TEXT:
            raise ValueError(f"--labels: {len(text)} characters; the limit is {MAX_LABELS_TEXT}")
        try:
            labels = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"--labels: not a JSON object of labels: {exc}") from None
        if not isinstance(labels, dict):
            raise ValueError("--labels: not a JSON object of labels")
        return cls.from_label_map(labels)

    @classmethod
    def from_label_map(cls, labels: Mapping[str, object]) -> Approver:
        """The approver in a Workflow's `metadata.labels`."""

        def label(key: str) -> str:
            value = labels.get(LABEL_PREFIX + key, "")
            return value if isinstance(value, str) else ""

        return cls(label(ACTOR), label(ACTOR_EMAIL), label(ACTOR_USERNAME))

    @property
    def person(self) -> bool:
        """Whether a person's e-mail was recorded: what the four-eyes rule compares. A token
        without one (a ServiceAccount's, such as idp-admin's) records only a subject."""
        return bool(self.email)

    @property
    def known(self) -> bool:
        return bool(self.subject or self.email or self.username)

    def shown(self) -> str:
        """How notices and records name the approver (the recorded forms)."""
        return self.email or self.username or self.subject or UNKNOWN

    def is_requester(self, requester_email: str) -> bool:
        """True when the recorded e-mail is the requester's."""
        return bool(self.email) and self.email.lower() == recorded_email(requester_email).lower()
