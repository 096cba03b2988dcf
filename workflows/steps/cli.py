"""Argument parsing and error reporting of `python -m workflows.steps`; the work is in commands.

Every failure is one line on stderr (one per bad field for a bad request) and a non-zero exit
code, never a traceback: 1 a failed step, 2 a bad request or bad arguments. Arguments are
checked before anything is read or done: argparse's errors are one line too (no usage block),
with every character a terminal would act on escaped; `--kind` must have a kind's form (it
names files and templates), and the day-two steps' `--environment`, `--name` and `--now` must
be an environment, a stack name of the contract and an RFC 3339 time.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from idp.image import LOCAL_STATE_ENV, MODULES_ROOT, POLICIES_ROOT
from idp.text import one_line, printable
from workflows.steps.credentials import azure_environment
from workflows.steps.errors import EXIT_FAILURE, EXIT_INVALID, StepError, write_termination_message
from workflows.steps.outcome import FACT_FLAGS
from workflows.steps.terraform import EXIT_INTERRUPTED

LABELS_HELP = "{{workflow.labels.json}}: the workflow's labels, where the approver is recorded"

PROG = "python -m workflows.steps"
# A kind names files (`KIND/ENV/NAME.tfstate`) and objects (`KIND-drift`): a DNS label that
# starts with a letter, as every kind of a catalog does.
KIND_FORM = re.compile(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?")
SHOWN = 60  # characters of a bad value shown in its error
ERROR_SHOWN = 500  # characters of an argument error shown

Handler = Callable[[argparse.Namespace], int]


def shown_value(value: str) -> str:
    """A bad argument's value, cut and quoted, for its error."""
    return repr(value[:SHOWN]) + ("..." if len(value) > SHOWN else "")


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line naming the command (as every other failure of a step),
    also left as the termination message, and exit code 2."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix(PROG).strip() or PROG
        line = one_line(message, ERROR_SHOWN)
        print(f"{command}: {line}", file=sys.stderr)
        write_termination_message(line)
        sys.exit(EXIT_INVALID)


def kind_argument(value: str) -> str:
    """`--kind`: the form of a kind; which kinds exist is the catalog's to say."""
    if not KIND_FORM.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{shown_value(value)} is not a kind: lowercase letters, digits and '-', from a letter"
        )
    return value


def _parents() -> dict[str, _Parser]:
    kind = _Parser(add_help=False)
    kind.add_argument(
        "--kind",
        required=True,
        type=kind_argument,
        help="resource kind: compute, storage, database",
    )
    out = _Parser(add_help=False)
    out.add_argument("--out", type=Path, required=True, help="folder for the output files")
    stack = _Parser(add_help=False)
    stack.add_argument(
        "--module",
        type=Path,
        help=f"Terraform root module (default: {MODULES_ROOT}/KIND)",
    )
    stack.add_argument(
        "--work", type=Path, required=True, help="writable folder; the module is copied there"
    )
    backend = _Parser(add_help=False)
    local_state = os.environ.get(LOCAL_STATE_ENV)
    backend.add_argument(
        "--backend",
        choices=("azurerm", "local"),
        default="local" if local_state else "azurerm",
        help=f"state backend: azurerm from settings (default), or local (default when "
        f"{LOCAL_STATE_ENV} is set, as `idp local` does)",
    )
    backend.add_argument(
        "--state-dir",
        type=Path,
        default=Path(local_state) if local_state else None,
        help=f"local backend: state folder (default: {LOCAL_STATE_ENV}, else WORK/state)",
    )
    return {"kind": kind, "out": out, "stack": stack, "backend": backend}


