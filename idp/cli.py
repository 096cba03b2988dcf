"""The `idp` command line: argument parsing and error reporting only; the work lives elsewhere.

Every failure is one line on stderr and a distinct exit code, never a traceback; the codes are
`idp.errors.EXIT_CODES`, which `idp --help` lists. Each line is printable (`idp.text`): what a
request, a settings file or an argument holds is escaped, never sent to the terminal raw.

Options may come before or after the sub-command (`idp --config p.yaml compile` and
`idp compile --config p.yaml` are the same): options before it are moved after it.

Each sub-command names its handler as a `"module:function"` string (`idp.commands`), imported
when the command runs: `idp --help`, `idp validate` and the parsing of every command load
neither Hera nor the HTTP stack, re2 or shtab.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from idp import __version__
from idp.argo import arguments as argo
from idp.catalog import DEFAULT_CATALOG, CatalogError
from idp.contract import RequestError
from idp.errors import (
    EXIT_FAILURE,
    EXIT_INVALID,
    EXIT_SETTINGS,
    EXIT_USAGE,
    CommandError,
    exit_code_table,
)
from idp.manifests import OUTPUT_FORMATS
from idp.settings import Settings, SettingsError, load_settings, with_catalog
from idp.text import printable

Handler = Callable[[argparse.Namespace, Settings], int]

# Each sub-command's handler, imported only when that command runs (`handler`).
HANDLERS = {
    "compile": "idp.commands.compile:command",
    "validate": "idp.commands.request:validate",
    "render": "idp.commands.render:command",
    "schema": "idp.commands.request:schema",
    "backstage": "idp.commands.backstage:command",
    "submit": "idp.commands.submit:command",
    "run": "idp.commands.run:command",
    "trigger": "idp.commands.trigger:command",
    "approve": "idp.argo.approve:command",
    "list": "idp.argo.listing:command",
    "status": "idp.argo.status_command:command",
    "logs": "idp.argo.logs:command",
    "watch": "idp.argo.watch:command",
    "local": "idp.commands.local:local",
    "local-cron": "idp.commands.local:local_cron",
    "doctor": "idp.commands.doctor:command",
    "new-kind": "idp.commands.new_kind:command",
    "tfvars": "idp.commands.tfvars:command",
    "completion": "idp.commands.completion:command",
}

# The packages of pyproject.toml's `authoring` extra, by the names they are imported as. The image
# the steps run in leaves them out; a command that needs one (compile, the Argo client, the local
# runner, tfvars, completion) says to install the extra instead of failing on the import.
AUTHORING_IMPORTS = frozenset({"hera", "re2", "shtab"})
AUTHORING_INSTALL = "pip install 'idp-platform[authoring]'"


def resolve(target: str) -> Any:
    """What a `"module:function"` string names, its module imported now."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def handler(target: str) -> Handler:
    """The handler of a sub-command (`HANDLERS`), its modules imported now.

    What a command imports lives as long as the process, so the first command of a process
    imports with the cyclic collector paused and then sets what it loaded aside (`gc.freeze`):
    Hera's models are some hundred thousand objects that every full collection of a compile
    would walk again, about 0.4 s of a 60-kind compile (`benchmarks/bench_compile.py`). Once
    per process: a process that runs many commands (the tests) freezes only what the first
    one found.
    """
    if gc.get_freeze_count():
        found: Handler = resolve(target)
        return found
    enabled = gc.isenabled()
    gc.disable()
    try:
        found = resolve(target)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
    return found


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error in one line, as every error is, on its own exit code."""

    def error(self, message: str) -> NoReturn:
        shown = printable(" ".join(message.split()))
        self.exit(EXIT_USAGE, f"idp: {shown} (see: {self.prog} --help)\n")


def _global_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--config", type=Path, default=default, help="YAML settings file (env IDP_* wins over it)"
    )
    parser.add_argument(
        "--catalog",
        default=default,
        metavar="MODULE:ATTRIBUTE",
        help="the catalog of kinds (overrides the catalog setting, and reaches the step pods)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="idp",
        description="Self-service Azure provisioning on Argo: compile, check, render and submit.",
        epilog="Options may come before or after the command.\n\nexit codes:\n" + exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"idp {__version__}")
    _global_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=HANDLERS[name])
        _global_options(command, argparse.SUPPRESS)
        return command

    def output(command: argparse.ArgumentParser, default: str | None) -> None:
        command.add_argument(
            "-o",
            "--output",
            choices=OUTPUT_FORMATS,
            default=default,
            help=f"print the object as yaml or json (default {default or 'lines for people'})",
        )

    def kind_and_file(command: argparse.ArgumentParser) -> None:
        command.add_argument("kind", help="resource kind: " + ", ".join(DEFAULT_CATALOG))
        command.add_argument("file", help="request JSON file, or - for stdin")

    compile_cmd = add("compile", "write every object as YAML with a kustomization")
    compile_cmd.add_argument("--out", default="dist", help="output folder (default: dist)")
    compile_cmd.add_argument(
        "--strict",
        action="store_true",
        help="refuse settings that cannot work on a cluster (placeholders, no subscription or "
        "client id with workload identity); without it they are only noted",
    )
    kind_and_file(add("validate", "check a request against its kind's contract"))
    render_cmd = add("render", "print the Workflow the kind's sensor would create")
    kind_and_file(render_cmd)
    output(render_cmd, "yaml")
    output(_kind(add("schema", "print a kind's request JSON Schema")), "json")
    _backstage_options(
        add(
            "backstage",
            "write a kind's Backstage Software Template and print the proxy snippet it needs",
        )
    )
    argo.submit(add("submit", "create or update every object on an Argo Server"))
    run_cmd = add("run", "submit one Workflow from a kind's template, without the webhook")
    kind_and_file(run_cmd)
    output(run_cmd, None)
    argo.run(run_cmd)
    trigger_cmd = add("trigger", "validate a request, then POST it to the webhook")
    kind_and_file(trigger_cmd)
    argo.trigger(trigger_cmd)
    argo.approve(add("approve", "answer a workflow's pending approval"))
    argo.listing(add("list", "list the requests the platform ran, newest first"))
    status_cmd = add("status", "show one request: steps, outcome, approver, plan")
    argo.status(status_cmd)
    output(status_cmd, None)
    argo.logs(add("logs", "print the log of a request's steps"))
    argo.watch(add("watch", "follow a request's workflow until it completes"))
    local_cmd = add("local", "run a request through the compiled pipeline on this machine")
    kind_and_file(local_cmd)
    _local_options(local_cmd)
    output(local_cmd, None)
    output(
        _local_cron_options(
            add(
                "local-cron",
                "run a compiled CronWorkflow once on this machine, as its schedule would",
            )
        ),
        None,
    )
    doctor_cmd = add("doctor", "check a cluster: Argo, Secrets, identities, settings")
    output(doctor_cmd, None)
    argo.doctor(doctor_cmd)
    _new_kind_options(add("new-kind", "scaffold a new resource kind"))
    _tfvars_options(
        add("tfvars", "print a kind's Terraform variables.tf, generated from its model")
    )
    add("completion", "print a shell completion script").add_argument(
        "shell", choices=("bash", "zsh"), help="the shell to complete for"
    )
    return parser


def _kind(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument("kind", help="resource kind: " + ", ".join(DEFAULT_CATALOG))
    return command


def _backstage_options(command: argparse.ArgumentParser) -> None:
    _kind(command)
    command.add_argument(
        "--out", metavar="FILE", help="write the template to FILE (default: stdout)"
    )
    command.add_argument(
        "--proxy-snippet",
        metavar="FILE",
        help="write the app-config.yaml proxy snippet to FILE (default: stderr)",
    )


def _new_kind_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("name", help="the kind: 2 to 18 lowercase letters and digits")
    command.add_argument(
        "--root", default=".", help="the repository's root (default: the current folder)"
    )


def _tfvars_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "kind",
        nargs="?",
        help=f"resource kind: {', '.join(DEFAULT_CATALOG)} (with --write: only this one)",
    )
    command.add_argument(
        "--write",
        action="store_true",
        help="write terraform/<kind>/variables.tf of every kind of the catalog, and the test "
        "fixture module's where there is one, instead of printing",
    )
    command.add_argument(
        "--root",
        default=".",
        help="with --write: the repository's root (default: the current folder)",
    )


def _local_cron_options(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument("name", help="the CronWorkflow's name")
    command.add_argument(
        "--at",
        type=_scheduled_time,
        metavar="RFC3339",
        help="the scheduled time the Workflow is made for (default: now, to the minute, UTC)",
    )
    _run_options(command)
    return command


def _scheduled_time(text: str) -> object:
    """`--at`, read by the local runner's module, imported only when the option is given."""
    return resolve("idp.local.command:scheduled_time")(text)


