"""Times as Argo and the platform write them: RFC 3339 (section 5.6) date-times in UTC.

`rfc3339` writes a time as Go's `time.Time.Format(time.RFC3339)` does for a UTC time
(`2006-01-02T15:04:05Z`): whole seconds, the fraction dropped, `Z` for the zone. That is how
the controller writes `startedAt`, `finishedAt` and `workflow.creationTimestamp`, the cron
controller its `scheduled-time` annotation, and the stack registry its times.

`parse_time` reads what section 5.6 allows (`2006-01-02T15:04:05Z07:00`, with a fraction of up
to nine digits, as Go's `time.Parse` of `time.RFC3339` takes it) into an aware UTC datetime
whose fraction is kept to the microsecond; anything else is a ValueError naming the value (cut
to 40 characters) and, when given, what it is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?P<fraction>\.[0-9]{1,9})?(?P<zone>[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_SHOWN = 40


def rfc3339(moment: datetime | float) -> str:
    """`moment` (a datetime, or Unix seconds) in UTC as Go's `time.RFC3339` writes it; the
    fraction of a second is dropped, as Go's formatting drops it."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(int(moment), tz=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, what: str = "", years: tuple[int, int] | None = None) -> datetime:
    """An RFC 3339 date-time, in UTC; ValueError naming `what` (when given) and the rule when
    `text` is none, or when its year is outside `years` (first and last, both included)."""
    shown = repr(text[:_SHOWN]) + ("..." if len(text) > _SHOWN else "")
    shown = f"{what}: {shown}" if what else shown
    found = _RFC3339.fullmatch(text)
    if found is None:
        raise ValueError(f"{shown} is not an RFC 3339 time (like 2030-01-31T08:00:00Z)")
    year, month, day = (int(part) for part in found["date"].split("-"))
    if years is not None and not years[0] <= year <= years[1]:
        raise ValueError(f"{shown} is not between the years {years[0]} and {years[1]}")
    offset = timedelta(0)
    if found["zone"] not in ("Z", "z"):
        hours, minutes = (int(part) for part in found["zone"][1:].split(":"))
        if hours > 23 or minutes > 59:
            raise ValueError(f"{shown} has an offset beyond 23:59")
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if found["zone"][0] == "-" else 1)
    hour, minute, second = (int(part) for part in found["time"].split(":"))
    micro = int((found["fraction"] or ".0")[1:7].ljust(6, "0"))
    try:
        moment = datetime(year, month, day, hour, minute, second, micro, timezone(offset))
        return moment.astimezone(UTC)
    # a field out of its range, or a time in year 1 or 9999 that UTC puts past datetime's range
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{shown} is not a valid time ({exc})") from None
