"""The exit codes: distinct, shared with `idp.cli`, and documented in its docstring."""

from __future__ import annotations

import re

import idp.cli
from idp.argo import errors

CODES = {name: value for name, value in vars(errors).items() if name.startswith("EXIT_")}


def test_every_exit_code_is_distinct() -> None:
    assert len(set(CODES.values())) == len(CODES)


def test_the_codes_idp_cli_already_had_are_the_same() -> None:
    for name in ("EXIT_FAILURE", "EXIT_INVALID", "EXIT_DROPPED"):
        assert CODES[name] == getattr(idp.cli, name)


def test_the_cli_docstring_documents_every_code() -> None:
    doc = " ".join((idp.cli.__doc__ or "").split())
    documented = {int(code) for code in re.findall(r"\b(\d+) [A-Za-z]", doc)}
    assert documented >= set(CODES.values())
