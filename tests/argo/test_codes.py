"""The exit codes: distinct, and documented in the `idp` docstring."""

from __future__ import annotations

import re

import idp.cli
from idp import errors

CODES = {name: value for name, value in vars(errors).items() if name.startswith("EXIT_")}


def test_every_exit_code_is_distinct() -> None:
    assert len(set(CODES.values())) == len(CODES)


def test_the_cli_docstring_documents_every_code() -> None:
    doc = " ".join((idp.cli.__doc__ or "").split())
    documented = {int(code) for code in re.findall(r"\b(\d+) [A-Za-z]", doc)}
    assert documented >= set(CODES.values())
