"""The documentation, run: every command README.md and docs/*.md show is run here, and what it
prints is compared with what the page shows; the blocks a page marks as not runnable here are
reported as skipped tests, each with its reason.

What a page may hold (docs/development.md, "The doc tests", says the same for writers):

- a `console` block: a line starting `$ ` is a command (a line ending in `\\` goes on on the
  next); the lines after it are what it prints (stdout and stderr, as a terminal shows them),
  compared line by line, trailing spaces aside. A line `...` stands for any number of lines,
  and PLACEHOLDERS for the values that differ from run to run. A command shown without output
  must exit 0; one shown with output is judged by its output (a refusal prints a refusal);
- a `sh` block: a script, run whole with `bash -e -o pipefail`, which must exit 0;
- `<!-- file: NAME -->` right before a block: the block is written to NAME for what follows;
- `<!-- needs: cluster -->` or `<!-- not run: REASON -->` right before a block: skipped.

Each page runs in a fresh folder laid out like the checkout (`.venv`, `examples`, `tests`,
`terraform`, `policies`), its blocks in order, with no setting of this machine (no `IDP_*`,
`AZURE_*`, `ARM_*`) and a cache folder of its own, so `idp local` starts from empty state. The
webhook the docs name at `http://localhost:12000` (where `kubectl port-forward` puts the
EventSource) is a local stand-in that accepts every request (`tests/argo/fake_webhook.py`).
docs/backstage.md is run by tests/test_backstage_docs.py, which lays its folder out as that page
says.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from idp import compat, errors
from idp.settings import Settings
from tests.argo.fake_webhook import FakeWebhook, serving

ROOT = Path(__file__).resolve().parents[1]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
README_LIMIT = 12 * 1024
# Pages whose commands another test runs, and which one.
RUN_ELSEWHERE = {"docs/backstage.md": "tests/test_backstage_docs.py"}
# What a page's folder holds of the checkout (read-only use: nothing the docs run writes there).
LAID_OUT = (".venv", "examples", "tests", "terraform", "policies")
WEBHOOK = "http://localhost:12000"
PLACEHOLDERS = {
    "<path>": r"\S+",
    "<sha256>": r"[0-9a-f]{64}",
    "<id>": r"[0-9a-z][0-9a-z-]*",
    "<time>": r"[0-9][0-9TZ:.+-]*",
}
ANY_LINES = "..."
LANGUAGES = ("console", "sh", "yaml", "json", "")  # "" is a plain block: text, not commands
COMMAND_TIMEOUT = 600
_MACHINE_PREFIXES = ("IDP_", "AZURE_", "ARM_")
_TEST_SWITCHES = ("IDP_UPSTREAM_SCHEMAS", "IDP_REQUIRE_UPSTREAM_SCHEMAS")
_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<what>needs|not run|file):\s*(?P<value>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a page, with the marker right before it, if any."""

    page: str
    line: int
    language: str
    text: str
    marker: tuple[str, str] | None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def skipped(self) -> str | None:
        """Why the block is not run here, or None when it is."""
        if self.marker is None or self.marker[0] == "file":
            return None
        what, value = self.marker
        return f"needs a {value}" if what == "needs" else value


@dataclass(frozen=True)
class Command:
    """A `$ ` line of a console block and the lines shown after it."""

    text: str
    shown: tuple[str, ...]


