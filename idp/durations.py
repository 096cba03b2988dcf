"""Durations as the Argo controller reads them: Go's `time.ParseDuration`, or whole seconds.

Argo's `wfv1.ParseStringToDuration` (pkg/apis/workflow/v1alpha1/utils.go) takes a plain integer
as seconds and anything else through Go's `time.ParseDuration`, whose units are ns, us (µs), ms,
s, m and h: there is no `d`, so `1d` makes a suspend node error. The settings validate durations
with this, and the local runner waits with it, so both accept exactly what the controller does.

`go_duration` follows `time.ParseDuration` (Go's src/time/format.go) step by step, in whole
nanoseconds as Go counts them: a `time.Duration` is an int64 of nanoseconds, so a duration past
2562047h47m16.854775807s (`99999999999h`, a number of more than 19 digits) is refused there, and
here. A plain integer is `time.Duration(n) * time.Second` in Go, which wraps around silently
past 9223372036 seconds: refused here rather than handed to the controller.
"""

from __future__ import annotations

import re

MAX_NANOSECONDS = (1 << 63) - 1  # Go's math.MaxInt64: the longest time.Duration
_UNITS = {  # Go's unitMap, in nanoseconds
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DIGITS = frozenset("0123456789")


class DurationError(ValueError):
    """Text that Argo's controller cannot read as a duration."""


def _leading_int(text: str, orig: str) -> tuple[int, str]:
    """Go's `leadingInt`: the digits at the start, refused past 1<<63."""
    value, index = 0, 0
    while index < len(text) and text[index] in _DIGITS:
        if value > (1 << 63) // 10:
            raise DurationError(_too_long(orig))
        value = value * 10 + int(text[index])
        if value > 1 << 63:
            raise DurationError(_too_long(orig))
        index += 1
    return value, text[index:]


def _leading_fraction(text: str) -> tuple[int, float, str]:
    """Go's `leadingFraction`: the digits after a point, and their scale; digits past what an
    int64 holds are read but dropped."""
    value, scale, index, overflow = 0, 1.0, 0, False
    while index < len(text) and text[index] in _DIGITS:
        if not overflow:
            if value > MAX_NANOSECONDS // 10:
                overflow = True
            else:
                following = value * 10 + int(text[index])
                if following > 1 << 63:
                    overflow = True
                else:
                    value, scale = following, scale * 10
        index += 1
    return value, scale, text[index:]


def _component(rest: str, orig: str) -> tuple[int, str]:
    """One `[0-9]*(.[0-9]*)?unit` of a duration in nanoseconds, and what follows it."""
    if rest[0] != "." and rest[0] not in _DIGITS:
        raise DurationError(_hint(orig))
    length = len(rest)
    value, rest = _leading_int(rest, orig)
    before = length != len(rest)
    fraction, scale, after = 0, 1.0, False
    if rest[:1] == ".":
        length = len(rest) - 1
        fraction, scale, rest = _leading_fraction(rest[1:])
        after = length != len(rest)
    if not before and not after:
        raise DurationError(_hint(orig))
    index = 0
    while index < len(rest) and rest[index] != "." and rest[index] not in _DIGITS:
        index += 1
    unit = _UNITS.get(rest[:index])  # Go: a missing or an unknown unit
    if unit is None:
        raise DurationError(_hint(orig))
    if value > (1 << 63) // unit:
        raise DurationError(_too_long(orig))
    value *= unit
    if fraction > 0:
        value += int(float(fraction) * (float(unit) / scale))
        if value > 1 << 63:
            raise DurationError(_too_long(orig))
    return value, rest[index:]


def go_nanoseconds(text: str) -> int:
    """Nanoseconds in a Go duration, exactly as `time.ParseDuration` reads it."""
    orig, rest, negative = text, text, False
    if rest[:1] in ("+", "-") and rest:
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise DurationError(f"{orig!r} is not a duration")
    total = 0
    while rest:
        value, rest = _component(rest, orig)
        total += value
        if total > 1 << 63:
            raise DurationError(_too_long(orig))
    if negative:
        return -total
    if total > MAX_NANOSECONDS:
        raise DurationError(_too_long(orig))
    return total


def go_duration(text: str) -> float:
    """Seconds in a Go duration (`time.ParseDuration`): `1h30m`, `90s`, `1.5h`, `-2m`, `0`."""
    return go_nanoseconds(text) / 1e9


def argo_duration(text: str) -> float:
    """Seconds in an Argo duration (`ParseStringToDuration`): whole seconds or a Go duration."""
    if _INTEGER.fullmatch(text):
        seconds = int(text)
        if abs(seconds) > MAX_NANOSECONDS // 1_000_000_000:
            raise DurationError(_too_long(text))
        return float(seconds)
    return go_duration(text)


def _too_long(text: str) -> str:
    return (
        f"{text[:40]!r} is longer than a Go time.Duration holds (int64 nanoseconds: at most "
        "2562047h47m16s); the controller cannot read it"
    )


def _hint(text: str) -> str:
    hint = ""
    if re.search(r"[0-9]d", text):
        hint = " (Go durations have no `d` unit: write 24h for a day)"
    return f"{text!r} is not a Go duration such as 24h, 90m or 1h30m{hint}"