def _command(module: str) -> Handler:
    """The `run` of `workflows.steps.commands.<module>`, imported when the command runs: each
    step pays only for what its own command imports."""

    def run(args: argparse.Namespace) -> int:
        handler: Handler = importlib.import_module(f"workflows.steps.commands.{module}").run
        return handler(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    """The parser of every sub-command; see the package docstring for the contract."""
    parser = _Parser(
        prog=PROG,
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

    plan = add(
        "plan",
        _command("plan"),
        "validate, preflight, plan, policy: the plan and its facts to OUT",
        "stack",
        "backend",
        "out",
    )
    plan.add_argument(
        "--policies",
        type=Path,
        default=Path(str(POLICIES_ROOT)),
        help=f"folder of the platform's checkov custom policies (default: {POLICIES_ROOT})",
    )
    apply = add(
        "apply",
        _command("apply"),
        "decide, apply the approved saved plan, verify, report: outputs to OUT",
        "stack",
        "backend",
        "out",
    )
    apply.add_argument(
        "--sha256", required=True, help="the approved plan's sha256 (hex): which plan to apply"
    )
    apply.add_argument(
        "--approval",
        default="",
        help="{{workflow.outputs.parameters.approval}}: only exactly YES applies; unresolved "
        "(nobody was asked) only for a waived destroy, which apply checks itself",
    )
    apply.add_argument(
        "--next",
        required=True,
        help="{{tasks.plan.outputs.parameters.next}}: approve (a person was asked) or apply "
        "(the approval is waived)",
    )
    apply.add_argument("--labels", default="", help=LABELS_HELP)
    notify = add("notify", _command("notify"), "tell the approvers that a plan waits for them")
    notify.add_argument("--phase", choices=("awaiting-approval",), default="awaiting-approval")
    notify.add_argument("--summary", default="", help="the plan's one-line summary")
    notify.add_argument("--cost", default="", help="the plan's cost estimate, one line")
    finish = add(
        "finish",
        _command("finish"),
        "the exit handler: decide the outcome and send the final notice",
        "backend",
    )
    for name, help_text in FACT_FLAGS.items():
        finish.add_argument("--" + name.replace("_", "-"), default="", help=help_text)
    finish.add_argument("--work", type=Path, default=Path("."), help="a writable folder")
    finish.add_argument(
        "--out", type=Path, required=True, help="folder for outcome, reason, delivery"
    )
    _day_two(add)
    for command in (notify, finish):
        for flag, help_text in (
            ("--workflow", "{{workflow.name}}, for the link to the Argo UI"),
            ("--namespace", "{{workflow.namespace}} (default: settings.namespace)"),
            ("--request-id", "{{workflow.parameters.request_id}}: the notice is about this id"),
            ("--requester-email", "{{workflow.parameters.requester_email}}: who gets the e-mail"),
        ):
            command.add_argument(flag, default="", help=help_text)
    return parser


def _day_two_command(name: str) -> Handler:
    """A command of `workflows.steps.daytwo`, imported when it runs (the registry and the blob
    store it needs are not on the other steps' start)."""

    def run(args: argparse.Namespace) -> int:
        handler: Handler = getattr(importlib.import_module("workflows.steps.daytwo"), name)
        return handler(args)

    return run


def _day_two_argument(name: str) -> Callable[[str], object]:
    """An argparse `type` of `workflows.steps.daytwo`, imported when the argument is parsed (the
    checks read the contract and the settings, which only the day-two commands load)."""

    def check(value: str) -> object:
        checker: Callable[[str], object] = getattr(
            importlib.import_module("workflows.steps.daytwo"), name
        )
        return checker(value)

    return check


def _day_two(add: Callable[..., argparse.ArgumentParser]) -> None:
    """The commands of the drift and expiry CronWorkflows."""
    stacks = add(
        "stacks",
        _day_two_command("stacks"),
        "list the kind's registered stacks to OUT/stacks",
        "backend",
        "out",
    )
    drift = add(
        "drift",
        _day_two_command("drift"),
        "plan one registered stack from its recorded request: in sync, drifted or failed",
        "stack",
        "backend",
        "out",
    )
    drift.add_argument(
        "--environment",
        required=True,
        type=_day_two_argument("environment_argument"),
        help="the stack's environment",
    )
    drift.add_argument(
        "--name", required=True, type=_day_two_argument("name_argument"), help="the stack's name"
    )
    expire = add(
        "expire",
        _day_two_command("expire"),
        "warn before a stack expires; start the destroy of each that has",
        "backend",
        "out",
    )
    expire.add_argument(
        "--now",
        required=True,
        type=_day_two_argument("time_argument"),
        help="{{workflow.scheduledTime}} (RFC 3339): the time the reaper judges by",
    )
    for command in (stacks, expire):
        command.add_argument("--work", type=Path, default=Path("."), help="a writable folder")


def _fail(command: str, lines: list[str], code: int) -> int:
    for line in lines:  # a value from a request or a server: escaped (`idp.text`)
        print(printable(f"{command}: {line}"), file=sys.stderr)
    write_termination_message("\n".join(lines))
    return code


def _interrupt_on_sigterm() -> Any:
    """SIGTERM (Kubernetes stopping the pod, `idp local` interrupted) is handled like SIGINT:
    the program stops what it runs, waits for Terraform to stop cleanly, and says so. Returns
    the handler it replaced, which `main` puts back when it returns."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, interrupt)
    return signal.SIG_DFL if previous is None else previous  # None: not set from Python


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step; the exit code to return."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    previous = _interrupt_on_sigterm()
    try:
        os.environ.update(azure_environment(os.environ))
        return handler(args)
    except StepError as exc:
        return _fail(args.command, exc.lines, exc.code)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        return _fail(args.command, [f"{exc.strerror or exc}{where}"], EXIT_FAILURE)
    except RecursionError:
        return _fail(args.command, ["input nested too deeply"], EXIT_INVALID)
    except KeyboardInterrupt:
        return _fail(args.command, ["interrupted"], EXIT_INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous)
