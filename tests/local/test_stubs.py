"""`idp local --stub TASK=Succeeded`: refused, before anything runs, for a task whose outputs
the rest of the run reads."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from idp.cli import main
from tests.local.conftest import MODULES, example


def test_a_task_whose_outputs_others_read_cannot_be_stubbed_succeeded(tmp_path: Path) -> None:
    body = tmp_path / "request.json"
    body.write_text(json.dumps(example("compute")))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(
            [
                *("local", "compute", str(body), "--modules", str(MODULES)),
                *("--stub", "plan=Succeeded", "--run-dir", str(tmp_path / "run")),
            ]
        )

    assert code == 2
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith(
        "idp: --stub plan=Succeeded: template plan declares output parameters without a "
        "default (phases, has_changes, summary, changes, sha256,"
    )
    assert not (tmp_path / "run").exists()
