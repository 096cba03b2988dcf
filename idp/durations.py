"""Durations as the Argo controller reads them: Go's `time.ParseDuration`, or whole seconds.

Argo's `wfv1.ParseStringToDuration` (pkg/apis/workflow/v1alpha1/utils.go) takes a plain integer
as seconds and anything else through Go's `time.ParseDuration`, whose units are ns, us (µs), ms,
s, m and h: there is no `d`, so `1d` makes a suspend node error. The settings validate durations
with this, and the local runner waits with it, so both accept exactly what the controller does.
"""

from __future__ import annotations

import re

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_INTEGER = re.compile(r"[+-]?[0-9]+")


class DurationError(ValueError):
    """Text that Argo's controller cannot read as a duration."""


def go_duration(text: str) -> float:
    """Seconds in a Go duration (`time.ParseDuration`): `1h30m`, `90s`, `1.5h`, `-2m`, `0`."""
    body = text
    sign = 1.0
    if body[:1] in "+-" and body:
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    if body == "0":
        return 0.0
    if not body:
        raise DurationError(f"{text!r} is not a duration")
    total, position = 0.0, 0
    while position < len(body):
        match = _PART.match(body, position)
        if match is None or match.group(1) in ("", "."):
            raise DurationError(_hint(text))
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    return sign * total


def argo_duration(text: str) -> float:
    """Seconds in an Argo duration (`ParseStringToDuration`): whole seconds or a Go duration."""
    if _INTEGER.fullmatch(text):
        return float(int(text))
    return go_duration(text)


def _hint(text: str) -> str:
    hint = ""
    if re.search(r"[0-9]d", text):
        hint = " (Go durations have no `d` unit: write 24h for a day)"
    return f"{text!r} is not a Go duration such as 24h, 90m or 1h30m{hint}"
