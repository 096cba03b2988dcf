"""No step program prints a traceback, whatever it is given.

Every sub-command of `python -m workflows.steps` runs as a pod runs it (a subprocess, the
request in IDP_REQUEST, an environment without the machine's settings or credentials) with
hostile input: no arguments, unknown or valueless flags, a kind that is a path or a terminal
escape, settings that cannot be read, an output, work or state folder that is a file, a module
that is not there; and, for the commands that read the request, a request that is garbage, huge,
nested 50,000 deep, not an object, missing, or not UTF-8 (each with one thing wrong: a bad
request gets one line per bad field). Each must end with exit code 1 or 2
and one line on stderr naming the command, never a traceback, never raw control characters.
Commands that do not read the request are not given a hostile one: it is not their input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.steps.conftest import FIXTURE_MODULE, clean_environment, compute_request
from workflows.steps.cli import build_parser

pytestmark = pytest.mark.slow

ESC = "\x1b"
TITLE_SEQUENCE = "\x1b]0;owned\x07"
STACK = ["--module", str(FIXTURE_MODULE), "--work", "{work}", "--backend", "local"]
STACK += ["--state-dir", "{state}"]
LOCAL_STORE = ["--backend", "local", "--state-dir", "{state}"]
# What each command needs besides --kind to get past its parser, with folders of the test.
MINIMAL: dict[str, list[str]] = {
    "plan": [*STACK, "--out", "{out}"],
    "apply": [
        *STACK,
        "--out",
        "{out}",
        "--sha256",
        "0" * 64,
        "--approval",
        "YES",
        "--next",
        "approve",
    ],
    "notify": [],
    "finish": ["--out", "{out}", *LOCAL_STORE],
    "stacks": ["--out", "{out}", *LOCAL_STORE],
    "drift": [*STACK, "--out", "{out}", "--environment", "dev", "--name", "demo"],
    "expire": ["--out", "{out}", *LOCAL_STORE, "--now", "2030-01-01T00:00:00Z"],
}
READS_REQUEST = ("plan", "apply")
ENV_LIMIT = 100_000  # one environment variable or argument stays under Linux's 128 KiB


@dataclass(frozen=True)
class Case:
    """One hostile run: the arguments after the command, and what is added to the environment
    (a None value removes the variable; bytes are passed as they are)."""

    command: str
    args: list[str]
    env: dict[str, str | bytes | None] = field(default_factory=dict)


def minimal(command: str, **replaced: str) -> list[str]:
    """--kind compute and the command's minimal arguments, with some flags' values replaced."""
    args = ["--kind", "compute", *MINIMAL[command]]
    for flag, value in replaced.items():
        option = "--" + flag.replace("_", "-")
        args[args.index(option) + 1] = value
    return args


def cases() -> dict[str, Case]:
    found: dict[str, Case] = {}
    for command, needs in MINIMAL.items():
        found |= {
            f"{command}: no arguments": Case(command, []),
            f"{command}: an unknown flag": Case(command, [*minimal(command), "--no-such-flag"]),
            f"{command}: a flag without its value": Case(command, [*minimal(command), "--kind"]),
            f"{command}: a kind that is a path": Case(command, minimal(command, kind="../../x")),
            f"{command}: a kind with a terminal escape": Case(
                command, minimal(command, kind=TITLE_SEQUENCE)
            ),
            f"{command}: settings that are not JSON": Case(
                command, minimal(command), {"IDP_ALLOWED_REGIONS": "[[["}
            ),
            f"{command}: a setting that does not exist": Case(
                command, minimal(command), {"IDP_NO_SUCH_SETTING": "1"}
            ),
        }
        for flag in ("out", "work", "state_dir"):
            if "--" + flag.replace("_", "-") in needs:
                found[f"{command}: --{flag.replace('_', '-')} is a file"] = Case(
                    command, minimal(command, **{flag: "{file}"})
                )
        if "--module" in needs:
            found[f"{command}: a module that is not there"] = Case(
                command, minimal(command, module="{missing}")
            )
    requests: dict[str, str | bytes | None] = {
        "garbage": "{not json",
        "huge": json.dumps(compute_request(requester_name="x" * ENV_LIMIT)),
        "nested 50,000 deep": "[" * 50_000 + "]" * 50_000,
        "a list": json.dumps([compute_request()]),
        "null": "null",
        "missing": None,
        "not UTF-8": json.dumps(compute_request(name="<>")).encode().replace(b"<>", b"\xff"),
        "a terminal escape": TITLE_SEQUENCE,
    }
    for command in READS_REQUEST:
        for label, request in requests.items():
            found[f"{command}: a request {label}"] = Case(
                command, minimal(command), {"IDP_REQUEST": request}
            )
    found |= {
        "apply: a sha256 that is not one": Case("apply", minimal("apply", sha256="../x")),
        "apply: labels nested 50,000 deep": Case(
            "apply", [*minimal("apply"), "--labels", "[" * 50_000]
        ),
        "notify: a phase that is not one": Case("notify", [*minimal("notify"), "--phase", "x"]),
        "finish: failures nested 50,000 deep": Case(
            "finish", [*minimal("finish"), "--status", "Failed", "--failures", "[" * 50_000]
        ),
        "plan: a policies folder that is a file": Case(
            "plan", [*minimal("plan"), "--policies", "{file}"]
        ),
        "apply: a decision that is not one": Case("apply", minimal("apply", next="../x")),
        "drift: a name that is a path": Case("drift", minimal("drift", name="../../x")),
        "drift: an environment that is a path": Case(
            "drift", minimal("drift", environment="../prod")
        ),
        "expire: a time that is not one": Case("expire", minimal("expire", now="NaN")),
    }
    return found


CASES = cases()


def run(case: Case, tmp: Path) -> subprocess.CompletedProcess[bytes]:
    folders = {
        "work": tmp / "work",
        "out": tmp / "out",
        "state": tmp / "state",
        "plan_json": tmp / "plan.json",
        "file": tmp / "a-file",
        "missing": tmp / "not-there",
    }
    folders["file"].write_text("a file, not a folder")
    folders["plan_json"].write_text("{}")
    args = [arg.format(**folders) for arg in case.args]
    env: dict[bytes, bytes] = {
        os.fsencode(k): os.fsencode(v) for k, v in clean_environment().items()
    }
    env[b"IDP_REQUEST"] = json.dumps(compute_request()).encode()
    for key, value in case.env.items():
        if value is None:
            env.pop(key.encode(), None)
        else:
            env[key.encode()] = value if isinstance(value, bytes) else os.fsencode(value)
    return subprocess.run(
        [sys.executable, "-m", "workflows.steps", case.command, *args],
        cwd=tmp,
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )


def test_every_command_of_the_program_is_tried() -> None:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert sorted(MINIMAL) == sorted(sub.choices)


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_a_hostile_input_ends_in_one_line_and_a_failure_code(case: Case, tmp_path: Path) -> None:
    result = run(case, tmp_path)
    stderr = result.stderr.decode("utf-8", "backslashreplace")
    assert "Traceback" not in stderr
    assert ESC not in stderr
    assert result.returncode in (1, 2), stderr
    (line,) = stderr.splitlines()
    assert line.startswith((f"{case.command}: ", "python -m workflows.steps: ")), line
