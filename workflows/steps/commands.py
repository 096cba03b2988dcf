"""What each sub-command does, from parsed arguments to the files Argo collects under OUT.

Heavy modules (the request contract with pydantic, the Azure SDK, SMTP and HTTP) are imported
inside the commands that use them, so each step pays only for what it runs.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from idp.image import MODULES_ROOT
from workflows.steps import outputs, workdir
from workflows.steps.errors import EXIT_INVALID, EXIT_POLICY, StepError
from workflows.steps.terraform import Terraform

if TYPE_CHECKING:
    from idp.contract import RequestBase
    from idp.settings import Settings
    from workflows.steps.approver import Approver
    from workflows.steps.notify import Notice
    from workflows.steps.planstore import Plans
    from workflows.steps.stackstore import Store

PLAN_FILE = "plan.tfplan"
CALLBACK_TOKEN_ENV = "IDP_CALLBACK_TOKEN"  # noqa: S105 - the variable name, not a token
APPROVERS_ENV = "IDP_APPROVERS"
_SHA256 = re.compile(r"[0-9a-f]{64}")
# What names a stack's state in a backend's configuration (local, azurerm).
_PLAN_IDENTITY = ("request_id", "environment", "name")  # variables every plan must carry
_STATE_IDENTITY = ("path", "resource_group_name", "storage_account_name", "container_name", "key")


def _module(args: argparse.Namespace) -> Path:
    module: Path | None = args.module
    return (module or Path(MODULES_ROOT / args.kind)).resolve()


def _backend(args: argparse.Namespace, request: RequestBase, settings: Settings) -> list[str]:
    key = workdir.state_key(args.kind, request.environment, request.name)
    if args.backend == "local":
        state_dir: Path = args.state_dir or args.work / "state"
        return workdir.local_backend(state_dir, key)
    backend = settings.target(request.environment).terraform_backend
    return workdir.azurerm_backend(
        backend.resource_group,
        backend.storage_account,
        backend.container,
        key,
        oidc=settings.azure_auth == "workload-identity",
    )


def _azure(settings: Settings) -> tuple[str, str]:
    return settings.azure_auth, settings.azure_resource_manager


def validate(args: argparse.Namespace) -> int:
    """Check IDP_REQUEST against the kind's model and the allowed regions."""
    from workflows.steps import request

    valid = request.load(args.kind, request.settings())
    request.check_arguments(valid, dict(os.environ))
    print(f"valid {args.kind} request {valid.request_id}")
    return 0


def preflight(args: argparse.Namespace) -> int:
    """The region is a location of the subscription; the kind's providers are registered."""
    from workflows.steps import azure, request

    settings = request.settings()
    valid = request.load(args.kind, settings)
    subscription = azure.subscription_id()
    providers = azure.REQUIRED_PROVIDERS.get((args.kind, valid.resource_type))
    if providers is None:
        print(f"no resource providers known for {args.kind}/{valid.resource_type}; region only")
    with azure.connect(subscription, *_azure(settings)) as client:
        checked = azure.preflight(client, subscription, valid.region, providers or ())
    print(f"preflight ok: {valid.region} in {subscription}; registered: {', '.join(checked)}")
    return 0


def _store(args: argparse.Namespace, environment: str, settings: Settings) -> Store:
    """Where `environment`'s stacks keep their files: the state folder of the local backend,
    or the blob container of the environment's backend (see `stackstore`)."""
    from workflows.steps import stackstore

    if args.backend == "local":
        state_dir: Path = args.state_dir or args.work / "state"
        return stackstore.LocalStore(state_dir.resolve())
    from workflows.steps import azure

    backend = settings.target(environment).terraform_backend
    return stackstore.BlobStore(
        backend.blob_url, backend.container, azure.credential(settings.azure_auth)
    )


