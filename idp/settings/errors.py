"""How a settings problem is told: `SettingsError`, one bounded line naming the setting."""

from __future__ import annotations

import reprlib
from typing import Any

from pydantic import ValidationError

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 200
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = _SHOWN.maxset = 8
_SHOWN.maxlevel = 3


class SettingsError(ValueError):
    """Settings that cannot be used; the message names the field and the rule."""


class KeyGivenTwice(Exception):
    """A key given twice in one JSON object or YAML mapping: refused, as in a request body
    (Python's json and PyYAML would keep the last). `where` says where, when known."""

    def __init__(self, key: object, where: str = "") -> None:
        super().__init__(key)
        self.key = key
        self.where = where


def shown(value: Any, limit: int = 60) -> str:
    """A repr of `value` for a message, bounded in the work done and in length."""
    text = _SHOWN.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown_text(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters."""
    flat = " ".join(text[: limit * 4].split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def format_validation_error(error: ValidationError, prefix: str = "") -> list[str]:
    """One line per problem: `field: rule (got value)`."""
    lines = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "(request)"
        got = item.get("input")
        hidden = item["type"] == "missing" or isinstance(got, dict)
        lines.append(f"{prefix}{where}: {item['msg']}" + ("" if hidden else f" (got {shown(got)})"))
    return lines
