"""The compiled platform, compared with the committed expectation in tests/expected/.

A change to what `idp compile` produces shows up here as a reviewable diff. After a deliberate
change, refresh the expectation with:

    IDP_UPDATE_EXPECTED=1 .venv/bin/pytest tests/test_expected_output.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from idp.compile import MARKER, compile_to
from idp.settings import Settings

EXPECTED = Path(__file__).resolve().parent / "expected"


def test_compiled_output_matches_the_committed_expectation(
    tmp_path: Path, settings: Settings
) -> None:
    out = tmp_path / "dist"
    compile_to(out, settings)
    (out / MARKER).unlink()
    if os.environ.get("IDP_UPDATE_EXPECTED") == "1":
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(out, EXPECTED)
    actual = {p.name: p.read_text() for p in sorted(out.iterdir())}
    expected = {p.name: p.read_text() for p in sorted(EXPECTED.iterdir())}
    assert sorted(actual) == sorted(expected), "files added or removed"
    for name, text in actual.items():
        diff = "".join(
            difflib.unified_diff(
                expected[name].splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"expected/{name}",
                f"compiled/{name}",
            )
        )
        assert not diff, f"{name} changed (IDP_UPDATE_EXPECTED=1 refreshes it):\n{diff}"
