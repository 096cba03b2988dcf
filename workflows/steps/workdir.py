"""The writable copy of a kind's module that Terraform runs in, its backend and its var-file.

The module in the image is read-only, so every Terraform step copies it to `WORK/stack` (fresh
each time) and runs there. A saved plan holds a snapshot of the configuration it was made from
and its dependency lock file: before applying, the lock file is restored from the plan and the
copy is compared with the snapshot, so a plan is only ever applied to the configuration it was
made from.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflows.steps.errors import StepError

STACK = "stack"
VAR_FILE = "request.tfvars.json"
LOCK_FILE = ".terraform.lock.hcl"
_SKIPPED = {".terraform", "terraform.tfstate", "terraform.tfstate.backup", VAR_FILE}
_SNAPSHOT = "tfconfig/"
_CONFIG_SUFFIXES = (".tf", ".tf.json")


def state_key(kind: str, environment: str, name: str) -> str:
    """The state blob of one stack: `<kind>/<environment>/<name>.tfstate`."""
    return f"{kind}/{environment}/{name}.tfstate"


def managed_resources(state: bytes) -> list[str]:
    """The addresses of the managed resources a Terraform state file holds ([] for none);
    a state that is not JSON counts as holding something unknown."""
    try:
        document = json.loads(state or b"{}")
    except ValueError:
        return ["(a state that is not JSON)"]
    resources = (document.get("resources") or []) if isinstance(document, dict) else []
    return [
        f"{resource.get('type')}.{resource.get('name')}"
        for resource in resources
        if isinstance(resource, dict)
        and resource.get("mode") == "managed"
        and resource.get("instances")
    ]


STACK_TAG = "idp-stack"


def stack_tag(kind: str, environment: str, name: str) -> str:
    """The value of the `idp-stack` tag every module puts on every resource of the stack."""
    return f"{kind}-{environment}-{name}"


def azurerm_backend(
    resource_group: str, storage_account: str, container: str, key: str, *, oidc: bool
) -> list[str]:
    """`-backend-config` items for the azurerm backend, with Entra ID (never account keys)."""
    config = [
        f"resource_group_name={resource_group}",
        f"storage_account_name={storage_account}",
        f"container_name={container}",
        f"key={key}",
        "use_azuread_auth=true",
    ]
    if oidc:
        config.append("use_oidc=true")
    return config


def local_backend(state_dir: Path, key: str) -> list[str]:
    """`-backend-config` for the local backend: the state file at `STATE_DIR/<key>`."""
    path = state_dir.resolve() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    return [f"path={path}"]


LOCAL_BACKEND_OVERRIDE = "idp_local_backend_override.tf"


def prepare(module: Path, work: Path, *, local_backend: bool = False) -> Path:
    """Copy `module` to a fresh `WORK/stack` (contents only, writable) and return that folder.

    With `local_backend`, an override file makes the module's backend `local` (Terraform
    merges `*_override.tf` files over the configuration), so a module written for azurerm keeps
    its state in a local folder; the plan records that file like any other.
    """
    if not (module.is_dir() and any(module.glob("*.tf"))):
        raise StepError(f"module {module}: not a folder with Terraform files")
    stack = work.resolve() / STACK
    source = module.resolve()
    if source.is_relative_to(stack) or stack.is_relative_to(source):
        raise StepError(
            f"--module {module}: lies inside {stack} (or holds it), which is emptied for every "
            "copy; put the module outside --work"
        )
    if stack.exists():
        shutil.rmtree(stack)
    for folder, dirs, files in os.walk(module):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED)
        target = stack / Path(folder).relative_to(module)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if name not in _SKIPPED:
                shutil.copyfile(Path(folder) / name, target / name)
    if local_backend:
        (stack / LOCAL_BACKEND_OVERRIDE).write_text('terraform {\n  backend "local" {}\n}\n')
    return stack


def write_var_file(stack: Path, values: Mapping[str, Any]) -> Path:
    """Write the request as the var-file Terraform plans with."""
    path = stack / VAR_FILE
    path.write_text(json.dumps(dict(values), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _open_plan(plan_file: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(plan_file)
    except (zipfile.BadZipFile, OSError) as exc:
        raise StepError(f"plan {plan_file}: not a Terraform plan file ({exc})") from exc


def restore_lock_file(plan_file: Path, stack: Path) -> bool:
    """Put the plan's dependency lock file into `stack`, so init installs the same providers."""
    with _open_plan(plan_file) as plan:
        if LOCK_FILE not in plan.namelist():
            return False
        (stack / LOCK_FILE).write_bytes(plan.read(LOCK_FILE))
    return True


def check_configuration(plan_file: Path, stack: Path) -> None:
    """Fail unless every module of `stack` has exactly the files of the plan's snapshot."""
    with _open_plan(plan_file) as plan:
        names = [n for n in plan.namelist() if n.startswith(_SNAPSHOT) and not n.endswith("/")]
        try:
            modules = json.loads(plan.read(_SNAPSHOT + "modules.json"))
            if not isinstance(modules, list):
                raise TypeError("modules.json is not a list")
        except (KeyError, ValueError, TypeError) as exc:
            raise StepError(f"plan {plan_file}: no configuration snapshot ({exc})") from exc
        for module in modules:
            prefix = f"{_SNAPSHOT}m-{module['Key']}/"
            folder = stack / module["Dir"]
            saved = {n[len(prefix) :]: n for n in names if n.startswith(prefix)}
            present = {
                p.name
                for p in folder.glob("*")
                if p.is_file() and p.name.endswith(_CONFIG_SUFFIXES)
            }
            where = module["Key"] or "root module"
            if present != set(saved):
                different = sorted(present.symmetric_difference(saved))
                raise StepError(
                    f"plan was made from another configuration: {where} files differ"
                    f" ({', '.join(different)})"
                )
            for relative, name in saved.items():
                if (folder / relative).read_bytes() != plan.read(name):
                    raise StepError(
                        f"plan was made from another configuration: {where} file {relative} differs"
                    )
