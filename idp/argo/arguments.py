"""The command-line flags of the commands that talk to a live platform: `idp submit`, `idp run`,
`idp trigger`, `idp approve`, `idp doctor`, and the reading ones, `idp list`, `idp status`,
`idp logs` and `idp watch`.

Only argparse here, so that building the parser stays cheap; `idp.cli` registers the commands.

Every number is checked as it is parsed: seconds must be finite (no `inf`, `nan`, `1e308`) and
within a bound that fits its purpose, retries are at most `MAX_RETRIES`; a flag out of bounds
is a usage error (exit 64) naming it, before anything runs.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from pathlib import Path

from idp.argo.defaults import DEFAULT_BACKOFF, DEFAULT_RETRIES, DEFAULT_TIMEOUT
from idp.argo.status import STATES
from idp.settings import DNS_LABEL, ENVIRONMENTS, is_object_name

DAY = 86400.0
HOUR = 3600.0
MAX_WAIT = 366 * DAY  # watch --timeout, run --timeout: a run may wait for approval for long
MAX_RETRIES = 100


def seconds(most: float, *, zero: bool = False) -> Callable[[str], float]:
    """A type for a flag of seconds: a finite number more than 0 (or 0 too, with `zero`) and at
    most `most`."""
    floor = "0 or more" if zero else "more than 0"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero) or value > most:
            raise argparse.ArgumentTypeError(
                f"{text[:40]}: seconds must be a finite number, {floor} and at most {most:.0f}"
            )
        return value

    parse.__name__ = "seconds"
    return parse


def retries(text: str) -> int:
    """`--retries`: a whole number from 0 to MAX_RETRIES."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
    if not 0 <= value <= MAX_RETRIES:
        raise argparse.ArgumentTypeError(f"{value}: must be 0 to {MAX_RETRIES}")
    return value


def kubernetes_name(text: str) -> str:
    """An object name as Kubernetes takes it (DNS-1123 subdomain), checked where it enters."""
    if not is_object_name(text):
        raise argparse.ArgumentTypeError(
            f"{text[:80]!r} is not a Kubernetes name (lowercase letters, digits, '-' and '.', "
            "starting and ending with a letter or digit, at most 253 characters)"
        )
    return text


def namespace_name(text: str) -> str:
    """A namespace name (DNS-1123 label)."""
    if not re.fullmatch(DNS_LABEL, text):
        raise argparse.ArgumentTypeError(
            f"{text[:80]!r} is not a namespace name (lowercase letters, digits and '-', "
            "at most 63 characters)"
        )
    return text


def _retries(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--retries",
        type=retries,
        default=DEFAULT_RETRIES,
        help=f"retries on connection errors and 429, 502, 503, 504 (default {DEFAULT_RETRIES})",
    )
    parser.add_argument(
        "--backoff",
        type=seconds(HOUR, zero=True),
        default=DEFAULT_BACKOFF,
        metavar="SECONDS",
        help=f"first retry delay, then doubled; Retry-After wins (default {DEFAULT_BACKOFF:g})",
    )


def _connection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Argo Server (each flag overrides its ARGO_* variable)")
    group.add_argument("--server", help="host:port, or an http(s) URL (ARGO_SERVER)")
    group.add_argument(
        "--namespace",
        "-n",
        type=namespace_name,
        help="namespace (ARGO_NAMESPACE; default: the settings' namespace)",
    )
    group.add_argument(
        "--token-file", type=Path, help="file holding the bearer token (else ARGO_TOKEN)"
    )
    group.add_argument(
        "--secure",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="https (ARGO_SECURE, default) or --no-secure for plain http",
    )
    group.add_argument(
        "--insecure-skip-verify",
        action="store_true",
        default=None,
        help="do not verify the server's certificate (ARGO_INSECURE_SKIP_VERIFY)",
    )
    group.add_argument("--base-href", help="path prefix behind an ingress (ARGO_BASE_HREF)")
    group.add_argument(
        "--request-timeout",
        type=seconds(DAY),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"longest one call may take, retries included (default {DEFAULT_TIMEOUT:g})",
    )
    _retries(group)


