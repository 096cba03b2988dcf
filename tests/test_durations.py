"""Go durations read as Go's src/time/format.go, `ParseDuration` (with `leadingInt` and
`leadingFraction`), reads them: in whole int64 nanoseconds (`idp.durations`)."""

from __future__ import annotations

import pytest

from idp.durations import DurationError, argo_duration, go_nanoseconds


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("+0", 0),
        ("-0", 0),
        ("1h30m", 5_400_000_000_000),
        ("1.5h", 5_400_000_000_000),
        (".5s", 500_000_000),
        ("5.s", 5_000_000_000),
        ("1µs", 1_000),
        ("1μs", 1_000),
        ("-2m", -120_000_000_000),
        ("2562047h47m16.854775807s", (1 << 63) - 1),
        ("-9223372036854775808ns", -(1 << 63)),
        # fraction digits past what an int64 holds are read and dropped, as in leadingFraction
        ("1.0000000000000000000000001s", 1_000_000_000),
    ],
)
def test_what_go_reads_is_read_to_the_nanosecond(text: str, nanoseconds: int) -> None:
    assert go_nanoseconds(text) == nanoseconds


@pytest.mark.parametrize(
    "text",
    ["", "-", ".", "1", "1d", "h", "1.h.", "1hh", "s1", "99999999999h", "9223372036854775808ns"],
)
def test_what_go_refuses_is_refused(text: str) -> None:
    with pytest.raises(DurationError):
        go_nanoseconds(text)


def test_whole_seconds_are_refused_where_go_would_wrap_them_around() -> None:
    """pkg/apis/workflow/v1alpha1/utils.go, `ParseStringToDuration`: time.Duration(n) *
    time.Second, which overflows silently past 9223372036 seconds."""
    assert argo_duration("9223372036") == 9223372036.0
    with pytest.raises(DurationError, match=r"longer than a Go time\.Duration holds"):
        argo_duration("9223372037")
