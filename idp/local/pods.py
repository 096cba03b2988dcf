"""Step pods as local processes: what a container template becomes on this machine.

A container node runs its command and args after substitution, never through a shell, with the
environment a pod would get: `envFrom` ConfigMaps (the compiled ones) and Secrets (given
locally, or missing), then `env` (values, and `secretKeyRef`s that are optional or given),
with Kubernetes' `$(VAR)` expansion of earlier variables in env values, command and args.
Paths of the image and of the pod are mapped to folders of this run: each volume mount to a
fresh folder per pod (emptyDir), the termination message file, and whatever `PathMap` adds
(the modules folder, `/opt/idp/terraform` in the image). `python` is this interpreter.

When the process ends, the node is Succeeded (exit 0) or Failed with Argo's message for a
failed main container, `main: Error (exit code N): <termination message>`
(`operator.go`, `inferFailedReason`); past `activeDeadlineSeconds` the process is killed and
the node Failed with Kubernetes' deadline message; a command that cannot start is an Error.
Output parameters are read from their files with one trailing newline cut, and a missing file
without a default is an Error that leaves the parameters after it without a value
(`workflow/executor/executor.go`, `SaveParameters`, returns at the first); output
artifacts are copied into the run's artifact store (no template takes an input artifact).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp.local.controller import PodResult, PodSpec
from idp.local.nodes import ERROR, FAILED, SUCCEEDED

# What a step process may take from this machine's environment (the pod's image has its own
# PATH and locale; credentials for a laptop come from the user's own environment).
PASSED_THROUGH = (
    *("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TZ"),
    *("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "TMPDIR"),
)
PASSED_PREFIXES = ("AZURE_", "ARM_", "TF_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_TAIL_BYTES = 64 * 1024
# How long an interrupted run waits for its steps (Terraform finishing what is in flight)
STOP_GRACE_SECONDS = 600.0
NOT_STARTED = "not started: the run was interrupted"


class PodError(RuntimeError):
    """A pod that cannot be made (a missing ConfigMap or Secret, an unmapped volume)."""


def expand_references(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: a defined variable's value, `$$` for a `$`, else as is."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)

    return _REFERENCE.sub(one, text)


@dataclass
class PathMap:
    """Image paths (prefixes) to folders on this machine."""

    prefixes: dict[str, Path] = field(default_factory=dict)

    def local(self, path: str) -> str:
        for prefix in sorted(self.prefixes, key=len, reverse=True):
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return str(self.prefixes[prefix]) + path[len(prefix.rstrip("/")) :]
        return path

    def with_more(self, more: Mapping[str, Path]) -> PathMap:
        return PathMap({**self.prefixes, **more})


@dataclass
class Artifacts:
    """Where output artifacts are kept, and the location a node's outputs record for them."""

    root: Path
    repository: Mapping[str, Any]

    def store(self, workflow: str, pod: str, name: str, source: Path) -> dict[str, Any]:
        key = f"{workflow}/{pod}/{name}.tgz"
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        azure = self.repository.get("azure") or {}
        return {
            "azure": {
                "endpoint": azure.get("endpoint", "local"),
                "container": azure.get("container", "local"),
                "blob": key,
            }
        }


@dataclass
class Stub:
    """A task that runs no process and ends with `phase` (`--stub TASK=PHASE`)."""

    phase: str


