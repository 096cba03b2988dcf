"""Policy on the plan: checkov's checks and the platform's own, a verdict, and what to show.

checkov reads the plan's JSON (`--framework terraform_plan`). `--repo-root-for-plan-enrichment`
points it at the kind's module, so the module's inline skips (`#checkov:skip=ID:reason`) hold
for its plan as they do for its code, and `--external-checks-dir` adds the platform's policies:
checkov YAML custom policies in the repository's `policies/` folder (`/opt/idp/policies` in the
image), which may judge by environment through the `environment` tag every resource carries.

checkov is run as a program (IDP_CHECKOV, else `checkov` on PATH), never imported: its pinned
dependencies conflict with ours, so it lives in an environment of its own (in the image, and in
`.tools/checkov` of a checkout). It is told to stay offline (`--skip-download`) and to report in
JSON with a zero exit status whatever it finds (`--soft-fail`), so a non-zero status means it
could not check, which fails the step as an error rather than as a verdict.

A finding blocks the run when its check is listed in `policy_blocking_checks`, or its severity is
at or above the environment's `policy_blocking_severity`. checkov's own checks have a severity
only when it is connected to its commercial platform, so offline they carry none and block only
when listed; the platform's policies declare theirs.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp.image import CHECKOV_ENV
from idp.settings import SEVERITIES
from workflows.steps.errors import StepError
from workflows.steps.outcome import POLICY_BLOCKED

FRAMEWORK = "terraform_plan"
TIMEOUT_SECONDS = 900
MAX_REPORT_BYTES = 64 * 1024 * 1024
SHOWN = 10  # findings named on the approval node and in a notice; the rest are counted


@dataclass(frozen=True)
class Finding:
    """One failed check on one resource."""

    check_id: str
    name: str
    severity: str  # one of SEVERITIES, or "" when the check has none
    resource: str
    blocking: bool = False

    def line(self) -> str:
        rated = f" ({self.severity})" if self.severity else ""
        return f"{self.check_id}{rated} {self.name}: {self.resource}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "name": self.name,
            "severity": self.severity or None,
            "resource": self.resource,
            "blocking": self.blocking,
        }


def command(checkov: str, plan_json: Path, module: Path, policies: Path | None) -> list[str]:
    """The checkov call for one plan."""
    found = [checkov, "--framework", FRAMEWORK, "--file", str(plan_json)]
    found += ["--repo-root-for-plan-enrichment", str(module)]
    if policies is not None:
        found += ["--external-checks-dir", str(policies)]
    return [*found, "--output", "json", "--compact", "--quiet", "--skip-download", "--soft-fail"]


def run_checkov(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Any:
    """checkov's JSON report; StepError when it cannot be run or cannot check."""
    environment = dict(os.environ if env is None else env)
    environment.setdefault("LOG_LEVEL", "WARNING")
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            env=environment,
            check=False,
        )
    except FileNotFoundError:
        raise StepError(
            f"checkov: program {argv[0]!r} not found (set {CHECKOV_ENV}, or put checkov on PATH)"
        ) from None
    except subprocess.TimeoutExpired:
        raise StepError(f"checkov: no report within {TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        tail = " ".join(done.stderr.split())[-500:]
        raise StepError(f"checkov: exit status {done.returncode}: {tail or 'no message'}")
    if len(done.stdout) > MAX_REPORT_BYTES:
        raise StepError(f"checkov: a report of {len(done.stdout)} bytes is over the bound")
    try:
        return json.loads(done.stdout or "{}")
    except ValueError as exc:
        raise StepError(f"checkov: the report is not JSON ({exc})") from None


def _reports(document: Any) -> list[Mapping[str, Any]]:
    items = document if isinstance(document, list) else [document]
    return [item for item in items if isinstance(item, Mapping)]


def failed_checks(document: Any) -> list[Finding]:
    """Every failed check of the report, in a stable order."""
    found = []
    for report in _reports(document):
        results = report.get("results")
        if not isinstance(results, Mapping):
            continue
        for item in results.get("failed_checks") or []:
            if not isinstance(item, Mapping):
                continue
            severity = str(item.get("severity") or "").upper()
            found.append(
                Finding(
                    check_id=str(item.get("check_id") or "?"),
                    name=" ".join(str(item.get("check_name") or "").split()),
                    severity=severity if severity in SEVERITIES else "",
                    resource=str(item.get("resource") or "?"),
                )
            )
    return sorted(set(found), key=lambda f: (f.check_id, f.resource))


def parsing_errors(document: Any) -> list[str]:
    """Files checkov could not read (a plan it cannot read is not a plan that passed)."""
    errors: list[str] = []
    for report in _reports(document):
        results = report.get("results")
        if isinstance(results, Mapping):
            errors += [str(e) for e in results.get("parsing_errors") or []]
    return errors


def judge(findings: Iterable[Finding], severity: str, checks: Iterable[str]) -> list[Finding]:
    """The findings, each marked blocking or not by the rule in the module docstring."""
    listed = set(checks)
    floor = SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)
    return [
        Finding(
            f.check_id,
            f.name,
            f.severity,
            f.resource,
            blocking=f.check_id in listed
            or (f.severity in SEVERITIES and SEVERITIES.index(f.severity) >= floor),
        )
        for f in findings
    ]


def shown(findings: Sequence[Finding], limit: int = SHOWN) -> str:
    """The findings as lines for a person, blocking ones first, at most `limit` named."""
    if not findings:
        return "no findings"
    ordered = sorted(findings, key=lambda f: not f.blocking)
    blocking = sum(f.blocking for f in findings)
    head = (
        f"{len(findings)} findings, {blocking} blocking"
        if blocking
        else (f"{len(findings)} findings, none blocking")
    )
    lines = [head, *(f.line() for f in ordered[:limit])]
    if len(ordered) > limit:
        lines.append(f"... and {len(ordered) - limit} more (the policy-report artifact)")
    return "\n".join(lines)


def blocked_message(findings: Sequence[Finding], limit: int = SHOWN) -> str:
    """The step's failure: what blocked the run, on one line."""
    blocking = [f for f in findings if f.blocking]
    named = "; ".join(f.line() for f in blocking[:limit])
    more = f"; and {len(blocking) - limit} more" if len(blocking) > limit else ""
    return f"{POLICY_BLOCKED}: {named}{more}"
