"""The objects the Argo Server API does not manage (EventBus, ConfigMaps, RBAC), via kubectl.

When `kubectl` is on PATH and has a current context, they are applied with
`kubectl apply --server-side` (pinned to that context, the YAML on stdin, an argument list and
no shell); a dry run asks `kubectl diff --server-side` instead. Otherwise `manual_command` is
the exact command to run by hand.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from idp.argo.errors import ArgoError
from idp.manifests import Manifest, file_name, to_yaml

FIELD_MANAGER = "idp"
TIMEOUT = 300


@dataclass(frozen=True)
class Kubectl:
    """A kubectl binary and the context every call is pinned to."""

    path: str
    context: str

    def command(self, *args: str) -> list[str]:
        return [self.path, "--context", self.context, *args]


def find() -> Kubectl | None:
    """kubectl and its current context, or None when either is missing."""
    path = shutil.which("kubectl")
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "config", "current-context"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    context = done.stdout.strip()
    return Kubectl(path, context) if done.returncode == 0 and context else None


def label(manifest: Manifest) -> str:
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


def _stream(manifests: list[Manifest]) -> str:
    return "---\n".join(to_yaml(m) for m in manifests)


def _run(
    kubectl: Kubectl, args: list[str], manifests: list[Manifest]
) -> subprocess.CompletedProcess[str]:
    command = kubectl.command(*args)
    try:
        return subprocess.run(
            command,
            input=_stream(manifests) if manifests else None,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ArgoError(f"kubectl {' '.join(args[:2])} could not run: {exc}") from None


def query(kubectl: Kubectl, args: list[str]) -> subprocess.CompletedProcess[str]:
    """A read-only kubectl call in the pinned context; its exit code is the caller's to read."""
    return _run(kubectl, args, [])


def _failure(args: list[str], done: subprocess.CompletedProcess[str], context: str) -> ArgoError:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "(no message)"
    return ArgoError(
        f"kubectl {' '.join(args[:2])} (context {context}) failed with exit {done.returncode}: "
        f"{last}; nothing was sent to the Argo Server"
    )


def apply(kubectl: Kubectl, manifests: list[Manifest]) -> list[str]:
    """Apply server-side; returns kubectl's lines (`configmap/x serverside-applied`)."""
    args = ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-"]
    done = _run(kubectl, args, manifests)
    if done.returncode != 0:
        raise _failure(args, done, kubectl.context)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def diff(kubectl: Kubectl, manifests: list[Manifest]) -> list[str]:
    """The labels (`Kind/name`) of the objects the cluster holds differently or lacks."""
    args = ["diff", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-"]
    done = _run(kubectl, args, manifests)
    if done.returncode == 0:
        return []
    if done.returncode != 1:  # kubectl diff: 0 no differences, 1 differences, >1 an error
        raise _failure(args, done, kubectl.context)
    return [label(m) for m in manifests if _named(m).search(done.stdout)]


def _named(manifest: Manifest) -> re.Pattern[str]:
    """kubectl diff names its files `<group>.<version>.<Kind>.<namespace>.<name>`."""
    meta = manifest["metadata"]
    parts = (manifest["kind"], meta.get("namespace", ""), meta["name"])
    return re.compile(r"\." + r"\.".join(re.escape(p) for p in parts) + r"(?=\s|$)", re.M)


def manual_command(manifests: list[Manifest], config: Path | None, out: str = "dist") -> str:
    """The exact commands that apply `manifests` by hand, from `idp compile` output."""
    compile_args = ["idp", *(["--config", str(config)] if config else []), "compile"]
    files = [arg for m in manifests for arg in ("-f", f"{out}/{file_name(m)}")]
    return (
        shlex.join([*compile_args, "--out", out])
        + " && "
        + shlex.join(
            ["kubectl", "apply", "--server-side", f"--field-manager={FIELD_MANAGER}", *files]
        )
    )


def _listed(kubectl: Kubectl, kinds: list[str], namespace: str, selector: str) -> list[str]:
    """`Kind/name` of the objects of `kinds` in `namespace` that carry the labels."""
    template = "{range .items[*]}{.kind}/{.metadata.name}{'\\n'}{end}"
    args = ["get", ",".join(k.lower() for k in kinds), "-n", namespace, "-l", selector]
    done = _run(kubectl, [*args, "-o", f"jsonpath={template}"], [])
    if done.returncode != 0:
        raise _failure(args, done, kubectl.context)
    return sorted(line.strip() for line in done.stdout.splitlines() if line.strip())


def prune(
    kubectl: Kubectl, manifests: list[Manifest], selector: str, *, home: str, dry_run: bool
) -> list[str]:
    """Delete, namespace by namespace, the labelled objects of the kinds compiled there that
    `manifests` lack; returns them as `Kind/name`, with the namespace when it is not `home`."""
    stale: list[str] = []
    for namespace in sorted({m["metadata"]["namespace"] for m in manifests}):
        here = [m for m in manifests if m["metadata"]["namespace"] == namespace]
        kinds = sorted({m["kind"] for m in here})
        wanted = {label(m) for m in here}
        found = [n for n in _listed(kubectl, kinds, namespace, selector) if n not in wanted]
        if found and not dry_run:
            args = ["delete", "-n", namespace, *found]
            done = _run(kubectl, args, [])
            if done.returncode != 0:
                raise _failure(args, done, kubectl.context)
        stale += [n if namespace == home else f"{n} in namespace {namespace}" for n in found]
    return stale


def manual_prune(manifests: list[Manifest], selector: str) -> str:
    """The commands that list what a prune would consider, for a machine without kubectl."""
    commands = []
    for namespace in sorted({m["metadata"]["namespace"] for m in manifests}):
        kinds = ",".join(
            sorted(
                {m["kind"].lower() for m in manifests if m["metadata"]["namespace"] == namespace}
            )
        )
        commands.append(shlex.join(["kubectl", "get", kinds, "-n", namespace, "-l", selector]))
    return "; ".join(commands)