def _local_options(command: argparse.ArgumentParser) -> None:
    _run_options(command)
    command.add_argument(
        "--approve",
        metavar="VALUE",
        help="answer every approval with VALUE, stored exactly as given (as argo node set "
        "does); `expire` lets the timeout pass, `stop` stops the run; default: ask",
    )
    command.add_argument(
        "--as",
        dest="as_",
        metavar="EMAIL",
        help="who answers the approval, as SSO would tell the Argo Server (recorded on the "
        "Workflow: apply refuses the requester); without it nobody is recorded, as with SSO off",
    )


def _run_options(command: argparse.ArgumentParser) -> None:
    """The options of a local run (`idp local`, `idp local-cron`)."""
    root = Path(__file__).resolve().parents[1]
    command.add_argument(
        "--modules",
        type=Path,
        default=root / "terraform",
        help="folder with one Terraform module per kind (default: this checkout's terraform/)",
    )
    command.add_argument(
        "--policies",
        type=Path,
        default=root / "policies",
        help="folder of the platform's checkov policies (default: this checkout's policies/)",
    )
    command.add_argument(
        "--stub",
        action="append",
        metavar="NAME=PHASE",
        help="run no process for task NAME (it ends Succeeded, Failed or Error), or stand in "
        "for the phase NAME of a step program (preflight, policy, verify: =Succeeded only); "
        "repeatable",
    )
    command.add_argument(
        "--argo-version",
        default=None,
        metavar="TAG",
        help="the Argo Workflows release whose rules the run follows (default: the newest of "
        "the support matrix, idp.compat); one outside the matrix is refused",
    )
    command.add_argument("--state-dir", type=Path, help="Terraform state (default: in the cache)")
    command.add_argument("--run-dir", type=Path, help="pods' files, logs, artifacts")
    command.add_argument(
        "--compiled", type=Path, help="run what `idp compile` wrote to this folder"
    )
    command.add_argument(
        "--secrets", type=Path, help="Secrets as mounted: one folder per Secret, a file per key"
    )
    command.add_argument("--logs", action="store_true", help="print each step's log when it ends")


