"""Runs the Terraform binary: argument lists only (never a shell), automation env, one-line errors.

Commands that support `-json` (init, plan, apply) are streamed: each message is echoed to the log
as Terraform's own human-readable line, and the first error diagnostic becomes the step's
one-line reason. Commands whose output is data (show, output) are captured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from workflows.steps.errors import StepError

TERRAFORM = "terraform"
PLAN_NO_CHANGES = 0
PLAN_CHANGES = 2


class TerraformError(StepError):
    """Terraform exited with an error; the message is its first error diagnostic."""


EXIT_INTERRUPTED = 130
# How long an interrupted Terraform is waited for: it finishes what is in flight and writes the
# state, which must not be cut short (Kubernetes gives a pod 30 s by default, a person more).
STOP_WAIT_SECONDS = 600


def _interrupted(process: subprocess.Popen[str], command: str) -> StepError:
    """After an interrupt (SIGINT, or SIGTERM made one): Terraform, in the same process group,
    got it too and stops cleanly, writing its state and releasing its lock; wait for that, never
    leave it running, then say how it ended."""
    try:
        code = process.wait(timeout=STOP_WAIT_SECONDS)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        process.kill()
        code = process.wait()
        return StepError(
            f"interrupted: terraform {command} did not stop in time and was killed (exit {code})",
            code=EXIT_INTERRUPTED,
        )
    return StepError(
        f"interrupted: terraform {command} stopped (exit {code}) and saved what it had done",
        code=EXIT_INTERRUPTED,
    )


def terraform_env(base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus the automation switches: no prompts, no version check calls."""
    return {**base, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _diagnostic_reason(diagnostic: Mapping[str, Any]) -> str:
    summary = _one_line(str(diagnostic.get("summary", "")))
    detail = str(diagnostic.get("detail", "")).strip().split("\n\n", 1)[0]
    return f"{summary}: {_one_line(detail)}" if detail else summary


def _human_error(text: str) -> str:
    """The `Error: ...` summary from Terraform's boxed human-readable diagnostics, if any."""
    for raw in text.splitlines():
        line = raw.strip().lstrip("│╷╵").strip()
        if line.startswith("Error: "):
            return _one_line(line[len("Error: ") :])
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return _one_line(lines[-1]) if lines else ""


class Terraform:
    """The Terraform binary, run in one working directory with a fixed environment."""

    def __init__(
        self,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        binary: str = TERRAFORM,
        log: TextIO | None = None,
    ) -> None:
        self.cwd = cwd
        self.env = terraform_env(os.environ if env is None else env)
        self.binary = binary
        self.log = sys.stdout if log is None else log

    def _popen(self, args: Sequence[str], merge_stderr: bool) -> subprocess.Popen[str]:
        try:
            return subprocess.Popen(
                [self.binary, *args],
                cwd=self.cwd,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except FileNotFoundError:
            raise TerraformError(f"{self.binary}: executable not found on PATH") from None

    def stream(self, command: str, *args: str, ok: Iterable[int] = (0,)) -> int:
        """Run `terraform COMMAND -json -no-color ARGS`, echo messages; the exit code if in `ok`."""
        process = self._popen([command, "-json", "-no-color", *args], merge_stderr=True)
        if process.stdout is None:  # pragma: no cover - always a pipe here
            raise TerraformError(f"terraform {command}: no output stream")
        errors: list[str] = []
        other: list[str] = []
        try:
            for line in process.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    message = None
                if not isinstance(message, dict):
                    if line.strip():
                        other.append(line.rstrip())
                        print(line.rstrip(), file=self.log)
                    continue
                print(message.get("@message", line.rstrip()), file=self.log)
                diagnostic = message.get("diagnostic")
                if isinstance(diagnostic, dict) and diagnostic.get("severity") == "error":
                    errors.append(_diagnostic_reason(diagnostic))
            code = process.wait()
        except KeyboardInterrupt:
            raise _interrupted(process, command) from None
        if code not in tuple(ok):
            reason = errors[0] if errors else _human_error("\n".join(other)) or f"exit code {code}"
            raise TerraformError(f"terraform {command} failed: {reason}")
        return code

    def capture(self, *calls: Sequence[str]) -> list[str]:
        """Run several data commands (e.g. two `show`s) side by side; their stdout, in order."""
        processes = [self._popen(call, merge_stderr=False) for call in calls]
        results: list[str] = []
        failure = ""
        for call, process in zip(calls, processes, strict=True):
            try:
                stdout, stderr = process.communicate()
            except KeyboardInterrupt:
                for other in processes:
                    if other is not process:
                        other.kill()
                        other.wait()
                raise _interrupted(process, call[0]) from None
            if process.returncode != 0 and not failure:
                reason = _human_error(stderr) or f"exit code {process.returncode}"
                failure = f"terraform {call[0]} failed: {reason}"
            results.append(stdout)
        if failure:
            raise TerraformError(failure)
        return results

    def init(
        self, backend_config: Sequence[str] | None, *, lockfile_readonly: bool = False
    ) -> None:
        """`terraform init`; `backend_config` None skips the backend (a saved plan carries it)."""
        args = ["-input=false"]
        if backend_config is None:
            args.append("-backend=false")
        else:
            args += [f"-backend-config={item}" for item in backend_config]
        if lockfile_readonly:
            args.append("-lockfile=readonly")
        self.stream("init", *args)

    def plan(self, var_file: Path, plan_file: Path, *, destroy: bool, lock: bool = True) -> bool:
        """`terraform plan -detailed-exitcode -out`; True when the plan has changes. Without
        `lock`, the state is read without taking its lock (a preview, which writes nothing,
        must not wait for a run that holds it)."""
        args = ["-input=false", "-detailed-exitcode", f"-out={plan_file}", f"-var-file={var_file}"]
        if destroy:
            args.append("-destroy")
        if not lock:
            args.append("-lock=false")
        code = self.stream("plan", *args, ok=(PLAN_NO_CHANGES, PLAN_CHANGES))
        return code == PLAN_CHANGES

    def apply(self, plan_file: Path) -> None:
        """`terraform apply` of a saved plan: no re-plan, no prompt."""
        self.stream("apply", "-input=false", str(plan_file))

    def show(self, plan_file: Path) -> tuple[str, str]:
        """The plan as JSON and as plain text, read side by side."""
        as_json, as_text = self.capture(
            ["show", "-json", str(plan_file)], ["show", "-no-color", str(plan_file)]
        )
        return as_json, as_text

    def output(self) -> str:
        """`terraform output -json`: every root output, sensitive values included."""
        return self.capture(["output", "-json", "-no-color"])[0]
