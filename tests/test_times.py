"""RFC 3339 times as Go writes and reads them (time/format.go: `time.RFC3339`, `Time.Format`,
`Parse`), the one reader and writer the local runner, the cron controller's stand-in and the
stack registry share."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from idp.times import parse_time, rfc3339


def test_a_time_is_written_in_utc_with_z_and_whole_seconds() -> None:
    moment = datetime(2030, 1, 2, 4, 4, 5, 999_999, tzinfo=timezone(timedelta(hours=1)))
    assert rfc3339(moment) == "2030-01-02T03:04:05Z"


def test_unix_seconds_are_written_with_the_fraction_dropped_not_rounded() -> None:
    assert rfc3339(59.9999999) == "1970-01-01T00:00:59Z"


def test_an_offset_is_read_into_utc_and_the_fraction_kept_to_the_microsecond() -> None:
    found = parse_time("2030-01-02T04:00:00.123456789+01:00")
    assert found == datetime(2030, 1, 2, 3, 0, 0, 123_456, tzinfo=UTC)


def test_what_rfc3339_writes_reads_back() -> None:
    assert parse_time(rfc3339(1_893_553_200)).timestamp() == 1_893_553_200


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("2030-01-02 03:00", "is not an RFC 3339 time"),
        ("2030-01-02T03:00:00", "is not an RFC 3339 time"),  # no zone
        ("2030-01-02T03:00:00.1234567890Z", "is not an RFC 3339 time"),  # past nanoseconds
        ("2030-02-30T00:00:00Z", "is not a valid time (day is out of range for month)"),
        ("2030-01-02T03:00:00+24:00", "has an offset beyond 23:59"),
    ],
)
def test_a_text_that_is_no_time_is_a_value_error_naming_it_and_the_rule(
    text: str, rule: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(f"at: {text!r} {rule}")):
        parse_time(text, "at")


def test_a_time_that_utc_puts_outside_datetimes_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"is not a valid time"):
        parse_time("0001-01-01T00:00:00+01:00")


def test_a_year_outside_the_bounds_given_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'3000-01-01T00:00:00Z' is not between the years"):
        parse_time("3000-01-01T00:00:00Z", years=(2000, 2999))
    assert parse_time("3000-01-01T00:00:00Z").year == 3000


def test_a_long_text_is_shown_cut() -> None:
    with pytest.raises(ValueError) as caught:
        parse_time("9" * 10_000)
    assert len(str(caught.value)) < 120