def hoist(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """`argv` with the options before the sub-command moved after it (the main parser's own,
    --version, --help and --config, stay where they are)."""
    commands = _commands(parser)
    own = {o: a.nargs != 0 for a in parser._actions for o in a.option_strings}
    anywhere = {
        o: a.nargs != 0 for p in commands.values() for a in p._actions for o in a.option_strings
    }
    kept: list[str] = []
    moved: list[str] = []
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in commands:
            return [*kept, word, *moved, *argv[index + 1 :]]
        if not word.startswith("-") or word == "--":
            break
        name = word.split("=", 1)[0]
        target = kept if name in own else moved
        target.append(word)
        if "=" not in word and {**anywhere, **own}.get(name) and index + 1 < len(argv):
            target.append(argv[index + 1])
            index += 1
        index += 1
    return list(argv)


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(hoist(parser, sys.argv[1:] if argv is None else argv))
    try:
        settings = with_catalog(load_settings(args.config), args.catalog)
        code = handler(args.handler)(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the contract: one line, never a traceback
        return _failure(exc, getattr(args, "file", "request"), args.command)
    return code


def _say(line: str) -> None:
    """One line of a failure on stderr, printable (`idp.text`): a request's key, a settings
    value or a file name can hold escape sequences, and none reaches the terminal raw."""
    print(printable(line), file=sys.stderr)


def _failure(exc: Exception, source: str, command: str) -> int:
    """Report `exc` on stderr as the module docstring says; returns the exit code."""
    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    if missing and missing.partition(".")[0] in AUTHORING_IMPORTS:
        _say(
            f"idp: {command} needs the authoring extra ({missing} is not installed): "
            f"{AUTHORING_INSTALL}"
        )
        return EXIT_FAILURE
    if isinstance(exc, RequestError):
        for line in exc.problems:
            _say(f"{source}: {line}")
        return EXIT_INVALID
    known = ((SettingsError, EXIT_SETTINGS), (CatalogError, EXIT_USAGE))
    code = exc.code if isinstance(exc, CommandError) else None
    code = next((c for kind, c in known if isinstance(exc, kind)), code)
    if code is not None:
        _say(f"idp: {exc}")
        return code
    if os.environ.get("IDP_DEBUG") == "1":
        raise exc
    _say(f"idp: internal error: {type(exc).__name__}: {exc} (IDP_DEBUG=1 shows more)")
    return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
