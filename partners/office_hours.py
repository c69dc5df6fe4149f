"""The program office's hours: whether it is open now, and when it opens next.

Configured as ``PA_OFFICE_HOURS`` (e.g. ``Mon-Fri 09:00-17:00``; several spans with
``;``: ``Mon-Thu 09:00-17:00; Fri 09:00-13:00``) in ``PA_OFFICE_TIMEZONE`` (an IANA
zone, e.g. ``Europe/Berlin``). The hours are wall-clock times in that zone, so they
follow its daylight saving changes. Pure: the caller passes the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SPAN = re.compile(
    r"^(?P<first>[A-Za-z]{3})(?:\s*-\s*(?P<last>[A-Za-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


class OfficeHoursError(ValueError):
    """Office hours that cannot be read; the message says why."""


@dataclass(frozen=True)
class OfficeHours:
    """Opening hours: for each weekday (0 = Monday) its (start, end) wall-clock times."""

    days: dict[int, tuple[dt.time, dt.time]]
    zone: ZoneInfo

    def is_open(self, now: dt.datetime) -> bool:
        """Whether the office is open at ``now`` (an aware datetime)."""
        local = now.astimezone(self.zone)
        hours = self.days.get(local.weekday())
        return hours is not None and hours[0] <= local.time().replace(tzinfo=None) < hours[1]

    def next_opening(self, now: dt.datetime) -> dt.datetime:
        """Return when the office next opens after ``now``, in the office's zone.

        While it is open, that is the next opening after today's hours.
        """
        local = now.astimezone(self.zone)
        for ahead in range(8):
            day = local.date() + dt.timedelta(days=ahead)
            hours = self.days.get(day.weekday())
            if hours is None:
                continue
            opening = dt.datetime.combine(day, hours[0], tzinfo=self.zone)
            if opening > local:
                return opening
        raise OfficeHoursError("the office hours name no day")  # not reached: parse checks


def _day(name: str) -> int:
    try:
        return DAYS.index(name.capitalize())
    except ValueError:
        raise OfficeHoursError(f"{name!r} is not a weekday; use {', '.join(DAYS)}") from None


def _clock(value: str) -> dt.time:
    hours, _, minutes = value.partition(":")
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise OfficeHoursError(f"{value!r} is not a time of day (HH:MM)")
    return dt.time(int(hours), int(minutes))


def parse(spec: str, zone: str) -> OfficeHours | None:
    """Read office hours; None when ``spec`` is empty (no hours configured).

    Args:
        spec: ``Mon-Fri 09:00-17:00``; spans separated by ``;``. A day range may wrap
            (``Sun-Thu``). Each span's end is later than its start, on the same day.
        zone: An IANA time zone name; required when ``spec`` is set.

    Raises:
        OfficeHoursError: A span, day, time or zone that cannot be read.

    """
    if not spec.strip():
        return None
    try:
        tz = ZoneInfo(zone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise OfficeHoursError(f"{zone!r} is not a known time zone (e.g. Europe/Berlin)") from None
    days: dict[int, tuple[dt.time, dt.time]] = {}
    for span in filter(None, (part.strip() for part in spec.split(";"))):
        match = _SPAN.match(span)
        if match is None:
            raise OfficeHoursError(f"{span!r} is not like 'Mon-Fri 09:00-17:00'")
        first = _day(match["first"])
        last = _day(match["last"]) if match["last"] else first
        start, end = _clock(match["start"]), _clock(match["end"])
        if end <= start:
            raise OfficeHoursError(f"{span!r}: the office must close after it opens")
        for offset in range((last - first) % 7 + 1):
            days[(first + offset) % 7] = (start, end)
    if not days:
        raise OfficeHoursError("the office hours name no day")
    return OfficeHours(days, tz)


def describe(moment: dt.datetime, zone: ZoneInfo) -> str:
    """Say when ``moment`` is, for a partner: ``Monday at 09:00 (Europe/Berlin)``."""
    local = moment.astimezone(zone)
    return f"{DAY_NAMES[local.weekday()]} at {local:%H:%M} ({zone.key})"