def submit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would change, with a diff of each update; write nothing",
    )
    parser.add_argument(
        "--no-kubectl",
        action="store_true",
        help="do not run kubectl; print the command for what the Argo Server does not manage "
        "(and exit 16: those objects were not applied)",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="delete the objects idp created (its label) that the catalog no longer has",
    )
    _connection(parser)


def run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        action="store_true",
        help="follow the run until it finishes or waits for approval",
    )
    parser.add_argument(
        "--interval",
        type=seconds(HOUR, zero=True),
        default=5.0,
        metavar="SECONDS",
        help="poll interval (default 5)",
    )
    parser.add_argument(
        "--timeout",
        type=seconds(MAX_WAIT),
        default=1800.0,
        metavar="SECONDS",
        help="give up after this long in total, the wait included (default 1800)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="let the Argo Server check the Workflow (server dry run) without creating it",
    )
    _connection(parser)


def trigger(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", required=True, help="webhook URL; a bare host:port URL gets /KIND appended"
    )
    parser.add_argument(
        "--token-file", type=Path, help="file holding the webhook token (else IDP_WEBHOOK_TOKEN)"
    )
    parser.add_argument(
        "--timeout",
        type=seconds(DAY),
        default=60.0,
        metavar="SECONDS",
        help="give up after this long in total, retries included (default 60)",
    )
    _retries(parser)
    parser.add_argument(
        "--insecure-skip-verify",
        action="store_true",
        help="do not verify the webhook's TLS certificate",
    )


def approve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "workflow", type=kubernetes_name, help="the workflow's name, e.g. compute-<request_id>"
    )
    answer = parser.add_mutually_exclusive_group(required=True)
    answer.add_argument(
        "--yes", dest="answer", action="store_const", const="YES", help="apply the plan"
    )
    answer.add_argument(
        "--no", dest="answer", action="store_const", const="NO", help="reject the plan"
    )
    _connection(parser)


def doctor(parser: argparse.ArgumentParser) -> None:
    _connection(parser)


def _request(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "request",
        metavar="REQUEST_ID|WORKFLOW",
        help="a request id (found by its label) or a workflow's name",
    )


def listing(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", help="only requests of this kind")
    parser.add_argument("--environment", choices=ENVIRONMENTS, help="only this environment")
    parser.add_argument(
        "--requester", metavar="EMAIL", help="only requests of this requester (e-mail address)"
    )
    parser.add_argument(
        "--outcome", choices=STATES, metavar="OUTCOME", help="only this state: " + ", ".join(STATES)
    )
    parser.add_argument(
        "--since", metavar="DURATION", help="only requests created this recently (24h, 90m)"
    )
    parser.add_argument(
        "-l",
        "--selector",
        metavar="SELECTOR",
        help="a Kubernetes label selector the workflows must match too (k=v, k!=v, k in (a,b))",
    )
    parser.add_argument(
        "--limit", type=int, default=100, help="show at most this many, newest first (default 100)"
    )
    parser.add_argument(
        "-o",
        "--output",
        choices=("table", "yaml", "json"),
        default="table",
        help="a table for people (default), or the requests as yaml or json",
    )
    _connection(parser)


def status(parser: argparse.ArgumentParser) -> None:
    _request(parser)
    _connection(parser)


def logs(parser: argparse.ArgumentParser) -> None:
    _request(parser)
    parser.add_argument(
        "step",
        nargs="?",
        help="one step (plan, apply, ...) or attempt (plan(1)); default: every step",
    )
    parser.add_argument(
        "-f", "--follow", action="store_true", help="keep printing until the workflow completes"
    )
    parser.add_argument("--tail", type=int, metavar="N", help="the last N lines of each pod")
    parser.add_argument("--grep", metavar="REGEX", help="only lines matching (a Go regexp)")
    parser.add_argument(
        "--max-lines",
        type=int,
        default=10000,
        metavar="N",
        help="stop after printing N lines in all (default 10000)",
    )
    _connection(parser)


def watch(parser: argparse.ArgumentParser) -> None:
    _request(parser)
    parser.add_argument(
        "--timeout",
        type=seconds(MAX_WAIT),
        metavar="SECONDS",
        help="give up after this long (exit 13); default: as long as the run takes",
    )
    _connection(parser)
