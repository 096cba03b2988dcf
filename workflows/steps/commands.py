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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflows.steps import outputs, workdir
from workflows.steps.errors import EXIT_INVALID, StepError
from workflows.steps.terraform import Terraform

if TYPE_CHECKING:
    from idp.contract import RequestBase
    from idp.settings import Settings
    from workflows.steps.notify import Status

MODULES_ROOT = Path("/opt/idp/terraform")
PLAN_FILE = "plan.tfplan"
CALLBACK_TOKEN_ENV = "IDP_CALLBACK_TOKEN"  # noqa: S105 - the variable name, not a token
APPROVERS_ENV = "IDP_APPROVERS"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _module(args: argparse.Namespace) -> Path:
    module: Path | None = args.module
    return (module or MODULES_ROOT / args.kind).resolve()


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

    valid = request.load(args.kind, request.settings())
    subscription = azure.subscription_id()
    providers = azure.REQUIRED_PROVIDERS.get((args.kind, valid.resource_type))
    if providers is None:
        print(f"no resource providers known for {args.kind}/{valid.resource_type}; region only")
    with azure.connect(subscription) as client:
        checked = azure.preflight(client, subscription, valid.region, providers or ())
    print(f"preflight ok: {valid.region} in {subscription}; registered: {', '.join(checked)}")
    return 0


def plan(args: argparse.Namespace) -> int:
    """init with the stack's backend, plan to OUT/plan.tfplan, and describe the plan in OUT."""
    from workflows.steps import request

    settings = request.settings()
    valid = request.load(args.kind, settings)
    stack = workdir.prepare(_module(args), args.work)
    var_file = workdir.write_var_file(stack, valid.model_dump(mode="json"))
    terraform = Terraform(stack)
    terraform.init(_backend(args, valid, settings))
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    plan_file = out / PLAN_FILE
    changes = terraform.plan(var_file, plan_file, destroy=valid.action == "destroy")
    as_json, as_text = terraform.show(plan_file)
    summary = outputs.plan_summary(outputs.load_json(as_json, "terraform show -json"), changes)
    digest = outputs.sha256_of(plan_file)
    outputs.write(out, "plan.json", as_json)
    outputs.write(out, "plan.txt", as_text)
    outputs.write(out, "has_changes", "true" if changes else "false")
    outputs.write(out, "summary", summary)
    outputs.write(out, "sha256", digest)
    print(f"plan: {summary} (has_changes={str(changes).lower()}, sha256={digest})")
    return 0


def apply(args: argparse.Namespace) -> int:
    """Apply the approved saved plan, after checking its sha256; never plans again."""
    expected = args.sha256.strip().lower()
    if not _SHA256.fullmatch(expected):
        raise StepError("--sha256 must be 64 hexadecimal characters", code=EXIT_INVALID)
    plan_file: Path = args.plan.resolve()
    actual = outputs.sha256_of(plan_file)
    if not hmac.compare_digest(actual, expected):
        raise StepError(
            f"refusing to apply: plan file sha256 {actual} differs from the approved {expected}"
        )
    stack = workdir.prepare(_module(args), args.work)
    locked = workdir.restore_lock_file(plan_file, stack)
    terraform = Terraform(stack)
    # The backend is the one recorded in the plan: init only installs the locked providers.
    terraform.init(None, lockfile_readonly=locked)
    workdir.check_configuration(plan_file, stack)
    terraform.apply(plan_file)
    print(f"applied plan {actual}")
    return 0


def _terraform_outputs(args: argparse.Namespace) -> tuple[RequestBase, str, dict[str, Any]]:
    from workflows.steps import request

    settings = request.settings()
    valid = request.load(args.kind, settings)
    stack = workdir.prepare(_module(args), args.work)
    terraform = Terraform(stack)
    terraform.init(_backend(args, valid, settings))
    text = terraform.output()
    data = outputs.load_json(text, "terraform output -json")
    if not isinstance(data, dict):
        raise StepError("terraform output -json: not a JSON object")
    return valid, text, data


