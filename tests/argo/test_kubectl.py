"""The objects the Argo Server does not manage: kubectl when it has a context, else the command.

A fake `kubectl` (a script first on PATH) records its arguments and stdin; no test reaches a
real cluster.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp.argo.client import MANAGED_KINDS
from idp.cli import main
from idp.compile import build
from idp.errors import EXIT_FAILURE, EXIT_NOT_APPLIED
from idp.manifests import Manifest, file_name
from idp.settings import load_settings
from tests.argo.fake_argo import FakeArgo

FAKE_KUBECTL = f"""#!{sys.executable}
import json, os, sys
args = sys.argv[1:]
stdin = sys.stdin.read() if args[-2:] == ["-f", "-"] else None
with open(os.environ["FAKE_KUBECTL_LOG"], "a") as log:
    log.write(json.dumps({{"args": args, "stdin": stdin}}) + "\\n")
if args == ["config", "current-context"]:
    context = os.environ.get("FAKE_KUBECTL_CONTEXT", "")
    if not context:
        sys.exit("error: current-context is not set")
    print(context)
elif "apply" in args:
    code = int(os.environ.get("FAKE_KUBECTL_APPLY_EXIT", "0"))
    if code:
        denied = "roles.rbac.authorization.k8s.io is forbidden"
        print("Error from server (Forbidden): " + denied, file=sys.stderr)
        sys.exit(code)
    for document in stdin.split("---\\n"):
        kind = [l.split(": ")[1] for l in document.splitlines() if l.startswith("kind: ")][0]
        print(kind.lower() + "/x serverside-applied")
elif "diff" in args:
    diff = os.environ.get("FAKE_KUBECTL_DIFF", "")
    print(diff)
    sys.exit(1 if diff else 0)
elif "get" in args:
    namespace = args[args.index("-n") + 1]
    print(json.loads(os.environ.get("FAKE_KUBECTL_GET", "{{}}")).get(namespace, ""))
