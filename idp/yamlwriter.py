"""A small, fast block-style YAML writer for manifests (dicts, lists, strings, numbers, bools).

Kept instead of PyYAML because a benchmark shows PyYAML cannot meet a target: its representer
is Python even under the C emitter, and on the compile benchmark's 60-kind catalog it takes
about six times as long as this writer, alone enough to miss the compile target
(`benchmarks/bench_compile.py` prints both writers' times on that catalog, in the same run).
PyYAML writes the same text for every compiled manifest (a test holds them byte-equal; for odd
strings PyYAML may choose another quoting that reads back the same). Manifests only hold
JSON-like data, so this writer emits it directly, deciding each distinct string's style once.
Strings stay plain only when YAML would read them back as the same string (PyYAML's own
resolver decides), multi-line strings become literal blocks, everything else is quoted with
escapes for what YAML does not allow raw. Tests read every compiled file back with PyYAML and
compare it with the data written.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_STR = "tag:yaml.org,2002:str"
# Plain candidates: printable ASCII, starting with a character that is no YAML indicator.
_PLAIN = re.compile(r"[A-Za-z0-9_./^($<\\-][\x20-\x7e]*")
_PLAIN_BREAKERS = (": ", " #")  # a mapping value, a comment
# What YAML may hold raw: printable characters without the Unicode line separators, the BOM,
# DEL and the C1 controls (YAML 1.1 reads U+0085, U+2028 and U+2029 as line breaks).
_PRINTABLE = "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_NEEDS_ESCAPE = re.compile(f"[^{_PRINTABLE}]")
_LITERAL_LINE = re.compile(f"[{_PRINTABLE}]*")
_resolver = Resolver()
# YAML 1.1 readers such as kubectl's take these as booleans, though PyYAML's resolver does not.
_BOOLEAN_LETTERS = frozenset({"y", "Y", "n", "N"})


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _double_quoted(text: str) -> str:
    # A JSON string is a YAML double-quoted scalar once the characters YAML may not hold raw
    # (DEL, C1 controls, the Unicode line separators, BOM) are escaped too.
    return _NEEDS_ESCAPE.sub(_escape, json.dumps(text, ensure_ascii=False))


def _plain_candidate(text: str) -> bool:
    return (
        _PLAIN.fullmatch(text) is not None
        and text[-1] not in " :"
        and text != "-"
        and not text.startswith("- ")
        and not any(breaker in text for breaker in _PLAIN_BREAKERS)
    )


@lru_cache(maxsize=65536)
def scalar(text: str) -> str:
    """A string as a YAML scalar on one line: plain where YAML reads it back as this very
    string, else single-quoted, else double-quoted with escapes."""
    if _plain_candidate(text) and text not in _BOOLEAN_LETTERS:
        tag = _resolver.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        if tag == _STR:
            return text
    if _NEEDS_ESCAPE.search(text) is None:
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


def _literal(text: str) -> list[str] | None:
    """The lines of a literal block (header first), or None when a block cannot hold it."""
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    lines = body.split("\n")
    if trailing > 1 or not body or body.startswith(("\n", " ")):
        return None
    if any(line != line.rstrip(" ") or not _LITERAL_LINE.fullmatch(line) for line in lines):
        return None
    return ["|" if trailing else "|-", *lines]


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "." not in text and "e" in text:  # YAML 1.1 reads 1e+20 as a string: write 1.0e+20
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return scalar(value)
    raise TypeError(f"cannot write a {type(value).__name__} as YAML")


def _write(value: Any, indent: str, out: list[str], prefix: str) -> None:
    """Append `value` at `indent`; `prefix` is what precedes it on its first line."""
    if isinstance(value, dict) and value:
        first = True
        for key, item in value.items():
            lead = prefix if first else indent
            first = False
            _entry(scalar(str(key)), item, indent, lead, out)
    elif isinstance(value, list) and value:
        first = True
        for item in value:
            lead = prefix if first else indent
            first = False
            _write(item, indent + "  ", out, lead + "- ")
    elif isinstance(value, dict):
        out.append(prefix + "{}")
    elif isinstance(value, list):
        out.append(prefix + "[]")
    else:
        out.append(prefix + _value(value))


def _entry(key: str, item: Any, indent: str, lead: str, out: list[str]) -> None:
    if isinstance(item, dict) and item:
        out.append(f"{lead}{key}:")
        _write(item, indent + "  ", out, indent + "  ")
    elif isinstance(item, list) and item:
        out.append(f"{lead}{key}:")
        _write(item, indent, out, indent)
    elif isinstance(item, str) and "\n" in item and (block := _literal(item)):
        out.append(f"{lead}{key}: {block[0]}")
        out.extend(f"{indent}  {line}" if line else "" for line in block[1:])
    else:
        _write(item, indent, out, f"{lead}{key}: ")


def dump(document: Any) -> str:
    """`document` as block-style YAML text ending with a newline."""
    out: list[str] = []
    _write(document, "", out, "")
    return "\n".join(out) + "\n"
