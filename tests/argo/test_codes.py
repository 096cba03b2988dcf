"""The exit codes: distinct, each described once, and listed by `idp --help`."""

from __future__ import annotations

import pytest

from idp import errors
from idp.cli import main

CODES = {
    name: value
    for name, value in vars(errors).items()
    if name.startswith("EXIT_") and isinstance(value, int)
}


def test_every_exit_code_is_distinct() -> None:
    assert len(set(CODES.values())) == len(CODES)


def test_every_exit_code_is_described() -> None:
    assert set(CODES.values()) <= set(errors.EXIT_CODES)


def test_help_lists_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for code, meaning in errors.EXIT_CODES.items():
        assert f"{code:>3}  {meaning}" in out


def test_the_validate_contract_keeps_2_for_an_invalid_request() -> None:
    assert errors.EXIT_INVALID == 2


def test_a_usage_error_has_its_own_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["compile", "--no-such-flag"])
    assert exited.value.code == errors.EXIT_USAGE
