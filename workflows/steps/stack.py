"""Where one stack lives: its Terraform module, its state backend, and the store beside its state.

A stack is one kind, environment and name: one Terraform state. Every command that touches a
stack (plan, apply, the day-two checks) builds a `Stack` from its arguments once, at its entry,
and asks it for the rest: the backend configuration `terraform init` gets, the store where the
saved plans and the registry entry wait (`workflows.steps.stackstore`), and a fresh working copy
of the module.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from idp.image import MODULES_ROOT
from workflows.steps import azure, stackstore, workdir
from workflows.steps.planstore import Plans, plans_prefix

if TYPE_CHECKING:
    from idp.settings import Settings

Backend = Literal["azurerm", "local"]


@dataclass(frozen=True)
class Stack:
    """The places of one kind's stacks, as a step pod sees them."""

    kind: str
    module: Path
    work: Path
    backend: Backend
    state_dir: Path | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Stack:
        """The stack options of a command (`--kind`, `--module`, `--work`, `--backend`,
        `--state-dir`), relative folders made absolute."""
        module: Path | None = getattr(args, "module", None)
        work: Path = getattr(args, "work", None) or Path(".")
        state_dir: Path | None = getattr(args, "state_dir", None)
        return cls(
            kind=args.kind,
            module=(module or Path(MODULES_ROOT / args.kind)).resolve(),
            work=work.resolve(),
            backend=args.backend,
            state_dir=state_dir.resolve() if state_dir else None,
        )

    @property
    def local(self) -> bool:
        return self.backend == "local"

    def _state_dir(self) -> Path:
        return self.state_dir or self.work / "state"

    def backend_config(self, environment: str, name: str, settings: Settings) -> list[str]:
        """`-backend-config` pairs for the stack's state: the local folder, or the
        environment's azurerm container."""
        key = workdir.state_key(self.kind, environment, name)
        if self.local:
            return workdir.local_backend(self._state_dir(), key)
        backend = settings.target(environment).terraform_backend
        return workdir.azurerm_backend(
            backend.resource_group,
            backend.storage_account,
            backend.container,
            key,
            oidc=settings.azure_auth == "workload-identity",
        )

    def store(self, environment: str, settings: Settings) -> stackstore.Store:
        """Where `environment`'s stacks keep their files beside their state."""
        if self.local:
            return stackstore.LocalStore(self._state_dir())
        backend = settings.target(environment).terraform_backend
        return stackstore.BlobStore(
            backend.blob_url, backend.container, azure.credential(settings.azure_auth)
        )

    def plans(self, environment: str, name: str, settings: Settings) -> Plans:
        """Where this stack's saved plans wait for their approval (`planstore`)."""
        return Plans(self.store(environment, settings), plans_prefix(self.kind, environment, name))

    def prepare(self) -> Path:
        """A fresh writable copy of the module under the work folder, where Terraform runs."""
        return workdir.prepare(self.module, self.work, local_backend=self.local)
