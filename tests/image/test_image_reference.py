"""One version: the reference `scripts/build-image` tags is the one every compiled template names.

idp.__version__ -> Settings.image_tag -> Settings.image -> `build-image --print-ref`, the image of
every WorkflowTemplate in `idp compile` output, and the image's version label (VERSION build-arg).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp import __version__
from idp.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
BUILD_IMAGE = ROOT / "scripts" / "build-image"
TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")

OVERRIDES = [
    pytest.param({}, id="defaults"),
    pytest.param({"IDP_IMAGE_TAG": "2.3.4-rc.1"}, id="tag"),
    pytest.param({"IDP_IMAGE_REPOSITORY": "registry.example.internal/idp/tools"}, id="repository"),
    pytest.param(
        {"IDP_IMAGE_REPOSITORY": "registry.example.internal/other", "IDP_IMAGE_TAG": "candidate"},
        id="both",
    ),
]


def clean_env(extra: dict[str, str], path_prefix: Path | None = None) -> dict[str, str]:
    """The process environment without the machine's IDP_* settings, plus `extra`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("IDP_")}
    if path_prefix is not None:
        env["PATH"] = f"{path_prefix}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )


def print_ref(env: dict[str, str], *extra: str, cwd: Path = ROOT) -> str:
    result = run([str(BUILD_IMAGE), "--print-ref", *extra], env, cwd)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"--print-ref must print exactly one line, got {result.stdout!r}"
    return lines[0]


def expected_ref(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> str:
    for key in [k for k in os.environ if k.startswith("IDP_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_settings().image


def test_the_default_tag_is_the_project_version(monkeypatch: pytest.MonkeyPatch) -> None:
    assert expected_ref(monkeypatch, {}).endswith(f":{__version__}")


@pytest.mark.parametrize("env", OVERRIDES)
def test_print_ref_is_the_settings_image(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert print_ref(clean_env(env)) == expected_ref(monkeypatch, env)


def test_print_ref_reads_the_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text("image_repository: registry.example.internal/from-file\n", encoding="utf-8")
    reference = f"registry.example.internal/from-file:{__version__}"
    assert print_ref(clean_env({}), "--config", str(config)) == reference
    # relative to where the command runs, and the environment still wins over the file
    relative = print_ref(clean_env({"IDP_IMAGE_TAG": "x1"}), "--config", "idp.yaml", cwd=tmp_path)
    assert relative == "registry.example.internal/from-file:x1"


def test_print_ref_reports_bad_settings_in_one_line() -> None:
    result = run([str(BUILD_IMAGE), "--print-ref"], clean_env({"IDP_IMAGE_TAG": "no spaces"}))
    assert result.returncode != 0
    assert result.stdout == ""
    assert "image_tag" in result.stderr and "Traceback" not in result.stderr


# --- the compiled templates ----------------------------------------------------------------------


def images_in(node: Any) -> Iterator[str]:
    """Every `image:` value anywhere below `node` (containers, scripts, containerSets, sidecars)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                yield value
            else:
                yield from images_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from images_in(item)


def compiled_templates(out: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    result = run([sys.executable, "-m", "idp.cli", "compile", "--out", str(out)], env)
    assert result.returncode == 0, result.stderr
    documents = [
        doc
        for path in sorted(out.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict)
    ]
    return [doc for doc in documents if doc.get("kind") in TEMPLATE_KINDS]


@pytest.mark.slow
@pytest.mark.parametrize("env", OVERRIDES)
def test_every_compiled_template_names_exactly_the_printed_reference(
    env: dict[str, str], tmp_path: Path
) -> None:
    templates = compiled_templates(tmp_path / "out", clean_env(env))
    assert templates, "idp compile wrote no WorkflowTemplate: nothing names the image yet"
    reference = print_ref(clean_env(env))
    for template in templates:
        name = template["metadata"]["name"]
        steps = [
            t
            for t in template["spec"].get("templates", [])
            if set(t) & {"container", "script", "containerSet"}
        ]
        assert steps, f"{name}: no template runs a container"
        for step in steps:
            assert set(images_in(step)) == {reference}, f"{name}/{step.get('name')}"
    named = {image for template in templates for image in images_in(template)}
    assert named == {reference}


# --- the build command, with a stand-in engine ----------------------------------------------------


def fake_engine(folder: Path, name: str) -> Path:
    """An executable `name` that records its arguments, one call a line, and succeeds."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{name}.log"
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


@pytest.mark.parametrize("engine", ["podman", "buildah"])
def test_build_tags_the_reference_and_labels_the_project_version(
    engine: str, tmp_path: Path
) -> None:
    log = fake_engine(tmp_path / "bin", engine)
    env = clean_env(
        {"IDP_IMAGE_TAG": "9.8.7", "IDP_IMAGE_SOURCE": "https://user:secret@example.org/idp.git"},
        tmp_path / "bin",
    )
    result = run([str(BUILD_IMAGE), "--engine", engine, "--push", "--platform", "linux/amd64"], env)
    assert result.returncode == 0, result.stderr
    calls = log.read_text(encoding="utf-8").splitlines()
    build, push = calls
    assert build.split()[0] == ("bud" if engine == "buildah" else "build")
    reference = print_ref(clean_env({"IDP_IMAGE_TAG": "9.8.7"}))
    assert reference.endswith(":9.8.7")
    assert f"--tag {reference}" in build
    assert f"--build-arg VERSION={__version__}" in build
    assert "--build-arg SOURCE=https://example.org/idp.git" in build, (
        "credentials must not reach a label"
    )
    assert "--build-arg REVISION=" in build
    assert "--file images/platform-tools/Dockerfile" in build and build.endswith(" .")
    assert "--platform linux/amd64" in build
    assert push.split() == ["push", reference]


def test_several_platforms_need_push(tmp_path: Path) -> None:
    log = fake_engine(tmp_path / "bin", "podman")
    env = clean_env({}, tmp_path / "bin")
    result = run(
        [str(BUILD_IMAGE), "--engine", "podman", "--platform", "linux/amd64,linux/arm64"], env
    )
    assert result.returncode != 0 and "--push" in result.stderr
    assert not log.exists()


def test_an_unknown_engine_is_refused(tmp_path: Path) -> None:
    result = run([str(BUILD_IMAGE), "--engine", "rkt"], clean_env({}))
    assert result.returncode == 2
    assert "unknown engine 'rkt'" in result.stderr


def test_extra_build_args_pass_through_but_not_the_version(tmp_path: Path) -> None:
    log = fake_engine(tmp_path / "bin", "podman")
    env = clean_env({}, tmp_path / "bin")
    extra = ["--build-arg", f"KUBELOGIN_SHA256_ARM64={'a' * 64}", "--platform", "linux/arm64"]
    result = run([str(BUILD_IMAGE), "--engine", "podman", *extra], env)
    assert result.returncode == 0, result.stderr
    (build,) = log.read_text(encoding="utf-8").splitlines()
    assert f"--build-arg KUBELOGIN_SHA256_ARM64={'a' * 64}" in build
    assert f"--build-arg VERSION={__version__}" in build
    refused = run([str(BUILD_IMAGE), "--engine", "podman", "--build-arg", "VERSION=9.9.9"], env)
    assert refused.returncode == 2 and "VERSION" in refused.stderr
    assert len(log.read_text(encoding="utf-8").splitlines()) == 1