def _plans(
    args: argparse.Namespace, kind: str, environment: str, name: str, settings: Settings
) -> Plans:
    """Where this stack's saved plans wait: beside its state (see `planstore`)."""
    from workflows.steps.planstore import Plans, plans_prefix

    return Plans(_store(args, environment, settings), plans_prefix(kind, environment, name))


def plan(args: argparse.Namespace) -> int:
    """init with the stack's backend and plan; the plan waits beside the state; its JSON and
    text (sensitive values redacted) and facts go to OUT."""
    from workflows.steps import redact, request

    settings = request.settings()
    valid = request.load(args.kind, settings)
    stack = workdir.prepare(_module(args), args.work, local_backend=args.backend == "local")
    var_file = workdir.write_var_file(stack, valid.model_dump(mode="json"))
    terraform = Terraform(stack)
    terraform.init(_backend(args, valid, settings))
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    plan_file = stack / PLAN_FILE
    changes = terraform.plan(var_file, plan_file, destroy=valid.action == "destroy")
    as_json, as_text = terraform.show(plan_file)
    document = outputs.load_json(as_json, "terraform show -json")
    summary = outputs.plan_summary(document, changes)
    digest = outputs.sha256_of(plan_file)
    redacted, secrets = redact.plan(document)
    outputs.write(out, "plan.json", json.dumps(redacted, indent=1))
    outputs.write(out, "plan.txt", redact.scrub(as_text, secrets))
    outputs.write(out, "has_changes", "true" if changes else "false")
    outputs.write(out, "summary", summary)
    outputs.write(out, "changes", outputs.plan_changes(document))
    outputs.write(out, "sha256", digest)
    waived = changes and _waived(args, valid, settings)
    outputs.write(out, "waived", "true" if waived else "false")
    if waived:
        print("plan: the reaper's destroy of an expired stack: approval waived by settings")
    if changes:
        where = _plans(args, args.kind, valid.environment, valid.name, settings).put(
            digest, plan_file
        )
        print(f"plan: saved beside the state until applied or cleaned up ({where})")
    print(f"plan: {summary} (has_changes={str(changes).lower()}, sha256={digest})")
    return 0


def policy(args: argparse.Namespace) -> int:
    """checkov and the platform's policies on the plan's JSON; the findings to OUT (shown on the
    approval node) and OUT/policy.json; exits 3 when a finding blocks the run (see
    `workflows.steps.policy`), before anyone is asked to approve."""
    from idp.image import CHECKOV_ENV
    from workflows.steps import policy as rules
    from workflows.steps import request

    settings = request.settings()
    valid = request.load(args.kind, settings)
    module = _module(args)
    if not args.plan_json.is_file():
        raise StepError(f"--plan-json {args.plan_json}: no such file")
    if not module.is_dir():
        raise StepError(f"--module {module}: not a folder")
    if not args.policies.is_dir():
        raise StepError(f"--policies {args.policies}: not a folder of checkov policies")
    checkov = os.environ.get(CHECKOV_ENV) or "checkov"
    report = rules.run_checkov(rules.command(checkov, args.plan_json, module, args.policies))
    unread = rules.parsing_errors(report)
    if unread:
        raise StepError(f"checkov could not read {', '.join(unread)[:500]}")
    target = settings.target(valid.environment)
    findings = rules.judge(
        rules.failed_checks(report),
        target.policy_blocking_severity,
        settings.policy_blocking_checks,
    )
    out: Path = args.out
    outputs.write(out, "findings", rules.shown([f for f in findings if not f.blocking]))
    record = {
        "environment": valid.environment,
        "blocking_severity": target.policy_blocking_severity,
        "blocking_checks": list(settings.policy_blocking_checks),
        "findings": [f.as_dict() for f in findings],
    }
    outputs.write(out, "policy.json", json.dumps(record, indent=1))
    print(f"policy: {rules.shown(findings)}")
    if any(f.blocking for f in findings):
        raise StepError(rules.blocked_message(findings), code=EXIT_POLICY)
    return 0


