"""When a recipient may be reminded: their hours in their time zone.

The default is 09:00-17:00 in the main time zone of the partner's country (UTC for a
country not listed here); each recipient can choose another zone and other hours. A
window whose start is later than its end runs over midnight (22:00-06:00). A reminder
that comes due outside the window is postponed to a run inside it, never dropped:
the runs work out what is due afresh every time.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

logger = logging.getLogger(__name__)

DEFAULT_START = "09:00"
DEFAULT_END = "17:00"
UTC = "UTC"
# The zone most of a country's people work in (a country spanning several zones gets
# its business capital's); a recipient elsewhere sets their own.
COUNTRY_ZONES = {
    "AE": "Asia/Dubai",
    "AT": "Europe/Vienna",
    "AU": "Australia/Sydney",
    "BE": "Europe/Brussels",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CH": "Europe/Zurich",
    "CN": "Asia/Shanghai",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "IN": "Asia/Kolkata",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "MX": "America/Mexico_City",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "NZ": "Pacific/Auckland",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "US": "America/New_York",
    "ZA": "Africa/Johannesburg",
}
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class HoursError(ValueError):
    """A time zone or hours a person entered that cannot be used; says why."""


def country_zone(country: str) -> str:
    """Return the main time zone of ``country`` (ISO code), UTC when not listed."""
    return COUNTRY_ZONES.get(country.upper(), UTC)


def check_zone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone this server knows.

    Raises:
        HoursError: With the reason, for any other name.

    """
    name = name.strip()
    if name == UTC or name in available_timezones():
        return name
    raise HoursError(f"{name!r} is not a time zone; use an IANA name such as Europe/Berlin")


def check_clock(value: str, what: str) -> str:
    """Return ``value`` if it is a time of day as HH:MM (24 hours).

    Raises:
        HoursError: With the reason, naming ``what`` (e.g. "start").

    """
    if not _CLOCK.match(value.strip()):
        raise HoursError(f"the {what} {value!r} is not a time of day as HH:MM, e.g. 09:00")
    return value.strip()


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class Hours:
    """A recipient's window: from ``start`` to ``end`` (exclusive) in ``zone``."""

    zone: str
    start: str = DEFAULT_START
    end: str = DEFAULT_END

    def __post_init__(self) -> None:
        """Refuse an empty window (start equal to end)."""
        if _minutes(self.start) == _minutes(self.end):
            raise HoursError("the hours start and end at the same time: no time would be left")

    def tzinfo(self) -> dt.tzinfo:
        """Return the zone, or UTC (logged) when this server's zone database lacks it."""
        try:
            return ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            logger.warning("time zone %r unknown on this server: UTC is used", self.zone)
            return dt.timezone.utc

    def local(self, now: dt.datetime) -> dt.datetime:
        """``now`` (aware) in the recipient's zone."""
        return now.astimezone(self.tzinfo())

    def allows(self, now: dt.datetime) -> bool:
        """Whether ``now`` lies inside the window."""
        local = self.local(now)
        minute = local.hour * 60 + local.minute
        start, end = _minutes(self.start), _minutes(self.end)
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end

    def describe(self) -> str:
        """E.g. "09:00-17:00 Europe/Berlin"."""
        return f"{self.start}-{self.end} {self.zone}"
