"""Manifests as YAML (idp.manifests.to_yaml, idp.yamlwriter): whatever it writes reads back as the
same data, and every compiled manifest is the very text PyYAML writes (tests/pyyaml_reference.py).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from idp.manifests import Manifest
from idp.manifests import to_yaml as dump
from tests.pyyaml_reference import pyyaml_dump

TRICKY = [
    "",
    " ",
    "yes",
    "No",
    "on",
    "y",
    "null",
    "~",
    "1",
    "-1",
    "0x1f",
    "1e3",
    "1:20",
    ".inf",
    "2001-12-14",
    "=",
    "<<",
    "-",
    "- item",
    "--kind",
    "key: value",
    "trailing:",
    "a #comment",
    "#comment",
    "{{workflow.parameters.request}}",
    "[a, b]",
    "*alias",
    "&anchor",
    "!tag",
    "%directive",
    "@at",
    "`tick",
    "'single'",
    '"double"',
    "it's",
    " leading space",
    "trailing space ",
    "tab\there",
    "line\nbreak",
    "ends with newline\n",
    "two newlines\n\n",
    "\n starts with newline",
    "  indented\nblock",
    "trailing spaces  \nin a block",
    "del\x7fchar",
    "c1\x85control",
    "line\u2028separator",
    "bom\ufeff",
    "emoji \U0001f600",
    "ünïcödé",
    "^[a-z0-9]([a-z0-9-]{0,34}[a-z0-9])?$",
    "ghcr.io/example-org/platform-tools:0.1.0",
    "https://argo.example.internal",
    '{"a": 1}',
]


@pytest.mark.parametrize("text", TRICKY)
def test_a_tricky_string_reads_back_as_itself(text: str) -> None:
    document = {"value": text, "list": [text], text or "empty": "key"}
    assert yaml.safe_load(dump(document)) == document


def test_numbers_booleans_and_nulls_keep_their_types() -> None:
    document = {"i": 3, "f": 0.2, "big": 1e20, "t": True, "n": None, "neg": -7}
    assert yaml.safe_load(dump(document)) == document


def test_nested_lists_and_empty_containers_read_back() -> None:
    document: dict[str, Any] = {"a": [[1, 2], [], {}], "b": {}, "c": [], "d": [{"x": [{}]}]}
    assert yaml.safe_load(dump(document)) == document


def test_random_strings_read_back() -> None:
    chosen = random.Random(20261121)  # noqa: S311 - a fixed seed: the same strings every run
    alphabet = "aZ09 -_:#'\"{}[],&*!|>%@`\n\t\\/.^$?~=<" + "\x7f\x85\u2028\ufeffé\U0001f600"
    for _ in range(2000):
        text = "".join(chosen.choice(alphabet) for _ in range(chosen.randint(0, 12)))
        document = {"v": text, "l": [text]}
        assert yaml.safe_load(dump(document)) == document, repr(text)


def test_plain_strings_stay_plain_for_readability() -> None:
    assert dump({"v": "Ada Lovelace"}) == "v: Ada Lovelace\n"
    assert dump({"v": "yes"}) == "v: 'yes'\n"
    assert dump({"v": "{{x}}"}) == "v: '{{x}}'\n"


@pytest.mark.parametrize("letter", ["y", "Y", "n", "N"])
def test_a_letter_yaml_11_reads_as_a_boolean_is_quoted(letter: str) -> None:
    assert dump({"v": letter}) == f"v: '{letter}'\n"


def test_a_multi_line_string_is_a_literal_block() -> None:
    assert dump({"v": "a\nb"}) == "v: |-\n  a\n  b\n"


def test_every_compiled_manifest_reads_back_as_built(manifests: list[Manifest]) -> None:
    for manifest in manifests:
        assert yaml.safe_load(dump(manifest)) == manifest


def test_every_compiled_manifest_is_written_as_pyyaml_writes_it(
    manifests: list[Manifest],
) -> None:
    for manifest in manifests:
        assert dump(manifest) == pyyaml_dump(manifest)