def _recorded(labels: str) -> Approver:
    """Who answered the approval, as the Argo Server recorded it in the Workflow's labels."""
    from workflows.steps.approver import Approver

    try:
        return Approver.from_labels(labels)
    except ValueError as exc:
        raise StepError(str(exc), code=EXIT_INVALID) from None


def _approver(args: argparse.Namespace, requester_email: str, settings: Settings) -> str:
    """The recorded approver, after the four-eyes rule and the identity setting."""
    approver = _recorded(args.labels)
    if approver.is_requester(requester_email):
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


def _waiver(args: argparse.Namespace, valid: RequestBase, settings: Settings) -> str:
    """No approval was asked: only for the reaper's own destroy of an expired stack where
    settings waive it (see `expiry`), checked here again, not taken from the plan step."""
    from workflows.steps import expiry, registry

    store = _store(args, valid.environment, settings)
    try:
        entry = registry.read(store, args.kind, valid.environment, valid.name)
    except registry.RegistryError as exc:
        raise StepError(f"refusing to apply without approval: {exc}") from None
    if not expiry.waived(entry, valid, settings):
        raise StepError(
            "refusing to apply: no approval, and this is not the reaper's destroy of an expired "
            "stack in an environment that waives it"
        )
    return "nobody (approval waived: the stack expired)"


def _waived(args: argparse.Namespace, valid: RequestBase, settings: Settings) -> bool:
    """Whether the plan of `valid` needs no approval (see `expiry.waived`)."""
    from workflows.steps import expiry, registry

    if valid.action != "destroy":
        return False
    try:
        entry = registry.read(
            _store(args, valid.environment, settings), args.kind, valid.environment, valid.name
        )
    except registry.RegistryError as exc:
        print(f"plan: the registry entry cannot be read ({exc}); the approval is not waived")
        return False
    return expiry.waived(entry, valid, settings)


def _belongs(
    args: argparse.Namespace, plan_file: Path, valid: RequestBase, settings: Settings
) -> None:
    """Refuse a plan made for another request or another stack (its variables and backend)."""
    from workflows.steps import planfile

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
    expected = {
        key: value
        for key, value in (item.split("=", 1) for item in _backend(args, valid, settings))
        if key in _STATE_IDENTITY
    }
    recorded = {k: str(v) for k, v in saved.backend_config.items() if k in _STATE_IDENTITY}
    if saved.backend_type != args.backend or recorded != expected:
        raise StepError(
            "refusing to apply: the plan applies to another state than this stack's "
            f"({saved.backend_type} {recorded.get('key') or recorded.get('path', '?')})"
        )


def _same(saved: Any, wanted: Any) -> bool:
    if isinstance(saved, int | float) and isinstance(wanted, int | float):
        return float(saved) == float(wanted)
    return bool(saved == wanted)


def apply(args: argparse.Namespace) -> int:
    """Apply the approved saved plan: exactly YES from someone other than the requester, the
    approved sha256, a plan of this request and stack; never plans again."""
    from workflows.steps import request
    from workflows.steps.outcome import APPROVED

    if args.approval != APPROVED and not (args.waived == "true" and not args.approval):
        shown = repr(args.approval[:40])
        raise StepError(f"refusing to apply: the approval answer is {shown}, not {APPROVED}")
    expected = args.sha256.strip().lower()
    if not _SHA256.fullmatch(expected):
        raise StepError("--sha256 must be 64 hexadecimal characters", code=EXIT_INVALID)
    settings = request.settings()
    valid = request.load(args.kind, settings)
    if args.approval == APPROVED:
        approver = _approver(args, valid.requester_email, settings)
    else:
        approver = _waiver(args, valid, settings)
    plans = _plans(args, args.kind, valid.environment, valid.name, settings)
    plan_file = args.work.resolve() / "approved" / PLAN_FILE
    plans.get(expected, plan_file)
    actual = outputs.sha256_of(plan_file)
    if not hmac.compare_digest(actual, expected):
        raise StepError(
            f"refusing to apply: plan file sha256 {actual} differs from the approved {expected}"
        )
    _belongs(args, plan_file, valid, settings)
    stack = workdir.prepare(_module(args), args.work, local_backend=args.backend == "local")
    locked = workdir.restore_lock_file(plan_file, stack)
    terraform = Terraform(stack)
    # The backend is the one recorded in the plan: init only installs the locked providers.
    terraform.init(None, lockfile_readonly=locked)
    workdir.check_configuration(plan_file, stack)
    terraform.apply(plan_file)
    plans.delete(expected)
    print(f"applied plan {actual}, approved by {approver}")
    return 0


