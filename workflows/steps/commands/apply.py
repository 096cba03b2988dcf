"""`apply`: one pod, one program: decide, apply, verify and report, in that order.

- **decide**: whether this plan may be applied, from the facts the program reads itself: the
  approval's answer as the Argo Server recorded it (exactly `YES`, by a person other than the
  requester, `idp.actor`), or, when nobody was asked, the waiver of the
  reaper's own destroy, read again from the registry (`expiry.waived`). Any other answer
  (`NO`, `EXPIRED`, ` YES`) applies nothing: the program says so and ends, and the exit
  handler reports the outcome. An approval that breaks a rule (the requester's own, nobody
  recorded) is refused, which fails the run.
- **apply**: the saved plan by its approved sha256, checked to be this request's plan of this
  stack's state, applied as it is, never planned again, then deleted. A provision records the
  stack in the registry before Terraform changes anything, so drift and expiry know every
  stack that may exist, even one whose apply was cut short.
- **verify**: Azure has every resource Terraform reports, tagged with the request id; after a
  destroy, nothing tagged with the stack remains, and the registry entry and state go.
- **report**: the outputs (sensitive values redacted) and `report.json` as artifacts, the
  non-sensitive outputs as a parameter.

The approval's answer comes as `{{workflow.outputs.parameters.approval}}`, which the approval
node publishes when answered or expired; where nobody was asked it is left unresolved (the text
`{{...}}`), which reads as no answer. Outputs under OUT: `phases`, `outputs`, `verified`;
artifacts `outputs.json`, `report.json`.
"""

from __future__ import annotations

import argparse
import hmac
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from idp import __version__
from idp.actor import Approver
from idp.contract import RequestBase
from idp.pipeline import APPROVED, NEXT_APPLY, NEXT_APPROVE
from idp.settings import Settings
from workflows.steps import azure, expiry, outputs, planfile, redact, registry, request, workdir
from workflows.steps.errors import EXIT_INVALID, StepError
from workflows.steps.outcome import absent
from workflows.steps.phases import Phases, stubbed_phases
from workflows.steps.stack import Stack
from workflows.steps.terraform import Terraform

PHASES = ("decide", "apply", "verify", "report")
PLAN_FILE = "plan.tfplan"
SHA256 = re.compile(r"[0-9a-f]{64}")
_PLAN_IDENTITY = ("request_id", "environment", "name")  # variables every plan must carry
# What names a stack's state in a backend's configuration (local, azurerm).
_STATE_IDENTITY = ("path", "resource_group_name", "storage_account_name", "container_name", "key")


def run(args: argparse.Namespace) -> int:
    """The command's entry: typed values from the arguments, then `apply`."""
    stack = Stack.from_args(args)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    expected = args.sha256.strip().lower()
    if not SHA256.fullmatch(expected):
        raise StepError("--sha256 must be 64 hexadecimal characters", code=EXIT_INVALID)
    phases = Phases(PHASES, out, stubbed_phases(stack.local))
    apply(
        stack,
        out,
        expected,
        answer=args.approval,
        following=args.next,
        labels=args.labels,
        phases=phases,
    )
    return 0


def apply(
    stack: Stack,
    out: Path,
    sha256: str,
    *,
    answer: str,
    following: str,
    labels: str,
    phases: Phases,
) -> bool:
    """Every phase in order; whether the plan was applied."""
    settings = request.settings()
    with phases.phase("decide"):
        valid = request.load(stack.kind, settings)
        approver = _decide(
            stack, valid, settings, answer=answer, following=following, labels=labels
        )
        declined = _declined(answer)
        phases.done("decide", f"approved by {approver}" if approver else declined)
    if approver is None:
        _nothing_applied(out, declined)
        phases.write()
        return False
    with phases.phase("apply"):
        phases.done("apply", _apply(stack, valid, settings, sha256, approver))
    # A destroyed stack has no outputs (verify removes its state); else read them once.
    found: dict[str, Any] | None = {} if valid.action == "destroy" else None
    if not phases.skip("verify"):
        with phases.phase("verify"):
            found = found if found is not None else _terraform_outputs(stack, valid, settings)
            phases.done("verify", _verify(stack, valid, settings, out, found))
    else:
        outputs.write(out, "verified", "")
    with phases.phase("report"):
        found = found if found is not None else _terraform_outputs(stack, valid, settings)
        phases.done("report", _report(stack, valid, approver, out, found))
    phases.write()
    return True


def _declined(answer: str) -> str:
    if absent(answer):
        return (
            "not applied: no answer was recorded (the approval expired, or was resumed without one)"
        )
    shown = repr(answer[:40]) + ("…" if len(answer) > 40 else "")
    return f"not applied: the approval was answered {shown}, not {APPROVED}"


