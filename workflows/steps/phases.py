"""The phases of one step program, in order, each named where a person looks for it.

`plan` runs validate, preflight, plan and policy in one pod, and `apply` runs decide, apply,
verify and report in one: a pod costs its scheduling and start whatever it does, so the work a
request waits on is done in as few as can hold it. Each phase is named in the log (a `== name`
line, then its lines), in the `phases` output (one line per phase that ran: its name and what
it found), and in the message of a failure (`failed at preflight: ...`), which is the node's
message in the Argo UI and the reason the exit handler reports.

`idp local --stub PHASE=Succeeded` stands in for a phase that needs Azure or checkov on a
machine without them: it reaches the program as `IDP_LOCAL_STUB_PHASES` and is honoured only
with the local backend that `idp local` sets; with the azurerm backend (every pod in a cluster)
the variable is refused, so no setting can skip a check there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from idp.image import LOCAL_STUB_ENV
from workflows.steps import outputs
from workflows.steps.errors import EXIT_INVALID, StepError
from workflows.steps.outcome import FAILED_AT

STUB_ENV = LOCAL_STUB_ENV
STUBBED = "stubbed by idp local"
OUTPUT = "phases"


def stubbed_phases(local_backend: bool, env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The phases `idp local` stands in for; refused unless the backend is the local one."""
    text = (os.environ if env is None else env).get(STUB_ENV, "")
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    if names and not local_backend:
        raise StepError(
            f"{STUB_ENV} is honoured only by idp local (the local backend); "
            "a pod in a cluster runs every phase",
            code=EXIT_INVALID,
        )
    return names


class Phases:
    """Runs a program's phases and keeps what each found for the `phases` output."""

    def __init__(self, names: tuple[str, ...], out: Path | None, stubbed: frozenset[str]) -> None:
        """`stubbed` may name phases of other programs too (`idp local` gives every pod the
        same list); only this program's own are stood in for."""
        self.names = names
        self.out = out
        self.stubbed = stubbed
        self.found: dict[str, str] = {}

    @contextmanager
    def phase(self, name: str, *, resumed: bool = False) -> Iterator[None]:
        """Run one phase: its header in the log (not again when `resumed`), its failure named
        after it."""
        if name not in self.names:
            raise ValueError(f"{name!r} is not one of the phases {self.names}")
        if not resumed:
            print(f"== {name}", flush=True)
        try:
            yield
        except StepError as exc:
            self.found[name] = f"failed: {exc.lines[0]}"
            self.write()
            first, *rest = exc.lines
            raise StepError(f"{FAILED_AT}{name}: {first}", *rest, code=exc.code) from exc
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            reason = f"{exc.strerror or exc}{where}"
            self.found[name] = f"failed: {reason}"
            self.write()
            raise StepError(f"{FAILED_AT}{name}: {reason}") from exc

    def skip(self, name: str) -> bool:
        """Whether `name` is stubbed; if so, say so in the log and the output."""
        if name not in self.stubbed:
            return False
        print(f"== {name}\n{name}: {STUBBED}", flush=True)
        self.found[name] = STUBBED
        return True

    def done(self, name: str, result: str) -> None:
        """What phase `name` found, in one line (also printed)."""
        line = " ".join(result.split())
        self.found[name] = line
        print(f"{name}: {line}", flush=True)

    def write(self) -> None:
        """The `phases` output: one line per phase that ran, in order."""
        if self.out is None:
            return
        lines = [f"{name}: {self.found[name]}" for name in self.names if name in self.found]
        outputs.write(self.out, OUTPUT, "\n".join(lines))
