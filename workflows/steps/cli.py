"""Argument parsing and error reporting of `python -m workflows.steps`; the work is in commands.

Every failure is one line on stderr (one per bad field for a bad request) and a non-zero exit
code, never a traceback: 1 a failed step, 2 a bad request or bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from workflows.steps import commands
from workflows.steps.credentials import azure_environment
from workflows.steps.errors import EXIT_FAILURE, StepError

Handler = Callable[[argparse.Namespace], int]


def _parents() -> dict[str, argparse.ArgumentParser]:
    kind = argparse.ArgumentParser(add_help=False)
    kind.add_argument("--kind", required=True, help="resource kind: compute, storage, database")
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--out", type=Path, required=True, help="folder for the output files")
    stack = argparse.ArgumentParser(add_help=False)
    stack.add_argument(
        "--module",
        type=Path,
        help=f"Terraform root module (default: {commands.MODULES_ROOT}/KIND)",
    )
    stack.add_argument(
        "--work", type=Path, required=True, help="writable folder; the module is copied there"
    )
    backend = argparse.ArgumentParser(add_help=False)
    backend.add_argument(
        "--backend",
        choices=("azurerm", "local"),
        default="azurerm",
        help="state backend: azurerm from settings (default), or local for tests",
    )
    backend.add_argument(
        "--state-dir", type=Path, help="local backend: state folder (default: WORK/state)"
    )
    return {"kind": kind, "out": out, "stack": stack, "backend": backend}


def build_parser() -> argparse.ArgumentParser:
    """The parser of every sub-command; see the package docstring for the contract."""
    parser = argparse.ArgumentParser(
        prog="python -m workflows.steps",
        description="The step programs of the provisioning WorkflowTemplates.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    shared = _parents()

    def add(name: str, handler: Handler, help_text: str, *parents: str) -> argparse.ArgumentParser:
        command = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[shared[p] for p in ("kind", *parents)],
        )
        command.set_defaults(handler=handler)
        return command

    add("validate", commands.validate, "check IDP_REQUEST against the kind's contract")
    add("preflight", commands.preflight, "check the region and resource providers in Azure")
    add(
        "plan",
        commands.plan,
        "terraform init + plan; plan files and facts to OUT",
        "stack",
        "backend",
        "out",
    )
    apply = add("apply", commands.apply, "apply the approved saved plan", "stack")
    apply.add_argument("--plan", type=Path, required=True, help="the saved plan file")
    apply.add_argument("--sha256", required=True, help="the approved plan's sha256 (hex)")
    verify = add(
        "verify", commands.verify, "check that Azure has what Terraform reports", "stack", "backend"
    )
    for command in (apply, verify):
        command.add_argument("--out", type=Path, help="accepted for a uniform call; unused")
    add(
        "report",
        commands.report,
        "terraform outputs to OUT/outputs.json and OUT/outputs",
        "stack",
        "backend",
        "out",
    )
    notify = add("notify", commands.notify, "report the run's phase to the callback and e-mail")
    for flag, help_text in (
        ("--phase", "the phase to report; decided from the values below when absent"),
        ("--status", "{{workflow.status}}: Failed or Error makes the phase failed"),
        ("--has-changes", "the plan's has_changes (true/false)"),
        ("--approval", "the approval's answer, YES or NO"),
        ("--waited-from", "when the approval started (RFC 3339), to tell expired from rejected"),
        ("--waited-until", "when the approval ended (RFC 3339)"),
        ("--approval-timeout", "the approval's suspend duration, e.g. 24h"),
        ("--summary", "the plan's one-line summary"),
        ("--outputs", "the non-sensitive outputs, a JSON object"),
        ("--failures", "{{workflow.failures}}: the summary of a failure without one"),
        ("--workflow", "{{workflow.name}}, for the link to the Argo UI"),
        ("--namespace", "the workflow's namespace (default: settings.namespace)"),
    ):
        notify.add_argument(flag, default="", help=help_text)
    notify.add_argument("--out", type=Path, help="also write the phase to OUT/phase")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step; the exit code to return."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        os.environ.update(azure_environment(os.environ))
        return handler(args)
    except StepError as exc:
        for line in exc.lines:
            print(f"{args.command}: {line}", file=sys.stderr)
        return exc.code
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"{args.command}: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
