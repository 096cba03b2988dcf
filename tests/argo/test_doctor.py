"""`idp doctor` against the fake Argo Server and a scripted kubectl that reads a cluster's state
from a JSON file: green on a cluster set up as docs/cluster.md says, and one failing line with
its fix for each thing missing."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp.cli import main
from idp.errors import EXIT_CHECKS_FAILED, EXIT_NOT_APPLIED
from tests.argo.fake_argo import FakeArgo

# Each test compiles the platform and asks a fake cluster: slow (`-m 'not slow'` leaves it out).
pytestmark = pytest.mark.slow

NS = "argo-events"
ARGO = "argo"
APPROVER_ANNOTATIONS = {
    "workflows.argoproj.io/rbac-rule": "'platform-approvers' in $env?.groups",
    "workflows.argoproj.io/rbac-rule-precedence": "1",
}
APPROVER_TOKEN = "idp-approver.service-account-token"
CLIENT_ID = "00000000-0000-0000-0000-0000000000c1"
SETTINGS = {
    "subscription_id": "00000000-0000-0000-0000-0000000000a1",
    "azure_client_id": CLIENT_ID,
    "image_repository": "registry.example.org/platform/platform-tools",
    "argo_ui_url": "https://argo.platform.example.org",
}
KUBECTL = f"""#!{sys.executable}
import json, os, sys
args = sys.argv[1:]
state = json.load(open(os.environ["FAKE_CLUSTER"]))
if args == ["config", "current-context"]:
    print("kind-idp")
    sys.exit(0)
if args[0] == "--context":
    args = args[2:]
ns = "_"
if args[0] == "-n":
    ns, args = args[1], args[2:]
assert args[0] == "get", args
kind, rest = args[1], args[2:]
if kind == "secret":
    keys = state["secrets"].get(rest[0])
    if keys is None:
        sys.exit('Error from server (NotFound): secrets "' + rest[0] + '" not found')
    print("\\n".join(keys))
elif rest[0] != "-o":
    found = state["objects"].get(ns + "/" + kind + "/" + rest[0])
    if found is None:
        sys.exit("Error from server (NotFound)")
    print(json.dumps(found))
else:
    prefix = ns + "/" + kind + "/"
    print(json.dumps({{"items": [o for k, o in state["objects"].items() if k.startswith(prefix)]}}))
"""


def sa(name: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "annotations": annotations or {}}}


def ready_cluster() -> dict[str, Any]:
    """A cluster set up as the guide says."""
    objects: dict[str, Any] = {
        f"_/namespace/{NS}": {},
        **{
            f"_/crd/{crd}": {}
            for crd in (
                "workflows.argoproj.io",
                "workflowtemplates.argoproj.io",
                "eventsources.argoproj.io",
                "sensors.argoproj.io",
                "eventbus.argoproj.io",
            )
        },
        f"{NS}/eventbus/default": {},
        f"{NS}/configmap/idp-step-settings": {},
        f"{NS}/configmap/artifact-repositories": {},
        f"{NS}/serviceaccount/idp-workflow": sa(
            "idp-workflow", {"azure.workload.identity/client-id": CLIENT_ID}
        ),
        f"{NS}/serviceaccount/idp-sensor": sa("idp-sensor"),
        f"{NS}/serviceaccount/idp-admin": sa("idp-admin"),
        f"{ARGO}/serviceaccount/idp-approver": sa("idp-approver", APPROVER_ANNOTATIONS),
        "_/mutatingwebhookconfiguration/azure-wi-webhook-mutating-webhook-configuration": {},
    }
    secrets = {"webhook-token": ["token"], APPROVER_TOKEN: ["ca.crt", "namespace", "token"]}
    return {"objects": objects, "secrets": secrets}


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The scripted kubectl alone on PATH; edit the returned state, then call `doctor`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "kubectl"
    script.write_text(KUBECTL)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("FAKE_CLUSTER", str(tmp_path / "cluster.json"))
    return ready_cluster()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(SETTINGS))
    return path


@pytest.fixture
def submitted(fake: FakeArgo, config: Path, capsys: pytest.CaptureFixture[str]) -> FakeArgo:
    """The fake server after idp submit: every template, event source and sensor there."""
    assert main(["submit", "--no-kubectl", "--config", str(config)]) == EXIT_NOT_APPLIED
    capsys.readouterr()
    return fake


Doctor = Callable[..., tuple[int, dict[str, str]]]


@pytest.fixture
def doctor(
    submitted: FakeArgo, cluster: dict[str, Any], config: Path, capsys: pytest.CaptureFixture[str]
) -> Doctor:
    """Runs `idp doctor` on the state of `cluster` as the test left it; returns the exit code
    and each check's name -> its line."""

    def run(*extra: str, settings: Path = config) -> tuple[int, dict[str, str]]:
        Path(os.environ["FAKE_CLUSTER"]).write_text(json.dumps(cluster))
        code = main(["doctor", "--config", str(settings), *extra])
        lines = capsys.readouterr().out.splitlines()
        return code, {line.split()[1]: line for line in lines}

    return run


def test_doctor_is_green_on_a_cluster_set_up_as_the_guide_says(
    doctor: Doctor, cluster: dict[str, Any]
) -> None:
    code, lines = doctor()
    assert code == 0, "\n".join(lines.values())
    assert all(line.startswith("ok ") for line in lines.values())
    assert {"argo-server", "argo-token", "namespace", "crds", "secret/webhook-token"} <= set(lines)


