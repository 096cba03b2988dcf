"""The states a request can be in, as `idp list` and `idp status` name them (cheap to import:
the parser offers them to `--outcome`).

The outcome the exit handler recorded (`workflows.steps.outcome.OUTCOMES`) once the Workflow
finished; before, `awaiting-approval` while the approval waits, else the Workflow's phase in
lower case (and `failed` or `error` for a run that ended without recording an outcome).
"""

from __future__ import annotations

from idp.pipeline import OUTCOMES

AWAITING_APPROVAL = "awaiting-approval"
PHASES = ("pending", "running", "succeeded", "failed", "error")
STATES = tuple(dict.fromkeys((*OUTCOMES, AWAITING_APPROVAL, *PHASES)))
