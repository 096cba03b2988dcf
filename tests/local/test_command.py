"""`idp local` as a command: what it refuses before anything runs, and where it reads from."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import sys
from pathlib import Path

import pytest

from idp.cli import main
from tests.local.conftest import MODULES, LocalPlatform, example


def idp(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, body: object) -> str:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body))
    return str(path)


def test_a_body_the_sensor_drops_runs_nothing_and_exits_3(tmp_path: Path) -> None:
    request = write(tmp_path, example("compute", request_id="Not Valid"))
    code, _, err = idp(
        "local", "compute", request, "--modules", str(MODULES), "--run-dir", str(tmp_path / "run")
    )
    assert code == 3
    assert err.startswith("idp: dropped by compute's sensor: filter body.request_id")
    assert not (tmp_path / "run").exists()


def test_a_modules_folder_without_the_kinds_module_is_refused_before_running(
    tmp_path: Path,
) -> None:
    request = write(tmp_path, example("compute"))
    code, _, err = idp("local", "compute", request, "--modules", str(tmp_path), "--approve", "NO")
    assert code == 2
    assert err.startswith(f"idp: --modules {tmp_path}: no module folder compute/ ")


def test_a_bad_stub_is_refused_naming_it(tmp_path: Path) -> None:
    request = write(tmp_path, example("compute"))
    code, _, err = idp(
        "local", "compute", request, "--modules", str(MODULES), "--stub", "plan=Done"
    )
    assert code == 2
    assert "--stub 'plan=Done': must be NAME=PHASE" in err


def test_a_stub_that_names_no_task_and_no_phase_is_refused_in_one_line(tmp_path: Path) -> None:
    request = write(tmp_path, example("compute"))
    code, _, err = idp(
        "local", "compute", request, "--modules", str(MODULES), "--stub", "deploy=Succeeded"
    )
    assert code == 2
    assert err.count("\n") == 1
    assert "--stub 'deploy=Succeeded': no task 'deploy' in this run (tasks: apply, approve" in err


def test_a_phase_can_only_be_stood_in_for_as_succeeded(tmp_path: Path) -> None:
    request = write(tmp_path, example("compute"))
    code, _, err = idp(
        "local", "compute", request, "--modules", str(MODULES), "--stub", "verify=Failed"
    )
    assert code == 2
    assert "can only be stood in for as Succeeded" in err


def test_a_release_outside_the_support_matrix_is_refused_naming_the_matrix(
    tmp_path: Path,
) -> None:
    request = write(tmp_path, example("compute"))
    code, _, err = idp(
        "local", "compute", request, "--modules", str(MODULES), "--argo-version", "v4.1.1"
    )
    assert code == 2
    assert "Argo Workflows 'v4.1.1' is not in the support matrix (v4.0.10, v4.1.2)" in err
    assert "ends Succeeded" in err  # why the releases around it are out


@pytest.mark.slow
def test_it_runs_what_idp_compile_wrote(platform: LocalPlatform) -> None:
    dist = platform.tmp / "dist"
    assert idp("compile", "--out", str(dist))[0] == 0
    template = dist / "workflowtemplate-compute-provision-workflow.yaml"
    template.write_text(template.read_text().replace("duration: 24h", "duration: 2h"))
    run = platform.run(
        "compute",
        example("compute", name="from-dist"),
        approve="expire",
        extra=("--compiled", str(dist)),
    )
    assert run.outcome == "expired"
    (approve,) = [
        n for n in run.workflow["status"]["nodes"].values() if n["displayName"] == "approve"
    ]
    waited = moment(approve["finishedAt"]) - moment(approve["startedAt"])
    assert 2 * 3600 <= waited.total_seconds() < 3 * 3600  # the compiled folder's 2h, not 24h


def moment(stamp: str) -> datetime.datetime:
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")


def test_an_approver_that_is_not_an_e_mail_address_is_refused_in_one_line(tmp_path: Path) -> None:
    request = write(tmp_path, example("compute"))
    code, _, err = idp("local", "compute", request, "--modules", str(MODULES), "--as", "lee")
    assert code == 64
    assert (
        err == "idp: --as 'lee': not an e-mail address (who answers, as an SSO login names them)\n"
    )


def test_a_state_folder_that_is_a_file_is_refused_in_one_line(tmp_path: Path) -> None:
    request = write(tmp_path, example("compute"))
    taken = tmp_path / "taken"
    taken.write_text("")
    code, _, err = idp(
        "local", "compute", request, "--modules", str(MODULES), "--state-dir", str(taken)
    )
    assert code == 64
    assert err == f"idp: --state-dir {taken}: not a folder\n"


@pytest.mark.slow
def test_the_end_of_input_at_the_prompt_is_its_default_no(platform: LocalPlatform) -> None:
    stdin = sys.stdin
    sys.stdin = io.StringIO("")  # the input ends before an answer
    try:
        run = platform.run("compute", example("compute", name="unanswered"), approve=None)
    finally:
        sys.stdin = stdin
    assert (run.phase, run.outcome) == ("Failed", "rejected")
    assert "NO (end of input: the default)" in run.log


@pytest.fixture(scope="module")
def compiled_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("compiled") / "dist"
    assert idp("compile", "--out", str(dist))[0] == 0
    return dist


HOSTILE_FILES = [
    ("x.yaml", b"a: [\n", "x.yaml: not YAML: "),
    ("x.yaml", b"[" * 5000, "x.yaml: not YAML: "),
    (
        "x.yaml",
        b"kind: ConfigMap\nmetadata: {name: x}\na: &a [1, 1, 1, 1, 1, 1, 1, 1]\n"
        + b"".join(
            b"%c: &%c [%s]\n"
            % (ord("b") + n, ord("b") + n, b", ".join([b"*%c" % (ord("a") + n)] * 8))
            for n in range(6)
        ),
        "x.yaml: more than 200000 values (YAML aliases expanded)",
    ),
    ("x.yaml", b"kind: WorkflowTemplate\n", "x.yaml: not an object idp compile writes"),
    ("x.yaml", b"kind: ConfigMap\nmetadata: {name: \xff}\n", "x.yaml: not UTF-8 text"),
    ("x.yaml", b"#" * (4 * 1024 * 1024 + 1), "x.yaml: larger than 4 MiB"),
]


@pytest.mark.parametrize(("name", "data", "message"), HOSTILE_FILES)
def test_a_compiled_folder_with_a_file_idp_compile_never_writes_is_refused_naming_it(
    compiled_once: Path, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    folder = tmp_path / "dist"
    folder.mkdir()
    for path in compiled_once.glob("*.yaml"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / name).write_bytes(data)
    request = write(tmp_path, example("compute"))
    code, _, err = idp(
        "local", "compute", request, "--compiled", str(folder), "--modules", str(MODULES),
        "--run-dir", str(tmp_path / "run"),
    )  # fmt: skip
    assert code == 2
    assert message in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()
