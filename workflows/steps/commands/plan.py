"""`plan`: one pod, one program: validate, preflight, plan, policy and cost, in that order.

- **validate**: `IDP_REQUEST` against the kind's model and the settings, and the workflow's
  per-field arguments (which name the mutex and the labels) against the request.
- **preflight**: Azure has the region in the subscription and the kind's providers registered.
- **plan**: `terraform init` with the stack's backend and `plan -out` (`-destroy` for a
  destroy); the plan's JSON and text, sensitive values redacted, and its facts.
- **policy**: checkov and the platform's policies on the redacted JSON; a finding that blocks
  ends the program (exit 3) before anything is saved or anyone is asked.
- **cost**: the monthly cost of the change from the Azure Retail Prices API
  (`workflows.steps.cost`): before, after, the difference, each resource, and what could not be
  priced; over the environment's `max_monthly_cost` the program ends (exit 4, outcome
  `cost-blocked`) before anyone is asked. A price service that is slow, down or answers
  nonsense makes the estimate `unknown` and never fails or blocks anything.

A preview (`action: preview`) runs every phase for the provision the request describes, reads
the state without taking its lock, saves nothing and asks nobody (`next` is `done`).

Then it decides what the Workflow does next, the one decision the template reads (`next`):
`done` when there is nothing to apply, `apply` when the approval is waived (the reaper's own
destroy of an expired stack, where settings waive it; apply checks the waiver again itself),
else `approve`. A plan that may be applied waits beside the state (`workflows.steps.planstore`).

Outputs under OUT (Argo collects them): `phases`, `has_changes`, `summary`, `changes`, `sha256`,
`findings`, `cost`, `waived`, `next`; artifacts `plan.json`, `plan.txt`, `policy.json`,
`cost.json`.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path

from idp.contract import RequestBase
from idp.image import CHECKOV_ENV
from idp.pipeline import NEXT_APPLY, NEXT_APPROVE, NEXT_DONE
from idp.settings import Settings
from workflows.steps import azure, cost, expiry, outputs, redact, registry, request, workdir
from workflows.steps import policy as rules
from workflows.steps.errors import EXIT_COST, EXIT_POLICY, StepError
from workflows.steps.outcome import COST_BLOCKED
from workflows.steps.phases import Phases, stubbed_phases
from workflows.steps.stack import Stack
from workflows.steps.terraform import Terraform

PHASES = ("validate", "preflight", "plan", "policy", "cost")
PREVIEW = "preview"
PLAN_FILE = "plan.tfplan"


@dataclass(frozen=True)
class Planned:
    """What the plan phase found."""

    has_changes: bool
    summary: str
    sha256: str
    plan_file: Path
    plan_json: Path


def run(args: argparse.Namespace) -> int:
    """The command's entry: typed values from the arguments, then `plan`."""
    stack = Stack.from_args(args)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    phases = Phases(PHASES, out, stubbed_phases(stack.local))
    plan(stack, out, args.policies, phases)
    return 0


def plan(stack: Stack, out: Path, policies: Path, phases: Phases) -> str:
    """Every phase in order; returns and writes `next`."""
    settings = request.settings()
    with phases.phase("validate"):
        valid = request.load(stack.kind, settings)
        request.check_arguments(valid, dict(os.environ))
        phases.done("validate", f"valid {stack.kind} request {valid.request_id}")
    if not phases.skip("preflight"):
        with phases.phase("preflight"):
            phases.done("preflight", _preflight(stack.kind, valid, settings))
    with phases.phase("plan"):
        planned = _plan(stack, valid, settings, out)
        phases.done("plan", f"{planned.summary} (sha256 {planned.sha256})")
    if not phases.skip("policy"):
        with phases.phase("policy"):
            phases.done("policy", _policy(stack, valid, settings, planned, policies=policies))
    else:
        _no_policy_report(out, "stubbed by idp local")
    if not phases.skip("cost"):
        with phases.phase("cost"):
            phases.done("cost", _cost(valid, settings, planned, out))
    else:
        _no_cost_report(out, "stubbed by idp local")
    with phases.phase("plan", resumed=True):
        preview = valid.action == PREVIEW
        waived = planned.has_changes and not preview and _waived(stack, valid, settings)
        following = NEXT_DONE if preview else _next(planned.has_changes, waived)
        if following != NEXT_DONE:
            where = stack.plans(valid.environment, valid.name, settings).put(
                planned.sha256, planned.plan_file
            )
            print(f"plan: saved beside the state until applied or cleaned up ({where})")
        if waived:
            print("plan: the reaper's destroy of an expired stack: approval waived by settings")
    outputs.write(out, "waived", "true" if waived else "false")
    outputs.write(out, "next", following)
    phases.write()
    print(f"plan: next: {following}")
    return following


def _next(has_changes: bool, waived: bool) -> str:
    if not has_changes:
        return NEXT_DONE
    return NEXT_APPLY if waived else NEXT_APPROVE


