"""The names of the provisioning pipeline, written once for everyone who speaks of it.

The WorkflowTemplate (`workflows.pipeline`), the step programs (`workflows.steps`), the Argo
Server client (`idp.argo`) and the local runner (`idp.local`) all name the same tasks, outputs
and answers. They live here, in plain Python: reading a name must not load Hera.

One request's Workflow runs `plan` -> `approve` -> `apply`, with the approvers' notice beside
the approval and `finish` as the exit handler.
"""

from __future__ import annotations

ENTRYPOINT = "provision"
EXIT_HANDLER = "finish"
PLAN = "plan"
APPROVAL = "approve"
APPLY = "apply"
NOTIFY_APPROVERS = "notify-approvers"
TASKS = (PLAN, NOTIFY_APPROVERS, APPROVAL, APPLY)


def template_name(kind: str) -> str:
    """The WorkflowTemplate a kind's sensor and `idp run` submit a request from."""
    return f"{kind}-provision-workflow"


def preview_template_name(kind: str) -> str:
    """The WorkflowTemplate a kind's sensor and `idp run` submit a preview from."""
    return f"{kind}-preview-workflow"


def workflow_name_prefix(kind: str) -> str:
    """A request's Workflow is named prefix + request_id: the idempotency key makes the name."""
    return f"{kind}-"


def preview_name_prefix(kind: str) -> str:
    """A preview's Workflow: its own prefix, so that it never takes the request's name."""
    return f"{kind}-preview-"


def endpoint(kind: str) -> str:
    """The webhook's URL path a kind's requests are POSTed to."""
    return f"/{kind}"


# The phases of the step programs that reach outside (Azure, checkov), which `idp local --stub
# PHASE=Succeeded` may stand in for on a machine without them.
STUBBABLE_PHASES = ("preflight", "policy", "cost", "verify")

# The approval's answers: only exactly YES applies; EXPIRED is what an expiry leaves.
APPROVED = "YES"
REJECTED = "NO"
UNANSWERED = "EXPIRED"
WAIVED = "WAIVED"  # no approval asked: the reaper's destroy of an expired stack, where waived

# How a run ends (the exit handler's `outcome`); the first two fulfil the request.
OUTCOMES = (
    "succeeded",
    "no-changes",
    "policy-failed",
    "rejected",
    "expired",
    "failed",
    "stopped",
    "cost-blocked",
    "previewed",
)
FULFILLED = ("succeeded", "no-changes", "previewed")

# What the plan program decides the Workflow does next (its `next` output).
NEXT_APPROVE = "approve"  # a person is asked
NEXT_APPLY = "apply"  # the approval is waived; apply checks the waiver itself
NEXT_DONE = "done"  # nothing to apply

# What the approval node shows; each is also a supplied output the Argo UI sets back.
APPROVAL_SHOWS = ("summary", "changes", "policy", "cost", "sha256")

# Workflow outputs (globalName) the exit handler and the client read.
GLOBAL_HAS_CHANGES = "has_changes"
GLOBAL_SUMMARY = "summary"
GLOBAL_APPROVAL = "approval"
GLOBAL_OUTPUTS = "outputs"
GLOBAL_OUTCOME = "outcome"
GLOBAL_REASON = "reason"
GLOBAL_PLAN_SHA256 = "plan-sha256"
GLOBAL_WAIVED = "waived"
GLOBAL_VERIFIED = "verified"
GLOBAL_CHANGES = "changes"
GLOBAL_FINDINGS = "findings"
GLOBAL_COST = "cost"

# The plan program's output parameters and the workflow output each is published as.
PLAN_PARAMETERS: dict[str, str | None] = {
    "phases": None,
    "has_changes": GLOBAL_HAS_CHANGES,
    "summary": GLOBAL_SUMMARY,
    "changes": GLOBAL_CHANGES,
    "sha256": GLOBAL_PLAN_SHA256,
    "findings": GLOBAL_FINDINGS,
    "cost": GLOBAL_COST,
    "waived": GLOBAL_WAIVED,
    "next": None,
}
# Its artifacts (redacted): the plan's JSON and text, the policy report.
PLAN_ARTIFACTS = {
    "plan-json": "plan.json",
    "plan-text": "plan.txt",
    "policy-report": "policy.json",
    "cost-report": "cost.json",
}
# The apply program's outputs and artifacts.
APPLY_PARAMETERS: dict[str, str | None] = {
    "phases": None,
    "outputs": GLOBAL_OUTPUTS,
    "verified": GLOBAL_VERIFIED,
}
APPLY_ARTIFACTS = {"terraform-outputs": "outputs.json", "report": "report.json"}