def relative(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def blocks(page: Path) -> list[Block]:
    """The page's fenced blocks, in order."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        indent, start = len(fence["indent"]), index
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][indent:])
            index += 1
        marker = _MARKER.match(lines[start - 1]) if start else None
        found.append(
            Block(
                relative(page),
                start + 1,
                fence["lang"],
                "\n".join(body) + "\n",
                (marker["what"], marker["value"]) if marker else None,
            )
        )
        index += 1
    return found


def commands(block: Block) -> list[Command]:
    """The `$ ` commands of a console block, each with the output lines shown after it."""
    found: list[Command] = []
    for line in block.text.replace("\\\n", " ").splitlines():
        if line.startswith("$ "):
            found.append(Command(line[2:].strip(), ()))
        elif found:
            found[-1] = Command(found[-1].text, (*found[-1].shown, line.rstrip()))
        elif line.strip():
            raise AssertionError(f"{block.where}: output before any `$ ` command: {line!r}")
    return found


def pattern(shown: tuple[str, ...]) -> re.Pattern[str]:
    """A regular expression for the whole output `shown` stands for (see the module doc)."""
    parts = []
    for line in (line.rstrip() for line in shown):
        if line == ANY_LINES:
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        pieces = re.split("(" + "|".join(map(re.escape, PLACEHOLDERS)) + ")", line)
        parts.append("".join(PLACEHOLDERS.get(piece, re.escape(piece)) for piece in pieces) + r"\n")
    return re.compile("".join(parts))


def matches(shown: tuple[str, ...], printed: str) -> bool:
    lines = [line.rstrip() for line in printed.splitlines()]
    return pattern(shown).fullmatch("".join(f"{line}\n" for line in lines)) is not None


def every_block() -> list[Block]:
    return [block for page in PAGES for block in blocks(page)]


def runnable(page: Path) -> bool:
    return relative(page) not in RUN_ELSEWHERE and any(
        block.language in ("console", "sh") and block.skipped is None for block in blocks(page)
    )


def slow(page: Path) -> bool:
    return "idp local" in page.read_text(encoding="utf-8")


# -- the page's folder and the commands' environment ------------------------------------------


@dataclass
class Folder:
    """Where a page's commands run, and with what."""

    path: Path
    env: dict[str, str]
    webhook: FakeWebhook

    def run(self, script: list[str], what: str) -> tuple[int, str]:
        """Run `script` (bash and its arguments) here; its exit code and what it printed."""
        done = subprocess.run(
            ["bash", *script[:-1], script[-1].replace(WEBHOOK, self.webhook.url)],
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        return done.returncode, done.stdout.replace(self.webhook.url, WEBHOOK)


@pytest.fixture
def folder(tmp_path: Path, checkov: str) -> Iterator[Folder]:
    for name in LAID_OUT:
        (tmp_path / name).symlink_to(ROOT / name)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_MACHINE_PREFIXES) or name in _TEST_SWITCHES
    }
    env.update(
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        IDP_CHECKOV=checkov,
        PYTHONUNBUFFERED="1",  # stdout and stderr in the order a terminal shows them
        NO_PROXY="127.0.0.1,localhost",
    )
    with serving(FakeWebhook()) as webhook:
        yield Folder(tmp_path, env, webhook)


def run_block(block: Block, where: Folder) -> None:
    if block.marker is not None and block.marker[0] == "file":
        (where.path / block.marker[1]).write_text(block.text, encoding="utf-8")
        return
    if block.skipped is not None or block.language not in ("console", "sh"):
        return
    if block.language == "sh":
        code, printed = where.run(["-e", "-o", "pipefail", "-c", block.text], block.where)
        assert code == 0, f"{block.where}: the sh block exited {code}:\n{printed}"
        return
    for command in commands(block):
        code, printed = where.run(["-o", "pipefail", "-c", command.text], block.where)
        if not command.shown:
            assert code == 0, f"{block.where}: `{command.text}` exited {code}:\n{printed}"
            continue
        if not matches(command.shown, printed):
            diff = "\n".join(
                difflib.unified_diff(
                    list(command.shown),
                    [line.rstrip() for line in printed.splitlines()],
                    "the page shows",
                    "the command printed",
                    lineterm="",
                )
            )
            pytest.fail(f"{block.where}: `{command.text}` (exit {code}):\n{diff}")


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(page, id=relative(page), marks=[pytest.mark.slow] if slow(page) else [])
        for page in PAGES
        if runnable(page)
    ],
)
def test_every_command_on_the_page_runs_and_prints_what_the_page_shows(
    page: Path, folder: Folder
) -> None:
    for block in blocks(page):
        run_block(block, folder)


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(block, id=block.where)
        for block in every_block()
        if block.skipped is not None and block.page not in RUN_ELSEWHERE
    ],
)
def test_a_block_marked_not_to_run_here_is_skipped_naming_why(block: Block) -> None:
    assert block.language in ("console", "sh"), f"{block.where}: only commands are marked"
    pytest.skip(f"{block.where}: {block.skipped}")