"""


@pytest.fixture
def kubectl_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake kubectl alone on PATH, with the context `kind-idp`; returns its log."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "kubectl"
    script.write_text(FAKE_KUBECTL)
    script.chmod(0o755)
    log = tmp_path / "kubectl.log"
    log.touch()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("FAKE_KUBECTL_LOG", str(log))
    monkeypatch.setenv("FAKE_KUBECTL_CONTEXT", "kind-idp")
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def others() -> list[Manifest]:
    return [m for m in build(load_settings()) if m["kind"] not in MANAGED_KINDS]


def test_kubectl_with_a_context_applies_the_other_objects_server_side(
    fake: FakeArgo, kubectl_log: Path
) -> None:
    assert main(["submit"]) == 0
    probe, apply = calls(kubectl_log)
    assert probe["args"] == ["config", "current-context"]
    assert apply["args"] == [
        "--context",
        "kind-idp",
        "apply",
        "--server-side",
        "--field-manager=idp",
        "-f",
        "-",
    ]
    assert isinstance(apply["stdin"], str)
    assert list(yaml.safe_load_all(apply["stdin"])) == others()


def test_submit_says_kubectl_applied_them_and_in_which_context(
    fake: FakeArgo, kubectl_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit"]) == 0
    out = capsys.readouterr().out
    assert f"kubectl   context kind-idp: applied {len(others())} objects" in out
    assert "kubectl apply --server-side" in out


def test_a_failing_kubectl_stops_before_the_argo_server_is_written(
    fake: FakeArgo,
    kubectl_log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FAKE_KUBECTL_APPLY_EXIT", "1")
    assert main(["submit"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert err == (
        "idp: kubectl apply --server-side (context kind-idp) failed with exit 1: Error from "
        "server (Forbidden): roles.rbac.authorization.k8s.io is forbidden; nothing was sent to "
        "the Argo Server\n"
    )
    assert fake.writes() == []


def test_dry_run_asks_kubectl_diff_and_lists_what_differs(
    fake: FakeArgo,
    kubectl_log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ns = load_settings().namespace
    monkeypatch.setenv(
        "FAKE_KUBECTL_DIFF",
        f"diff -u -N LIVE-1/argoproj.io.v1alpha1.EventBus.{ns}.default "
        f"MERGED-2/argoproj.io.v1alpha1.EventBus.{ns}.default\n+  replicas: 3",
    )
    assert main(["submit", "--dry-run"]) == 0
    assert [c["args"][2] for c in calls(kubectl_log)[1:]] == ["diff"]
    out = capsys.readouterr().out
    assert f"finds 1 of {len(others())} objects" in out
    assert "  would apply EventBus/default" in out


def test_kubectl_without_a_context_is_not_used_and_the_command_is_printed(
    fake: FakeArgo,
    kubectl_log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("FAKE_KUBECTL_CONTEXT")
    assert main(["submit"]) == EXIT_NOT_APPLIED
    assert [c["args"] for c in calls(kubectl_log)] == [["config", "current-context"]]
    assert "kubectl apply --server-side" in capsys.readouterr().out


def test_no_kubectl_flag_never_runs_kubectl(fake: FakeArgo, kubectl_log: Path) -> None:
    assert main(["submit", "--no-kubectl"]) == EXIT_NOT_APPLIED
    assert calls(kubectl_log) == []


def test_without_kubectl_the_exact_command_names_every_file(
    fake: FakeArgo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit"]) == EXIT_NOT_APPLIED
    out = capsys.readouterr().out.splitlines()
    [command] = [line.strip() for line in out if line.startswith("  idp ")]
    files = " ".join(f"-f dist/{file_name(m)}" for m in others())
    assert command == (
        "idp compile --out dist && kubectl apply --server-side --field-manager=idp " + files
    )


def test_the_printed_command_keeps_the_settings_file(
    fake: FakeArgo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "platform.yaml"
    config.write_text("approval_timeout: 8h\n")
    assert main(["--config", str(config), "submit"]) == EXIT_NOT_APPLIED
    assert f"  idp --config {config} compile --out dist && " in capsys.readouterr().out


def test_prune_deletes_with_kubectl_the_labelled_objects_the_catalog_lacks(
    fake: FakeArgo, kubectl_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = load_settings().namespace
    kept = [
        f"{m['kind']}/{m['metadata']['name']}"
        for m in others()
        if m["metadata"]["namespace"] == namespace
    ]
    listed = {namespace: "\n".join([*kept, "ConfigMap/retired-settings"])}
    monkeypatch.setenv("FAKE_KUBECTL_GET", json.dumps(listed))
    assert main(["submit", "--prune"]) == 0
    _, get, delete = calls(kubectl_log)[2:]
    assert get["args"][2:7] == ["get", get["args"][3], "-n", namespace, "-l"]
    assert get["args"][7] == "app.kubernetes.io/part-of=idp"
    assert delete["args"][2:] == ["delete", "-n", namespace, "ConfigMap/retired-settings"]


def test_prune_looks_in_each_namespace_for_the_kinds_compiled_there(
    fake: FakeArgo,
    kubectl_log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = load_settings()
    elsewhere = settings.argo_server_namespace
    listed = {elsewhere: f"ServiceAccount/{settings.approver_service_account}\nServiceAccount/old"}
    monkeypatch.setenv("FAKE_KUBECTL_GET", json.dumps(listed))
    assert main(["submit", "--prune"]) == 0
    made = [c["args"][2:] for c in calls(kubectl_log)[1:]]
    assert [(m[1], m[3]) for m in made if m[0] == "get"] == [
        ("secret,serviceaccount", elsewhere),
        ("configmap,cronworkflow,eventbus,role,rolebinding,serviceaccount", settings.namespace),
    ]
    assert [m for m in made if m[0] == "delete"] == [
        ["delete", "-n", elsewhere, "ServiceAccount/old"]
    ]
    assert f"deleted           ServiceAccount/old in namespace {elsewhere}" in (
        capsys.readouterr().out
    )


def test_a_dry_run_prune_with_kubectl_deletes_nothing(
    fake: FakeArgo,
    kubectl_log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    listed = {load_settings().namespace: "ConfigMap/retired-settings"}
    monkeypatch.setenv("FAKE_KUBECTL_GET", json.dumps(listed))
    assert main(["submit", "--prune", "--dry-run"]) == 0
    assert "delete" not in [c["args"][2] for c in calls(kubectl_log)[1:]]
    assert "would be deleted  ConfigMap/retired-settings" in capsys.readouterr().out