def report(args: argparse.Namespace) -> int:
    """All outputs to OUT/outputs.json (artifact), the non-sensitive ones to OUT/outputs."""
    _, text, data = _terraform_outputs(args)
    public = outputs.public_outputs(data)
    outputs.write(args.out, "outputs.json", text)
    outputs.write(args.out, "outputs", json.dumps(public, sort_keys=True, separators=(",", ":")))
    hidden = len(data) - len(public)
    print(f"report: {len(public)} outputs published, {hidden} sensitive kept in outputs.json")
    return 0


def verify(args: argparse.Namespace) -> int:
    """Every ARM id Terraform reports is tagged with the request id (none left after destroy)."""
    from workflows.steps import azure, request

    settings = request.settings()
    valid = request.load(args.kind, settings)
    destroyed = valid.action == "destroy"
    expected: set[str] = set()
    if not destroyed:
        expected = outputs.resource_ids(_terraform_outputs(args)[2])
        if not expected:
            print("verify: the module reports no *_id outputs with ARM ids")
    subscription = azure.subscription_id()
    with azure.connect(subscription) as client:
        found = azure.verify(client, valid.request_id, expected, destroyed=destroyed)
    what = "nothing tagged remains" if destroyed else f"{len(expected)} ids found ({found} tagged)"
    print(f"verify ok: {what}")
    return 0


def _outputs_argument(text: str | None) -> dict[str, Any]:
    text = (text or "").strip()
    if not text or "{{" in text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        print("notify: --outputs is not a JSON object; sending no outputs")
        return {}
    return value


def _callback(url: str, status: Status) -> list[str]:
    from workflows.steps import notify as notifier

    if not url:
        print("notify: no callback_url in settings; callback skipped")
        return []
    try:
        code = notifier.post(url, status.payload(), token=os.environ.get(CALLBACK_TOKEN_ENV, ""))
    except StepError as exc:
        return exc.lines
    print(f"notify: {status.phase} sent to {notifier.shown_url(url)} (HTTP {code})")
    return []


def _email(status: Status, requester: str) -> list[str]:
    from workflows.steps import notify as notifier

    smtp = notifier.Smtp.from_env(os.environ)
    if status.phase == "awaiting-approval":
        recipients = [a.strip() for a in os.environ.get(APPROVERS_ENV, "").split(",") if a.strip()]
    else:
        recipients = [requester] if requester else []
    if smtp is None or not recipients:
        why = "IDP_SMTP_HOST not set" if smtp is None else "no recipient"
        print(f"notify: {why}; e-mail skipped")
        return []
    try:
        notifier.send_email(smtp, notifier.email(status, smtp.sender, recipients))
    except StepError as exc:
        return exc.lines
    print(f"notify: e-mail sent to {len(recipients)} recipients")
    return []


def notify(args: argparse.Namespace) -> int:
    """Decide the phase, POST it to the callback URL, e-mail it when SMTP is configured."""
    from workflows.steps import notify as notifier
    from workflows.steps import request

    phase = notifier.decide_phase(
        args.phase,
        args.status,
        args.has_changes,
        args.approval,
        expired=notifier.approval_expired(
            args.waited_from, args.waited_until, args.approval_timeout
        ),
    )
    if phase not in notifier.PHASES:
        raise StepError(f"--phase must be one of {', '.join(notifier.PHASES)}", code=EXIT_INVALID)
    settings = request.settings()
    valid, fields = request.lenient(args.kind, settings)
    summary = "" if "{{" in args.summary else " ".join(args.summary.split())
    if phase == "failed" and not summary:
        summary = notifier.failure_summary(args.failures)
    status = notifier.Status(
        request_id=fields["request_id"],
        kind=args.kind,
        phase=phase,
        summary=summary,
        outputs=_outputs_argument(args.outputs),
        workflow_url=notifier.workflow_url(
            settings.argo_ui_url, args.namespace or settings.namespace, args.workflow
        ),
    )
    print(json.dumps(status.payload(), sort_keys=True))
    if args.out is not None:
        outputs.write(args.out, "phase", phase)
    problems = _callback(settings.callback_url, status)
    problems += _email(status, valid.requester_email if valid is not None else "")
    if problems:
        raise StepError("; ".join(problems))
    return 0