def test_a_missing_secret_fails_with_the_command_that_creates_it(
    doctor: Doctor, cluster: dict[str, Any]
) -> None:
    del cluster["secrets"]["webhook-token"]
    code, lines = doctor()
    assert code == EXIT_CHECKS_FAILED
    line = lines["secret/webhook-token"]
    assert line.startswith("FAIL  secret/webhook-token")
    assert f"kubectl -n {NS} create secret generic webhook-token --from-file=token=" in line


def test_a_secret_without_its_key_fails(doctor: Doctor, cluster: dict[str, Any]) -> None:
    cluster["secrets"]["webhook-token"] = ["bearer"]
    _, lines = doctor()
    assert "lacks the key token" in lines["secret/webhook-token"]


def test_a_missing_template_fails_saying_submit(doctor: Doctor, submitted: FakeArgo) -> None:
    del submitted.store[("workflow-templates", NS, "compute-provision-workflow")]
    code, lines = doctor()
    assert code == EXIT_CHECKS_FAILED
    assert "missing; fix: idp submit" in lines["WorkflowTemplate/compute-provision-workflow"]


def test_another_argo_version_fails(doctor: Doctor, submitted: FakeArgo) -> None:
    submitted.version = "v3.6.5"
    _, lines = doctor()
    assert "Argo Workflows v3.6.5 is not a supported release" in lines["argo-server"]


def test_a_token_that_is_refused_fails_naming_idp_admin(
    doctor: Doctor, submitted: FakeArgo
) -> None:
    submitted.token = "the-real-one"
    _, lines = doctor()
    assert lines["argo-token"].startswith("FAIL  argo-token")
    assert "create token idp-admin" in lines["argo-token"]


def test_no_argo_server_fails_with_the_port_forward(
    cluster: dict[str, Any], config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(os.environ["FAKE_CLUSTER"]).write_text(json.dumps(cluster))
    code = main(["doctor", "--config", str(config)])
    lines = {line.split()[1]: line for line in capsys.readouterr().out.splitlines()}
    assert code == EXIT_CHECKS_FAILED
    assert "kubectl -n argo port-forward svc/argo-server 2746:2746" in lines["argo-server"]


def test_a_service_account_without_the_client_id_fails(
    doctor: Doctor, cluster: dict[str, Any]
) -> None:
    cluster["objects"][f"{NS}/serviceaccount/idp-workflow"] = sa("idp-workflow")
    _, lines = doctor()
    assert "annotation azure.workload.identity/client-id" in lines["serviceaccount/idp-workflow"]


def test_a_missing_approver_account_fails_naming_the_argo_servers_namespace(
    doctor: Doctor, cluster: dict[str, Any]
) -> None:
    del cluster["objects"][f"{ARGO}/serviceaccount/idp-approver"]
    code, lines = doctor()
    assert code == EXIT_CHECKS_FAILED
    line = lines["serviceaccount/idp-approver"]
    assert line.startswith("FAIL  serviceaccount/idp-approver")
    assert "missing in namespace argo" in line
    assert "docs/cluster.md#9-sso-and-approvers" in line


def test_an_approver_account_with_another_rule_fails_naming_the_annotation(
    doctor: Doctor, cluster: dict[str, Any]
) -> None:
    hand_written = {**APPROVER_ANNOTATIONS}
    hand_written["workflows.argoproj.io/rbac-rule"] = "'platform-approvers' in groups"
    cluster["objects"][f"{ARGO}/serviceaccount/idp-approver"] = sa("idp-approver", hand_written)
    _, lines = doctor()
    assert (
        "annotation workflows.argoproj.io/rbac-rule is not \"'platform-approvers' in $env?.groups\""
    ) in lines["serviceaccount/idp-approver"]


def test_an_approver_token_secret_kubernetes_has_not_filled_fails(
    doctor: Doctor, cluster: dict[str, Any]
) -> None:
    cluster["secrets"][APPROVER_TOKEN] = []
    _, lines = doctor()
    assert "holds no token yet" in lines[f"secret/{APPROVER_TOKEN}"]


def test_a_missing_approver_token_secret_fails(doctor: Doctor, cluster: dict[str, Any]) -> None:
    del cluster["secrets"][APPROVER_TOKEN]
    _, lines = doctor()
    assert "missing in namespace argo" in lines[f"secret/{APPROVER_TOKEN}"]


def test_placeholder_settings_fail_as_strict_compile_would(doctor: Doctor, tmp_path: Path) -> None:
    defaults = tmp_path / "defaults.yaml"
    defaults.write_text("{}\n")
    _, lines = doctor(settings=defaults)
    assert lines["settings.image_repository"].startswith("FAIL")
    assert lines["settings.argo_ui_url"].startswith("FAIL")


def test_without_kubectl_the_cluster_checks_are_skipped_saying_so(
    submitted: FakeArgo, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "skip  kubectl" in out
    assert "install kubectl" in out


def test_doctor_prints_its_checks_as_json(
    submitted: FakeArgo,
    cluster: dict[str, Any],
    config: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path(os.environ["FAKE_CLUSTER"]).write_text(json.dumps(cluster))
    assert main(["doctor", "--config", str(config), "-o", "json"]) == 0
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert {c["state"] for c in checks} == {"ok"}