def _terraform_outputs(args: argparse.Namespace) -> tuple[RequestBase, str, dict[str, Any]]:
    from workflows.steps import request

    settings = request.settings()
    valid = request.load(args.kind, settings)
    stack = workdir.prepare(_module(args), args.work, local_backend=args.backend == "local")
    terraform = Terraform(stack)
    terraform.init(_backend(args, valid, settings))
    text = terraform.output()
    data = outputs.load_json(text, "terraform output -json")
    if not isinstance(data, dict):
        raise StepError("terraform output -json: not a JSON object")
    return valid, text, data


def report(args: argparse.Namespace) -> int:
    """The outputs to OUT/outputs.json (artifact; sensitive values redacted: the module keeps
    them where access is controlled), the non-sensitive ones to OUT/outputs, and OUT/report.json:
    who asked, who approved, what the stack now offers."""
    from workflows.steps import redact, request

    valid, _, data = _terraform_outputs(args)
    public = outputs.public_outputs(data)
    outputs.write(args.out, "outputs.json", json.dumps(redact.outputs(data, set()), indent=1))
    outputs.write(args.out, "outputs", json.dumps(public, sort_keys=True, separators=(",", ":")))
    approver = _recorded(args.labels)
    record = {
        "request_id": valid.request_id,
        "kind": args.kind,
        "environment": valid.environment,
        "name": valid.name,
        "action": valid.action,
        "requester": valid.requester_email,
        "approver": approver.shown(),
        "outputs": public,
        "sensitive_outputs": sorted(name for name in data if name not in public),
    }
    outputs.write(args.out, "report.json", json.dumps(record, indent=1, sort_keys=True))
    hidden = len(data) - len(public)
    print(f"report: {len(public)} outputs published, {hidden} sensitive ones redacted")
    if valid.action == "provision":
        _register(args, valid, approver.shown(), request.settings())
    return 0


def _register(
    args: argparse.Namespace, valid: RequestBase, approver: str, settings: Settings
) -> None:
    """Record the stack in the registry, beside its state (see `registry`)."""
    from datetime import UTC, datetime

    from idp import __version__
    from workflows.steps import registry

    entry = registry.new_entry(
        valid.model_dump(mode="json"), args.kind, approver, __version__, datetime.now(UTC)
    )
    where = registry.record(_store(args, valid.environment, settings), entry)
    expiry = f", expires {entry.expires_at}" if entry.expires_at else ""
    print(f"report: registered the stack ({where}{expiry})")


def verify(args: argparse.Namespace) -> int:
    """Every ARM id Terraform reports is tagged with the request id; after a destroy, nothing
    tagged with the stack remains."""
    from workflows.steps import azure, request

    settings = request.settings()
    valid = request.load(args.kind, settings)
    subscription = azure.subscription_id()
    if valid.action == "destroy":
        value = workdir.stack_tag(args.kind, valid.environment, valid.name)
        with azure.connect(subscription, *_azure(settings)) as client:
            azure.verify_gone(client, workdir.STACK_TAG, value)
        gone = f"nothing tagged {workdir.STACK_TAG}={value} remains"
        cleaned = _forget(args, valid, settings)
        outputs.write(args.out, "verified", f"{gone}; {cleaned}")
        print(f"verify ok: {gone}; {cleaned}")
        return 0
    expected = outputs.resource_ids(_terraform_outputs(args)[2])
    if not expected:
        print("verify: the module reports no *_id outputs with ARM ids")
    with azure.connect(subscription, *_azure(settings)) as client:
        found = azure.verify(client, valid.request_id, expected)
    verified = f"{len(expected)} ids found ({found} tagged)"
    outputs.write(args.out, "verified", verified)
    print(f"verify ok: {verified}")
    return 0


