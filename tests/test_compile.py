"""`idp compile`: complete, deterministic output that replaces the folder as a whole."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from idp.cli import main
from idp.compile import MARKER, CompileError, compile_to, render_files, write
from idp.manifests import Manifest, file_name, to_yaml
from idp.settings import ENVIRONMENTS, Settings


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_output_is_byte_identical_on_every_run(tmp_path: Path, settings: Settings) -> None:
    compile_to(tmp_path / "a", settings)
    compile_to(tmp_path / "b", settings)
    first = snapshot(tmp_path / "a")
    compile_to(tmp_path / "a", settings)
    assert snapshot(tmp_path / "a") == first == snapshot(tmp_path / "b")


def test_kustomization_lists_every_object_file(tmp_path: Path, settings: Settings) -> None:
    compile_to(tmp_path / "out", settings)
    kustomization = yaml.safe_load((tmp_path / "out" / "kustomization.yaml").read_text())
    written = sorted(p.name for p in (tmp_path / "out").glob("*.yaml"))
    assert kustomization["resources"] == [n for n in written if n != "kustomization.yaml"]


def test_each_file_holds_the_object_it_is_named_after(manifests: list[Manifest]) -> None:
    for name, text in render_files(manifests).items():
        if name != "kustomization.yaml":
            assert file_name(yaml.safe_load(text)) == name


def test_stale_files_it_wrote_are_removed(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "dist"
    write({"workflowtemplate-retired.yaml": "kind: WorkflowTemplate\n"}, out)
    compile_to(out, settings)
    assert not (out / "workflowtemplate-retired.yaml").exists()
    assert (out / "kustomization.yaml").is_file()


def test_a_file_a_person_put_in_the_output_is_refused_by_name_and_nothing_changes(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    compile_to(out, settings)
    (out / "my-notes.yaml").write_text("mine\n")
    before = snapshot(out)
    assert main(["compile", "--out", str(out)]) == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"idp: --out {out}: my-notes.yaml was not written by idp compile")
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_a_folder_a_person_put_in_the_output_is_refused_by_name(
    tmp_path: Path, settings: Settings
) -> None:
    out = tmp_path / "dist"
    compile_to(out, settings)
    (out / "overlays").mkdir()
    with pytest.raises(CompileError, match="overlays was not written by idp compile"):
        compile_to(out, settings)
    assert (out / "overlays").is_dir()


def test_a_file_changed_since_it_was_written_is_refused_by_name(
    tmp_path: Path, settings: Settings
) -> None:
    out = tmp_path / "dist"
    compile_to(out, settings)
    (out / "kustomization.yaml").write_text("edited by hand\n")
    with pytest.raises(CompileError, match=r"kustomization\.yaml was changed since idp compile"):
        compile_to(out, settings)
    assert (out / "kustomization.yaml").read_text() == "edited by hand\n"


def test_the_marker_lists_every_file_written_with_its_sha256(
    tmp_path: Path, settings: Settings
) -> None:
    names = compile_to(tmp_path / "out", settings)
    listed = (tmp_path / "out" / MARKER).read_text().splitlines()[1:]
    assert listed == [
        f"{hashlib.sha256((tmp_path / 'out' / n).read_bytes()).hexdigest()}  {n}" for n in names
    ]


def test_an_older_marker_vouches_only_for_the_names_this_compile_writes(
    tmp_path: Path, settings: Settings
) -> None:
    out = tmp_path / "dist"
    compile_to(out, settings)
    (out / MARKER).write_text("written by idp compile; replaced on every run\n")
    (out / "workflowtemplate-retired.yaml").write_text("kind: WorkflowTemplate\n")
    with pytest.raises(CompileError, match=r"workflowtemplate-retired\.yaml was not written"):
        compile_to(out, settings)
    (out / "workflowtemplate-retired.yaml").unlink()
    compile_to(out, settings)
    assert (out / MARKER).read_text().startswith("written by idp compile")


def test_a_folder_it_did_not_write_is_left_alone(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CompileError, match="was not written by idp compile"):
        compile_to(tmp_path, settings)
    assert snapshot(tmp_path) == {"notes.txt": b"mine"}


def test_a_write_that_fails_midway_keeps_the_previous_output(
    tmp_path: Path, settings: Settings
) -> None:
    out = tmp_path / "dist"
    compile_to(out, settings)
    before = snapshot(out)
    with pytest.raises(CompileError, match="cannot write"):
        write({"a.yaml": "kind: A\n", "missing-folder/b.yaml": "kind: B\n"}, out)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_cli_compile_writes_the_folder(tmp_path: Path) -> None:
    assert main(["compile", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / MARKER).is_file()
    assert (tmp_path / "out" / "kustomization.yaml").is_file()


def test_every_object_lives_in_the_settings_namespace_but_the_approver_account_and_token(
    manifests: list[Manifest], settings: Settings
) -> None:
    """SSO RBAC accounts live where the Argo Server runs (idp.approvers)."""
    elsewhere = {
        (m["kind"], m["metadata"]["name"])
        for m in manifests
        if m["metadata"]["namespace"] != settings.namespace
    }
    assert elsewhere == {
        ("ServiceAccount", settings.approver_service_account),
        ("Secret", f"{settings.approver_service_account}.service-account-token"),
    }
    assert {m["metadata"]["namespace"] for m in manifests} == {
        settings.namespace,
        settings.argo_server_namespace,
    }


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kubectl_kustomize_accepts_the_output(tmp_path: Path, settings: Settings) -> None:
    names = compile_to(tmp_path / "out", settings)
    result = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path / "out")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    built = list(yaml.safe_load_all(result.stdout))
    assert len(built) == len(names) - 1


def test_yaml_style_does_not_depend_on_whether_hera_was_imported() -> None:
    sample = {"multi": "line one\nline two", "letter": "y", "plain": "text"}
    script = (
        "import sys, json; from idp.manifests import to_yaml; "
        "assert 'hera' not in sys.modules; "
        f"sys.stdout.write(to_yaml(json.loads({json.dumps(json.dumps(sample))})))"
    )
    alone = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert alone == to_yaml(sample)
    assert alone == "multi: |-\n  line one\n  line two\nletter: 'y'\nplain: text\n"


WORKING = {
    "subscription_id": "00000000-0000-0000-0000-0000000000a1",
    "azure_client_id": "00000000-0000-0000-0000-0000000000c1",
    "image_repository": "registry.example.org/platform/platform-tools",
    "argo_ui_url": "https://argo.platform.example.org",
}


def strict_compile(tmp_path: Path, settings: Mapping[str, object]) -> int:
    config = tmp_path / "platform.yaml"
    config.write_text(yaml.safe_dump(settings))
    return main(["--config", str(config), "compile", "--strict", "--out", str(tmp_path / "out")])


def test_strict_compile_accepts_settings_that_can_work(tmp_path: Path) -> None:
    assert strict_compile(tmp_path, WORKING) == 0


@pytest.mark.parametrize(
    ("missing", "why"),
    [
        ("subscription_id", "nothing else supplies the subscription"),
        ("azure_client_id", "the steps need the identity's client id"),
        ("image_repository", "is the example placeholder"),
        ("argo_ui_url", "is the example placeholder"),
    ],
)
def test_strict_compile_refuses_a_setting_that_cannot_work_saying_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], missing: str, why: str
) -> None:
    settings = {k: v for k, v in WORKING.items() if k != missing}
    assert strict_compile(tmp_path, settings) != 0
    err = capsys.readouterr().err
    assert err.startswith("idp: settings cannot work on a cluster: settings.")
    assert f"settings.{missing}: " in err and why in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_per_environment_subscriptions_satisfy_strict_compile(tmp_path: Path) -> None:
    settings: dict[str, object] = {k: v for k, v in WORKING.items() if k != "subscription_id"}
    sub = "00000000-0000-0000-0000-0000000000{:02d}"
    settings["environments"] = {
        env: {"subscription_id": sub.format(i)} for i, env in enumerate(ENVIRONMENTS)
    }
    assert strict_compile(tmp_path, settings) == 0


def test_compile_of_the_defaults_works_and_notes_the_placeholders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", "--out", str(tmp_path / "out")]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "idp: note:" in line]
    assert len(notes) == 4
    assert all(line.endswith("(idp compile --strict refuses this)") for line in notes)


def test_a_dot_old_folder_beside_the_output_is_never_removed(
    tmp_path: Path, settings: Settings
) -> None:
    out = tmp_path / "dist"
    compile_to(out, settings)
    mine = tmp_path / ".dist.old"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    compile_to(out, settings)
    compile_to(out, settings)
    assert (mine / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dist.old", "dist"]


def test_an_out_whose_parent_is_a_file_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["compile", "--out", str(tmp_path / "file" / "dist")]) == 1
    err = capsys.readouterr().err
    assert "cannot write in" in err
    assert "internal error" not in err


def test_an_unwritable_parent_is_one_clear_error(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("idp.compile.tempfile.mkdtemp", refused)
    with pytest.raises(CompileError, match=r"cannot write in .* \(Permission denied\)"):
        compile_to(tmp_path / "dist", settings)
