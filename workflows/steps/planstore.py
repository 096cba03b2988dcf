"""Where a saved plan waits for its approval: beside the stack's state, never as an artifact.

A saved plan holds every value Terraform knows, sensitive ones in clear, and Terraform cannot
redact it. Argo's artifacts can be downloaded by anyone who can read the Workflow, so the plan
is not one: the plan step puts it next to the stack's state (`<kind>/<environment>/<name>
.plans/<sha256>.tfplan` in the stack store, `workflows.steps.stackstore`), which only the
workflow's identity can read, as it can read the state itself. apply takes it from there by
its sha256 and deletes it once applied; the exit handler deletes what is left of a plan that
was not applied. A plan is kept only as long as its approval needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workflows.steps.errors import StepError
from workflows.steps.stackstore import Store


def plans_prefix(kind: str, environment: str, name: str) -> str:
    """The folder of one stack's waiting plans, beside its state key."""
    return f"{kind}/{environment}/{name}.plans"


@dataclass(frozen=True)
class Plans:
    """One stack's waiting plans, by sha256."""

    store: Store
    prefix: str

    def _name(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256}.tfplan"

    def put(self, sha256: str, source: Path) -> str:
        return self.store.put(self._name(sha256), source.read_bytes())

    def get(self, sha256: str, target: Path) -> None:
        data = self.store.get(self._name(sha256))
        if data is None:
            raise StepError(f"no saved plan {sha256} for this stack (applied, or cleaned up)")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def delete(self, sha256: str) -> bool:
        return self.store.delete(self._name(sha256))