def _forget(args: argparse.Namespace, valid: RequestBase, settings: Settings) -> str:
    """After a verified destroy: remove the registry entry and the state, which holds no
    resource any more (checked: a state that still holds one is kept, and that fails)."""
    from workflows.steps import registry

    store = _store(args, valid.environment, settings)
    key = workdir.state_key(args.kind, valid.environment, valid.name)
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
    removed = registry.remove(store, args.kind, valid.environment, valid.name)
    entry = "the registry entry" if removed else "no registry entry (none was recorded)"
    return f"removed {entry} and {'the state' if state is not None else 'no state'}"


def _outputs_argument(text: str | None) -> dict[str, Any]:
    from workflows.steps.outcome import absent

    if absent(text):
        return {}
    try:
        value = json.loads(text or "")
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        print("notify: the outputs are not a JSON object; sending no outputs")
        return {}
    return value


def _identity(args: argparse.Namespace) -> tuple[str, str]:
    """The request id and the requester's address from the Workflow's own parameters, each
    only if it has the contract's form (a bad request still gets its notice, to nobody)."""
    from idp.contract import EMAIL_PATTERN, REQUEST_ID_PATTERN
    from workflows.steps.outcome import absent

    request_id = "" if absent(args.request_id) else args.request_id
    email = "" if absent(args.requester_email) else args.requester_email
    return (
        request_id if re.fullmatch(REQUEST_ID_PATTERN, request_id) else "",
        email if len(email) <= 256 and re.fullmatch(EMAIL_PATTERN, email) else "",
    )


@dataclass
class _Delivery:
    """Where a notice went, and what failed."""

    sent: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.problems:
            return "failed: " + "; ".join(self.problems)
        if self.sent:
            return "delivered: " + ", ".join(self.sent)
        return "not sent: no callback_url and no SMTP host in settings"


def _callback(url: str, notice: Notice, delivery: _Delivery) -> None:
    from workflows.steps import notify as notifier

    if not url:
        print("notify: no callback_url in settings; callback skipped")
        return
    try:
        code = notifier.post(url, notice.payload(), token=os.environ.get(CALLBACK_TOKEN_ENV, ""))
    except StepError as exc:
        delivery.problems += exc.lines
        return
    print(f"notify: {notice.phase} sent to {notifier.shown_url(url)} (HTTP {code})")
    delivery.sent.append("callback")


def _email(notice: Notice, recipients: list[str], delivery: _Delivery) -> None:
    from workflows.steps import notify as notifier

    try:
        smtp = notifier.Smtp.from_env(os.environ)
    except StepError as exc:
        delivery.problems += exc.lines
        return
    if smtp is None or not recipients:
        why = "IDP_SMTP_HOST not set" if smtp is None else "no recipient"
        print(f"notify: {why}; e-mail skipped")
        return
    try:
        notifier.send_email(smtp, notifier.email(notice, smtp.sender, recipients))
    except StepError as exc:
        delivery.problems += exc.lines
        return
    print(f"notify: e-mail sent to {len(recipients)} recipients")
    delivery.sent.append("e-mail")


