"""docs/backstage.md, run: every command the page shows runs here, in order, in a folder laid
out as the page says, and prints what the page shows; its files are what the commands write.

A shown output line must appear among the lines printed (trailing spaces aside); a line with
`...` stands for any line that starts with what comes before it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp import backstage
from idp.cli import main
from idp.contract import ComputeRequest
from idp.settings import load_settings
from tests.scaffolder import render

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "backstage.md"
IDP = ".venv/bin/idp"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.M | re.S)


@dataclass(frozen=True)
class Command:
    argv: list[str]
    shown: list[str]


def blocks(language: str) -> list[str]:
    return [text for lang, text in _BLOCK.findall(PAGE.read_text()) if lang == language]


def commands() -> list[Command]:
    """Each `$ ` line of the page's console blocks (joined over `\\` line ends), with the
    lines shown after it."""
    found: list[Command] = []
    for block in blocks("console"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("$ "):
                found.append(Command(shlex.split(line[2:]), []))
            elif line.strip():
                found[-1].shown.append(line.rstrip())
    return found


def block_with(language: str, text: str) -> str:
    (found,) = [block for block in blocks(language) if text in block]
    return found


def run(command: Command) -> str:
    assert command.argv[0] == IDP, f"{command.argv}: the page shows only idp commands"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(command.argv[1:])
    printed = out.getvalue() + err.getvalue()
    assert code == 0, f"{shlex.join(command.argv)} exited {code}:\n{printed}"
    return printed


def missing(shown: list[str], printed: str) -> list[str]:
    lines = [line.rstrip() for line in printed.splitlines()]
    return [
        line
        for line in shown
        if not any(
            actual.startswith(line.split("...")[0]) if "..." in line else actual == line
            for actual in lines
        )
    ]


@pytest.fixture
def walkthrough_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checkov: str) -> Path:
    """A folder laid out as the page says: the settings file, the body as request.json, and the
    repository's tests/ (for --modules tests/fixtures/terraform). No setting of this machine."""
    for name in list(os.environ):
        if name.startswith(("IDP_", "AZURE_", "ARM_")) and "UPSTREAM" not in name:
            monkeypatch.delenv(name)
    monkeypatch.setenv("IDP_CHECKOV", checkov)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "platform.yaml").write_text(block_with("yaml", "backstage_templates: true"))
    (tmp_path / "request.json").write_text(block_with("json", '"request_id"'))
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_command_on_the_page_runs_and_prints_what_the_page_shows(
    walkthrough_folder: Path,
) -> None:
    shown = commands()
    assert [c.argv[3] if c.argv[1] == "--config" else c.argv[1] for c in shown] == [
        "backstage",
        "compile",
        "validate",
        "render",
        "local",
    ]
    for command in shown:
        printed = run(command)
        assert missing(command.shown, printed) == [], shlex.join(command.argv)
    compiled = walkthrough_folder / "dist" / "backstage"
    assert (compiled / "template-compute.yaml").read_text() == (
        walkthrough_folder / "template-compute.yaml"
    ).read_text()


def test_the_snippet_on_the_page_is_the_one_idp_writes(tmp_path: Path) -> None:
    settings = load_settings(env={})
    shown = yaml.safe_load(block_with("yaml", "proxy:"))
    assert shown == backstage.proxy_snippet(settings)


def test_the_body_on_the_page_is_what_the_template_posts_for_the_example() -> None:
    settings = load_settings(env={})
    request: dict[str, Any] = json.loads(
        (ROOT / "examples" / "requests" / "compute.json").read_text()
    )
    template = backstage.template(ComputeRequest, settings)
    defaults = {
        name: prop["default"]
        for page in template["spec"]["parameters"]
        for name, prop in page["properties"].items()
        if "default" in prop
    }
    # the request itself, after its preview: the developer picks provision
    chosen = {k: v for k, v in request.items() if k != "request_id"} | {"action": "provision"}
    values = defaults | chosen
    ctx = {"parameters": values, "context": {"task": {"id": request["request_id"]}}, "user": {}}
    posted = render(template["spec"]["steps"][0], ctx)["input"]["body"]
    assert json.loads(block_with("json", '"request_id"')) == posted


def test_the_page_names_the_link_the_task_shows() -> None:
    settings = load_settings(env={}).model_copy(update={"argo_ui_url": "https://argo.example.org"})
    request_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    template = backstage.template(ComputeRequest, settings)
    ctx = {
        "parameters": {
            "requester_name": "Ada",
            "requester_email": "ada@example.com",
            "action": "provision",
        },
        "context": {"task": {"id": request_id}},
    }
    links = render(template["spec"]["output"], ctx)["links"]
    (link,) = [link for link in links if link.get("if", True) in (True, "true")]  # shown ones
    assert f"`{link['url']}`" in PAGE.read_text()