def _nothing_applied(out: Path, reason: str) -> None:
    """The outputs of a run that applied nothing, so that every declared output exists."""
    outputs.write(out, "outputs", "{}")
    outputs.write(out, "verified", "")
    outputs.write(out, "outputs.json", "{}")
    outputs.write(out, "report.json", json.dumps({"applied": False, "reason": reason}, indent=1))


def _decide(
    stack: Stack,
    valid: RequestBase,
    settings: Settings,
    *,
    answer: str,
    following: str,
    labels: str,
) -> str | None:
    """Who approved (shown), or None when the answer declines the plan; refuses an approval
    that breaks a rule.

    `following` is what the plan program decided (`next`): a person was asked (`approve`), or
    nobody was, for a waiver (`apply`). An expired approval publishes its answer only when the
    DAG ends (`dag.go`, `executeDAG`), so while apply runs, no answer after `approve` reads as
    nobody having answered; the exit handler then reads `EXPIRED`."""
    if following not in (NEXT_APPROVE, NEXT_APPLY):
        raise StepError(
            f"--next {following[:40]!r}: apply runs only after approve or a waiver",
            code=EXIT_INVALID,
        )
    if absent(answer):
        return _waiver(stack, valid, settings) if following == NEXT_APPLY else None
    if answer != APPROVED:
        return None
    approver = _recorded(labels)
    if approver.is_requester(valid.requester_email):
        raise StepError(
            f"refusing to apply: {approver.shown()} asked for this change and approved it; "
            "a second person must approve"
        )
    if not approver.person and settings.approver_identity == "required":
        if approver.known:
            raise StepError(
                f"refusing to apply: the Argo Server recorded {approver.shown()} for the "
                "approval, not a person's e-mail (a ServiceAccount's token cannot approve); "
                "settings.approver_identity is required"
            )
        raise StepError(
            "refusing to apply: the Argo Server recorded no identity for the approval (is SSO "
            "on?); settings.approver_identity is required"
        )
    return approver.shown()


def _recorded(labels: str) -> Approver:
    """Who answered the approval, as the Argo Server recorded it in the Workflow's labels."""
    try:
        return Approver.from_labels(labels)
    except ValueError as exc:
        raise StepError(str(exc), code=EXIT_INVALID) from None


def _waiver(stack: Stack, valid: RequestBase, settings: Settings) -> str:
    """Nobody was asked: only for the reaper's own destroy of an expired stack where settings
    waive it, read here again, never taken from the plan step."""
    store = stack.store(valid.environment, settings)
    try:
        entry = registry.read(store, stack.kind, valid.environment, valid.name)
    except registry.RegistryError as exc:
        raise StepError(f"refusing to apply without approval: {exc}") from None
    if not expiry.waived(entry, valid, settings):
        raise StepError(
            "refusing to apply: no approval, and this is not the reaper's destroy of an expired "
            "stack in an environment that waives it"
        )
    return "nobody (approval waived: the stack expired)"


def _apply(
    stack: Stack, valid: RequestBase, settings: Settings, expected: str, approver: str
) -> str:
    plans = stack.plans(valid.environment, valid.name, settings)
    plan_file = stack.work / "approved" / PLAN_FILE
    plans.get(expected, plan_file)
    actual = outputs.sha256_of(plan_file)
    if not hmac.compare_digest(actual, expected):
        raise StepError(
            f"refusing to apply: plan file sha256 {actual} differs from the approved {expected}"
        )
    _belongs(stack, plan_file, valid, settings)
    work = stack.prepare()
    locked = workdir.restore_lock_file(plan_file, work)
    terraform = Terraform(work)
    # The backend is the one recorded in the plan: init only installs the locked providers.
    terraform.init(None, lockfile_readonly=locked)
    workdir.check_configuration(plan_file, work)
    if valid.action == "provision":
        _register(stack, valid, approver, settings)
    terraform.apply(plan_file)
    plans.delete(expected)
    return f"applied plan {actual}, approved by {approver}"


def _belongs(stack: Stack, plan_file: Path, valid: RequestBase, settings: Settings) -> None:
    """Refuse a plan made for another request or another stack (its variables and backend)."""
    saved = planfile.read(plan_file)
    wanted = valid.model_dump(mode="json")
    # Every variable the plan was made with must be this request's; a field the module does
    # not declare cannot have shaped the plan, but the stack's identity always must have.
    missing = sorted(name for name in _PLAN_IDENTITY if name not in saved.variables)
    if missing:
        raise StepError(f"refusing to apply: the plan has no {', '.join(missing)} variable")
    differ = sorted(
        name
        for name in saved.variables
        if name in wanted and not _same(saved.variables.get(name), wanted.get(name))
    )
    if differ:
        raise StepError(
            f"refusing to apply: the plan was made for another request ({', '.join(differ)} "
            "differ from this one)"
        )
    config = stack.backend_config(valid.environment, valid.name, settings)
    expected = {
        key: value
        for key, value in (item.split("=", 1) for item in config)
        if key in _STATE_IDENTITY
    }
    recorded = {k: str(v) for k, v in saved.backend_config.items() if k in _STATE_IDENTITY}
    if saved.backend_type != stack.backend or recorded != expected:
        raise StepError(
            "refusing to apply: the plan applies to another state than this stack's "
            f"({saved.backend_type} {recorded.get('key') or recorded.get('path', '?')})"
        )