@pytest.mark.parametrize("page", list(RUN_ELSEWHERE))
def test_a_page_run_by_another_test_is_read_by_that_test(page: str) -> None:
    runner = ROOT / RUN_ELSEWHERE[page]
    assert f'"docs" / "{Path(page).name}"' in runner.read_text(encoding="utf-8")


def test_every_block_is_commands_or_text_of_a_known_kind() -> None:
    unknown = [b.where for b in every_block() if b.language not in LANGUAGES]
    assert unknown == [], f"blocks of another language: {LANGUAGES} only"


def test_every_marker_stands_right_before_a_block() -> None:
    marked = {(b.page, b.line - 1) for b in every_block() if b.marker is not None}
    found = {
        (relative(page), number)
        for page in PAGES
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if _MARKER.match(line)
    }
    assert found - marked == set()


def test_a_file_marker_names_a_plain_file_name() -> None:
    names = [b.marker[1] for b in every_block() if b.marker and b.marker[0] == "file"]
    assert names
    assert [n for n in names if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", n)] == []


def test_the_readme_is_at_most_12_kb() -> None:
    assert (ROOT / "README.md").stat().st_size <= README_LIMIT


def test_the_readme_links_every_page_of_the_site() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/[a-z0-9-]+\.md)[)#]", readme))
    pages = {relative(page) for page in PAGES if page.name not in ("README.md", "index.md")}
    assert pages - linked == set()


def test_the_exit_codes_on_the_commands_page_are_those_idp_help_lists() -> None:
    text = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| (\d+) \| (.+) \|$", text, flags=re.MULTILINE))
    assert {int(code): meaning for code, meaning in listed.items()} == errors.EXIT_CODES


def test_the_settings_page_names_every_setting() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert [name for name in Settings.model_fields if f"| `{name}` |" not in text] == []


def test_the_compatibility_page_names_the_support_matrix_and_what_is_out() -> None:
    text = (ROOT / "docs" / "compatibility.md").read_text(encoding="utf-8")
    assert ", ".join(compat.tags(compat.ARGO_WORKFLOWS)) in text
    assert compat.release_range(compat.ARGO_EVENTS) in text
    for releases, _ in compat.OUT:
        assert f"| {releases} |" in text
    rows = {
        cells[0]: cells[1:]
        for line in text.replace("`", "").splitlines()
        if line.startswith("| ")
        and len(cells := [c.strip() for c in line.strip("|").split("|")]) == 3
    }
    for rule in compat.RULES:
        where, since = rows[rule.name.replace("`", "")]  # the row, word for word
        assert since == ", ".join(rule.since.values()), rule.name
        named = set(re.findall(r"[\w./#-]+", where))
        assert set(re.findall(r"[\w./#-]+", rule.upstream)) <= named, rule.name


@pytest.mark.parametrize(
    ("shown", "printed", "expected"),
    [
        (("a", "b"), "a\nb\n", True),
        (("a", "b"), "a\nb\nc\n", False),
        (("a", "...", "c"), "a\nb\nb\nc\n", True),
        (("a", "...", "c"), "a\nc\n", True),
        (("files in <path>)",), "files in /x/y-1)\n", True),
        (("files in <path>)",), "files in )\n", False),
        (("sha <sha256>",), "sha " + "ab" * 32 + "\n", True),
        (("sha <sha256>",), "sha abc\n", False),
        (("x  ",), "x\n", True),
        (("a.b",), "axb\n", False),
    ],
)
def test_shown_output_matches_as_the_module_says(
    shown: tuple[str, ...], printed: str, expected: bool
) -> None:
    assert matches(shown, printed) is expected