def _preflight(kind: str, valid: RequestBase, settings: Settings) -> str:
    subscription = azure.subscription_id()
    providers = azure.REQUIRED_PROVIDERS.get((kind, valid.resource_type))
    if providers is None:
        print(f"preflight: no resource providers known for {kind}/{valid.resource_type}")
    with azure.connect(
        subscription, settings.azure_auth, settings.azure_resource_manager
    ) as client:
        checked = azure.preflight(client, subscription, valid.region, providers or ())
    return f"ok: {valid.region} in {subscription}; registered: {', '.join(checked) or 'none'}"


def _plan(stack: Stack, valid: RequestBase, settings: Settings, out: Path) -> Planned:
    work = stack.prepare()
    var_file = workdir.write_var_file(work, valid.model_dump(mode="json"))
    terraform = Terraform(work)
    terraform.init(stack.backend_config(valid.environment, valid.name, settings))
    plan_file = work / PLAN_FILE
    changes = terraform.plan(
        var_file,
        plan_file,
        destroy=valid.action == "destroy",
        lock=valid.action != PREVIEW,
    )
    as_json, as_text = terraform.show(plan_file)
    document = outputs.load_json(as_json, "terraform show -json")
    summary = outputs.plan_summary(document, changes)
    digest = outputs.sha256_of(plan_file)
    redacted, secrets = redact.plan(document)
    plan_json = outputs.write(out, "plan.json", json.dumps(redacted, indent=1))
    outputs.write(out, "plan.txt", redact.scrub(as_text, secrets))
    outputs.write(out, "has_changes", "true" if changes else "false")
    outputs.write(out, "summary", summary)
    outputs.write(out, "changes", outputs.plan_changes(document))
    outputs.write(out, "sha256", digest)
    return Planned(changes, summary, digest, plan_file, plan_json)


def _policy(
    stack: Stack, valid: RequestBase, settings: Settings, planned: Planned, *, policies: Path
) -> str:
    """checkov on the redacted plan; the findings to OUT; a blocking one stops the program."""
    if not planned.has_changes:
        _no_policy_report(planned.plan_json.parent, "the plan has no changes")
        return "nothing to check: the plan has no changes"
    if not stack.module.is_dir():
        raise StepError(f"--module {stack.module}: not a folder")
    if not policies.is_dir():
        raise StepError(f"--policies {policies}: not a folder of checkov policies")
    checkov = os.environ.get(CHECKOV_ENV) or "checkov"
    report = rules.run_checkov(rules.command(checkov, planned.plan_json, stack.module, policies))
    unread = rules.parsing_errors(report)
    if unread:
        raise StepError(f"checkov could not read {', '.join(unread)[:500]}")
    target = settings.target(valid.environment)
    findings = rules.judge(
        rules.failed_checks(report),
        target.policy_blocking_severity,
        settings.policy_blocking_checks,
    )
    out = planned.plan_json.parent
    outputs.write(out, "findings", rules.shown([f for f in findings if not f.blocking]))
    record = {
        "environment": valid.environment,
        "blocking_severity": target.policy_blocking_severity,
        "blocking_checks": list(settings.policy_blocking_checks),
        "findings": [f.as_dict() for f in findings],
    }
    outputs.write(out, "policy.json", json.dumps(record, indent=1))
    if any(f.blocking for f in findings):
        raise StepError(rules.blocked_message(findings), code=EXIT_POLICY)
    return rules.shown(findings)


def _cost(valid: RequestBase, settings: Settings, planned: Planned, out: Path) -> str:
    """The estimate to OUT (`cost`, `cost.json`); over the environment's limit stops the run."""
    if not planned.has_changes:
        _no_cost_report(out, "the plan has no changes")
        return "nothing to price: the plan has no changes"
    document = outputs.load_json(planned.plan_json.read_text(encoding="utf-8"), "plan.json")
    with cost.RetailPrices(settings.prices_url) as prices:
        found = cost.estimate(document, valid.region, prices)
    outputs.write(out, "cost", found.summary())
    outputs.write(out, "cost.json", json.dumps(found.as_dict(), indent=1))
    over = cost.over_budget(found, settings.target(valid.environment).max_monthly_cost)
    if over:
        raise StepError(f"{COST_BLOCKED}: {over}", code=EXIT_COST)
    return found.summary()


def _no_cost_report(out: Path, why: str) -> None:
    outputs.write(out, "cost", "")
    outputs.write(out, "cost.json", json.dumps({"status": "skipped", "reason": why}, indent=1))


def _no_policy_report(out: Path, why: str) -> None:
    outputs.write(out, "findings", "")
    outputs.write(out, "policy.json", json.dumps({"skipped": why, "findings": []}, indent=1))


def _waived(stack: Stack, valid: RequestBase, settings: Settings) -> bool:
    """Whether the plan of `valid` needs no approval (see `expiry.waived`)."""
    if valid.action != "destroy":
        return False
    try:
        entry = registry.read(
            stack.store(valid.environment, settings), stack.kind, valid.environment, valid.name
        )
    except registry.RegistryError as exc:
        print(f"plan: the registry entry cannot be read ({exc}); the approval is not waived")
        return False
    return expiry.waived(entry, valid, settings)