def _same(saved: Any, wanted: Any) -> bool:
    if isinstance(saved, int | float) and isinstance(wanted, int | float):
        return float(saved) == float(wanted)
    return bool(saved == wanted)


def _register(stack: Stack, valid: RequestBase, approver: str, settings: Settings) -> None:
    """Record the stack in the registry, beside its state, before Terraform changes it."""
    entry = registry.new_entry(
        valid.model_dump(mode="json"), stack.kind, approver, __version__, datetime.now(UTC)
    )
    where = registry.record(stack.store(valid.environment, settings), entry)
    expires = f", expires {entry.expires_at}" if entry.expires_at else ""
    print(f"apply: registered the stack ({where}{expires})")


def _terraform_outputs(stack: Stack, valid: RequestBase, settings: Settings) -> dict[str, Any]:
    work = stack.prepare()
    terraform = Terraform(work)
    terraform.init(stack.backend_config(valid.environment, valid.name, settings))
    data = outputs.load_json(terraform.output(), "terraform output -json")
    if not isinstance(data, dict):
        raise StepError("terraform output -json: not a JSON object")
    return data


def _verify(
    stack: Stack, valid: RequestBase, settings: Settings, out: Path, found: dict[str, Any]
) -> str:
    """Every ARM id Terraform reports is tagged with the request id; after a destroy, nothing
    tagged with the stack remains, and the registry entry and the state go."""
    subscription = azure.subscription_id()
    auth = (settings.azure_auth, settings.azure_resource_manager)
    if valid.action == "destroy":
        value = workdir.stack_tag(stack.kind, valid.environment, valid.name)
        with azure.connect(subscription, *auth) as client:
            azure.verify_gone(client, workdir.STACK_TAG, value)
        gone = f"nothing tagged {workdir.STACK_TAG}={value} remains"
        verified = f"{gone}; {_forget(stack, valid, settings)}"
    else:
        expected = outputs.resource_ids(found)
        if not expected:
            print("verify: the module reports no *_id outputs with ARM ids")
        with azure.connect(subscription, *auth) as client:
            tagged = azure.verify(client, valid.request_id, expected)
        verified = f"{len(expected)} ids found ({tagged} tagged)"
    outputs.write(out, "verified", verified)
    return f"ok: {verified}"


def _forget(stack: Stack, valid: RequestBase, settings: Settings) -> str:
    """After a verified destroy: remove the registry entry and the state, which holds no
    resource any more (checked: a state that still holds one is kept, and that fails)."""
    store = stack.store(valid.environment, settings)
    key = workdir.state_key(stack.kind, valid.environment, valid.name)
    state = store.get(key)
    if state is not None:
        left = workdir.managed_resources(state)
        if left:
            raise StepError(
                f"the state {key} still holds {len(left)} resources ({', '.join(left[:5])}); "
                "it is kept"
            )
        store.delete(key)
        store.delete(key + ".backup")
    removed = registry.remove(store, stack.kind, valid.environment, valid.name)
    entry = "the registry entry" if removed else "no registry entry (none was recorded)"
    return f"removed {entry} and {'the state' if state is not None else 'no state'}"


def _report(
    stack: Stack, valid: RequestBase, approver: str, out: Path, data: dict[str, Any]
) -> str:
    """The outputs (sensitive values redacted) and report.json: who asked, who approved, what
    the stack now offers."""
    public = outputs.public_outputs(data)
    outputs.write(out, "outputs.json", json.dumps(redact.outputs(data, set()), indent=1))
    outputs.write(out, "outputs", json.dumps(public, sort_keys=True, separators=(",", ":")))
    record = {
        "request_id": valid.request_id,
        "kind": stack.kind,
        "environment": valid.environment,
        "name": valid.name,
        "action": valid.action,
        "requester": valid.requester_email,
        "approver": approver,
        "outputs": public,
        "sensitive_outputs": sorted(name for name in data if name not in public),
    }
    outputs.write(out, "report.json", json.dumps(record, indent=1, sort_keys=True))
    hidden = len(data) - len(public)
    return f"{len(public)} outputs published, {hidden} sensitive ones redacted"