class LocalPods:
    """Runs container nodes as processes, at most `parallel` at a time; thread-safe results."""

    def __init__(
        self,
        *,
        run_dir: Path,
        workflow: str,
        paths: PathMap,
        config_maps: Mapping[str, Mapping[str, str]],
        secrets: Mapping[str, Mapping[str, str]],
        artifacts: Artifacts,
        extra_env: Mapping[str, str] | None = None,
        stubs: Mapping[str, Stub] | None = None,
        log: Any = None,
    ) -> None:
        self.run_dir = run_dir
        self.workflow = workflow
        self.paths = paths
        self.config_maps = config_maps
        self.secrets = secrets
        self.artifacts = artifacts
        self.extra_env = dict(extra_env or {})
        self.stubs = dict(stubs or {})
        self.log = log
        self.results: queue.Queue[PodResult] = queue.Queue()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stopped: set[str] = set()
        self._running = 0
        self._closing = False  # an interrupt began: no step starts any more
        self._lock = threading.Lock()
        self.logs: dict[str, Path] = {}
        self.seconds: dict[str, float] = {}  # each step process's wall time, by pod name
        self._paths: dict[str, PathMap] = {}
        self._names: dict[str, str] = {}  # node id: pod name, for what an interrupt says

    # -- the Executor protocol --------------------------------------------------------------

    def start(self, spec: PodSpec) -> None:
        stub = self.stubs.get(_task_of(spec))
        with self._lock:
            self._running += 1
        if stub is not None:
            outputs = stub_outputs(spec.template) if stub.phase == SUCCEEDED else None
            self._finish(
                PodResult(spec.node_id, stub.phase, "stubbed by idp local", outputs, time.time())
            )
            return
        try:
            command, env, pod_dir = self._prepare(spec)
        except (PodError, OSError) as exc:
            self._finish(PodResult(spec.node_id, ERROR, str(exc), None, time.time()))
            return
        worker = threading.Thread(target=self._run, args=(spec, command, env, pod_dir), daemon=True)
        worker.start()

    def wait(self, timeout: float | None) -> list[PodResult]:
        timeout = None if timeout is None else max(0.0, timeout)
        found: list[PodResult] = []
        try:
            found.append(self.results.get(timeout=timeout))
        except queue.Empty:
            return found
        while True:
            try:
                found.append(self.results.get_nowait())
            except queue.Empty:
                return found

    def running(self) -> int:
        with self._lock:
            return self._running

    def stop(self, node_ids: list[str] | None = None) -> list[PodResult]:
        """Kill the processes of these nodes (all when None); their results come as usual."""
        with self._lock:
            chosen = (
                list(self.processes)
                if node_ids is None
                else [n for n in node_ids if n in self.processes]
            )
            self.stopped.update(chosen)
            processes = [self.processes[n] for n in chosen]
        for process in processes:
            _kill(process)
        return []

    def interrupt(self, grace: float = STOP_GRACE_SECONDS) -> list[str]:
        """Stop every running step as Ctrl-C stops a program in a terminal: SIGINT to its
        process group (the step program and Terraform, which stops cleanly, saving its state
        and releasing its state lock), then wait until each has ended; what is still running
        after `grace` seconds is killed. Further interrupts while waiting do not cut the wait
        short. One line per step stopped, saying how it ended."""
        with self._lock:
            self._closing = True
            running = dict(self.processes)
            self.stopped.update(running)
        for process in running.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGINT)
        ends = time.monotonic() + grace
        said: list[str] = []
        for node_id, process in running.items():
            name = self._names.get(node_id, node_id)
            while True:
                try:
                    code = process.wait(timeout=max(0.0, ends - time.monotonic()))
                    said.append(f"{name} stopped (exit {code})")
                    break
                except subprocess.TimeoutExpired:
                    _kill(process)
                    process.wait()
                    said.append(f"{name} did not stop within {grace:g}s and was killed")
                    break
                except KeyboardInterrupt:
                    continue  # the steps are stopping; waiting for them is the point
            # its emptyDirs go now: the thread that would remove them may not get to it
            shutil.rmtree(self.run_dir / "pods" / name / "volumes", ignore_errors=True)
        return said

    # -- one pod ----------------------------------------------------------------------------

    def _finish(self, result: PodResult) -> None:
        with self._lock:
            self._running -= 1
            self.processes.pop(result.node_id, None)
        self.results.put(result)

    def _prepare(self, spec: PodSpec) -> tuple[list[str], dict[str, str], Path]:
        template = spec.template
        container = template["container"]
        pod_dir = self.run_dir / "pods" / spec.pod_name
        pod_dir.mkdir(parents=True, exist_ok=True)
        volumes: dict[str, Path] = {}
        for mount in container.get("volumeMounts") or []:
            folder = pod_dir / "volumes" / mount["name"]
            folder.mkdir(parents=True, exist_ok=True)
            volumes[mount["mountPath"]] = folder
        termination = container.get("terminationMessagePath", "/dev/termination-log")
        volumes[termination] = pod_dir / "termination-log"
        paths = self.paths.with_more(volumes)
        env = self._environment(container, paths)
        command = [*(container.get("command") or []), *(container.get("args") or [])]
        if not command:
            raise PodError(
                "the container has no command (the image's entrypoint is not known here)"
            )
        command = [paths.local(expand_references(part, env)) for part in command]
        if command[0] == "python":
            command[0] = sys.executable
        self._paths[spec.node_id] = paths
        self._names[spec.node_id] = spec.pod_name
        return command, env, pod_dir

    def _environment(self, container: Mapping[str, Any], paths: PathMap) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k in PASSED_THROUGH or k.startswith(PASSED_PREFIXES)
        }
        env.update(self.extra_env)
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                ref, found = source["configMapRef"], self.config_maps
            else:
                ref, found = source["secretRef"], self.secrets
            data = found.get(ref["name"])
            if data is None:
                if ref.get("optional"):
                    continue
                kind = "configmap" if "configMapRef" in source else "secret"
                raise PodError(f'{kind} "{ref["name"]}" not found')
            env.update({k: paths.local(str(v)) for k, v in data.items()})
        for item in container.get("env") or []:
            if "value" in item:
                env[item["name"]] = paths.local(expand_references(str(item["value"]), env))
                continue
            ref = (item.get("valueFrom") or {}).get("secretKeyRef") or {}
            value = self.secrets.get(ref.get("name", ""), {}).get(ref.get("key", ""))
            if value is None:
                if ref.get("optional"):
                    continue
                raise PodError(f'secret "{ref.get("name")}" key "{ref.get("key")}" not found')
            env[item["name"]] = value
        return env

    def _run(
        self, spec: PodSpec, command: Sequence[str], env: dict[str, str], pod_dir: Path
    ) -> None:
        paths = self._paths[spec.node_id]
        log_path = self.run_dir / "logs" / f"{spec.pod_name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.logs[spec.node_id] = log_path
        started = time.time()
        deadline = None if spec.deadline_seconds is None else started + spec.deadline_seconds
        deadline_message = spec.deadline_message
        try:
            with log_path.open("wb") as log, self._lock:
                # Started and recorded at once, and never once an interrupt began: a step in a
                # session of its own that `interrupt` does not see would outlive the run.
                process = None
                if not self._closing:
                    process = subprocess.Popen(
                        list(command),
                        cwd=pod_dir,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                    self.processes[spec.node_id] = process
        except OSError as exc:
            self._finish(
                PodResult(
                    spec.node_id,
                    ERROR,
                    f"main: failed to start: {exc.strerror or exc}",
                    None,
                    time.time(),
                )
            )
            return
        if process is None:
            shutil.rmtree(pod_dir / "volumes", ignore_errors=True)
            self._finish(PodResult(spec.node_id, FAILED, NOT_STARTED, None, time.time()))
            return
        timed_out = False
        began = time.perf_counter()
        while True:
            left = None if deadline is None else deadline - time.time()
            try:
                code = process.wait(timeout=None if left is None else max(left, 0.0))
                break
            except subprocess.TimeoutExpired:
                _kill(process)
                code = process.wait()
                timed_out = True
                break
        self.seconds[spec.pod_name] = time.perf_counter() - began
        result = self._result(spec, paths, code, timed_out, deadline_message, log_path)
        # A pod's emptyDirs go with the pod (a saved plan in its work folder holds every value
        # in clear): its log, outputs and artifacts are kept, its volumes are not.
        shutil.rmtree(pod_dir / "volumes", ignore_errors=True)
        self._finish(result)

    def _result(
        self,
        spec: PodSpec,
        paths: PathMap,
        code: int,
        timed_out: bool,
        deadline_message: str,
        log: Path,
    ) -> PodResult:
        now = time.time()
        if self.log is not None:
            _echo(self.log, spec.pod_name, log)
        with self._lock:
            stopped = spec.node_id in self.stopped
        outputs, missing = self._outputs(spec, paths)
        outputs["exitCode"] = str(code)
        if timed_out:
            return PodResult(spec.node_id, FAILED, deadline_message, outputs, now)
        if stopped:
            return PodResult(spec.node_id, FAILED, "", outputs, now)
        if code != 0:
            message = f"main: Error (exit code {code})"
            text = _termination_message(
                Path(
                    paths.local(
                        spec.template["container"].get(
                            "terminationMessagePath", "/dev/termination-log"
                        )
                    )
                )
            )
            if text:
                message += f": {text}"
            return PodResult(spec.node_id, FAILED, message, outputs, now)
        if missing:
            return PodResult(
                spec.node_id, ERROR, f"wait: Error (exit code 1): {missing}", outputs, now
            )
        return PodResult(spec.node_id, SUCCEEDED, "", outputs, now)

    def _outputs(self, spec: PodSpec, paths: PathMap) -> tuple[dict[str, Any], str]:
        declared = spec.template.get("outputs") or {}
        found: dict[str, Any] = {}
        missing = ""
        parameters = []
        mounts = [m["mountPath"] for m in spec.template["container"].get("volumeMounts") or []]
        for parameter in declared.get("parameters") or []:
            source = parameter.get("valueFrom") or {}
            if not source.get("path"):
                continue
            item = {k: v for k, v in parameter.items() if k != "valueFrom"}
            try:
                data = Path(paths.local(source["path"])).read_bytes()
                text = data.decode("utf-8", errors="replace")
            except OSError as exc:
                if source.get("default") is None:
                    # SaveParameters returns at the first file it cannot read: the parameters
                    # after it get no value
                    reason = exc.strerror or "no such file or directory"
                    reason = reason[:1].lower() + reason[1:]  # as Go says it
                    missing = f"open {_executor_path(source['path'], mounts)}: {reason}"
                    break
                text = str(source["default"])
            item["value"] = text[:-1] if text.endswith("\n") else text
            parameters.append(item)
        if parameters:
            found["parameters"] = parameters
        artifacts = []
        for artifact in declared.get("artifacts") or []:
            local = Path(paths.local(artifact["path"]))
            if not local.is_file():
                missing = missing or f"{artifact['path']}: no such file or directory"
                continue
            location = self.artifacts.store(self.workflow, spec.pod_name, artifact["name"], local)
            artifacts.append({"name": artifact["name"], "path": artifact["path"], **location})
        if artifacts:
            found["artifacts"] = artifacts
        return found, missing


def _executor_path(path: str, mounts: Sequence[str]) -> str:
    """Where the wait container reads an output parameter's file (`SaveParameters`): on a
    volume mount, through the main container's filesystem (`/mainctrfs`); else from what the
    emissary copied out of the image (`GetFileContents`)."""
    clean = posixpath.normpath(path)
    for mount in mounts:
        if clean == mount.rstrip("/") or clean.startswith(mount.rstrip("/") + "/"):
            return posixpath.normpath("/mainctrfs/" + clean)
    return posixpath.normpath("/var/run/argo/outputs/parameters/" + clean)


def output_parameters(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((template.get("outputs") or {}).get("parameters") or [])


def output_default(parameter: Mapping[str, Any]) -> Any:
    """An output parameter's `valueFrom.default` (None: it has none)."""
    return (parameter.get("valueFrom") or {}).get("default")


def stub_outputs(template: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a task stubbed Succeeded outputs: each output parameter's default (`idp local`
    refuses the stub of a template with an output parameter that has none)."""
    parameters = [
        {"name": p["name"], "value": str(output_default(p))}
        for p in output_parameters(template)
        if output_default(p) is not None
    ]
    return {"parameters": parameters} if parameters else None


def _task_of(spec: PodSpec) -> str:
    """The task a node belongs to: `wf.plan(0)` belongs to `plan`, `wf.onExit(0)` to `onExit`,
    an expanded task's `wf.check(0:name:web)` (and its retries) to `check` (an item's
    description holds no parentheses, `generateNodeName`, but may hold dots)."""
    name = re.sub(r"\([0-9]+\)$", "", spec.node_name)
    name = re.sub(r"\([0-9]+:[^()]*\)$", "", name)
    return name.rsplit(".", 1)[-1]


def _termination_message(path: Path) -> str:
    try:
        return " ".join(path.read_text(encoding="utf-8", errors="replace")[:4096].split())
    except OSError:
        return ""


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _echo(stream: Any, pod: str, log: Path) -> None:
    try:
        with log.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return
    for line in text.splitlines():
        print(f"    {pod}: {line}", file=stream)