def _notice(args: argparse.Namespace, phase: str, **values: Any) -> tuple[Notice, str, Settings]:
    from workflows.steps import notify as notifier
    from workflows.steps import request

    settings = request.settings()
    request_id, email = _identity(args)
    notice = notifier.Notice(
        request_id=request_id,
        kind=args.kind,
        phase=phase,
        workflow="" if args.workflow.startswith("{{") else args.workflow,
        workflow_url=notifier.workflow_url(
            settings.argo_ui_url, args.namespace or settings.namespace, args.workflow
        ),
        **values,
    )
    print(json.dumps(notice.payload(), sort_keys=True))
    return notice, email, settings


def _deliver(notice: Notice, settings: Settings, recipients: list[str]) -> _Delivery:
    delivery = _Delivery()
    _callback(settings.callback_url, notice, delivery)
    _email(notice, recipients, delivery)
    return delivery


def notify(args: argparse.Namespace) -> int:
    """Tell the approvers that a plan waits for them; fails when the notice was not delivered
    (the task continues on failure, so the run goes on)."""
    from workflows.steps.outcome import absent

    summary = "" if absent(args.summary) else " ".join(args.summary.split())
    notice, _, settings = _notice(args, args.phase, summary=summary)
    approvers = [a.strip() for a in os.environ.get(APPROVERS_ENV, "").split(",") if a.strip()]
    delivery = _deliver(notice, settings, approvers)
    if delivery.problems:
        raise StepError("notice not delivered: " + "; ".join(delivery.problems))
    return 0


def _clean_up_plan(args: argparse.Namespace, settings: Settings) -> None:
    """Delete the run's saved plan if it is still there (not applied: rejected, expired,
    failed): a plan is kept only as long as its approval needs it."""
    from workflows.steps.outcome import absent

    sha256 = "" if absent(args.plan_sha256) else args.plan_sha256
    stack = (args.environment, args.name)
    if not _SHA256.fullmatch(sha256) or any(absent(part) for part in stack):
        return
    if (
        not re.fullmatch(r"[a-z][a-z0-9-]{1,22}[a-z0-9]", args.name)
        or not args.environment.isalpha()
    ):
        return
    if _plans(args, args.kind, args.environment, args.name, settings).delete(sha256):
        print(f"finish: deleted the saved plan {sha256}, which was not applied")


def finish(args: argparse.Namespace) -> int:
    """The exit handler: decide the outcome, send the one final notice, record both.

    Writes OUT/outcome, OUT/reason and OUT/delivery. Exits 0 when the request was done or had
    nothing to do, whether or not the notice got through (a delivery failure never changes the
    outcome; it is in OUT/delivery and the log); otherwise exits 1 with the outcome as the
    reason, which Argo shows as the Workflow's message.
    """
    from workflows.steps.outcome import absent, decide

    outcome = decide(
        status=args.status,
        failures=args.failures,
        has_changes=args.has_changes,
        approval=args.approval,
        approval_timeout=args.approval_timeout,
        action="" if absent(args.action) else args.action,
        summary=args.summary,
        waived=args.waived,
        verified=args.verified,
    )
    out: Path = args.out
    outputs.write(out, "outcome", outcome.name)
    outputs.write(out, "reason", outcome.reason)
    outputs.write(out, "delivery", "not attempted")
    summary = "" if absent(args.summary) else " ".join(args.summary.split())
    published = _outputs_argument(args.outputs) if outcome.name == "succeeded" else {}
    approver = _recorded(args.labels)
    answered = approver.shown() if not absent(args.approval) else ""
    try:
        notice, email, settings = _notice(
            args,
            outcome.name,
            reason=outcome.reason,
            summary=summary,
            outputs=published,
            approver=answered,
        )
        delivery = _deliver(notice, settings, [email] if email else [])
        _clean_up_plan(args, settings)
    except StepError as exc:
        delivery = _Delivery(problems=exc.lines)
    outputs.write(out, "delivery", delivery.describe())
    print(f"finish: {outcome.name}: {outcome.reason}")
    print(f"finish: notice {delivery.describe()}")
    if not outcome.fulfilled:
        raise StepError(f"{outcome.name}: {outcome.reason}")
    return 0
