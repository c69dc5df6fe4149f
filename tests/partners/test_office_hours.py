"""partners.office_hours: open or closed, and when the office opens next (weekends, DST)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from partners import office_hours

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = office_hours.parse("Mon-Fri 09:00-17:00", "Europe/Berlin")


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_no_hours_configured_means_no_hours() -> None:
    assert office_hours.parse("", "Europe/Berlin") is None
    assert office_hours.parse("   ", "") is None


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (berlin(2026, 12, 7, 9, 0), True),  # Monday, opening minute
        (berlin(2026, 12, 7, 16, 59), True),
        (berlin(2026, 12, 7, 17, 0), False),  # closing time is closed
        (berlin(2026, 12, 7, 8, 59), False),
        (berlin(2026, 12, 5, 12, 0), False),  # Saturday
        (berlin(2026, 12, 6, 12, 0), False),  # Sunday
        # 08:30 UTC is 09:30 in Berlin in winter: open.
        (dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.timezone.utc), True),
    ],
)
def test_open_within_the_hours_on_weekdays(moment: dt.datetime, is_open: bool) -> None:
    assert WEEKDAYS is not None and WEEKDAYS.is_open(moment) is is_open


def test_on_friday_evening_and_the_weekend_it_opens_on_monday() -> None:
    assert WEEKDAYS is not None
    for moment in (berlin(2026, 12, 4, 17, 30), berlin(2026, 12, 5, 10), berlin(2026, 12, 6, 23)):
        assert WEEKDAYS.next_opening(moment) == berlin(2026, 12, 7, 9, 0)
    monday = WEEKDAYS.next_opening(berlin(2026, 12, 5, 10))
    assert office_hours.describe(monday, WEEKDAYS.zone) == "Monday at 09:00 (Europe/Berlin)"


def test_before_opening_it_opens_the_same_day_and_while_open_the_next() -> None:
    assert WEEKDAYS is not None
    assert WEEKDAYS.next_opening(berlin(2026, 12, 8, 7, 0)) == berlin(2026, 12, 8, 9, 0)
    assert WEEKDAYS.next_opening(berlin(2026, 12, 8, 10, 0)) == berlin(2026, 12, 9, 9, 0)


def test_hours_follow_daylight_saving_time() -> None:
    # Berlin moves to summer time on Sunday 29 March 2026: 09:00 is 07:00 UTC on
    # Monday 30 March, and was 08:00 UTC on Friday 27 March.
    assert WEEKDAYS is not None
    friday_evening = dt.datetime(2026, 3, 27, 17, 0, tzinfo=dt.timezone.utc)
    opening = WEEKDAYS.next_opening(friday_evening)
    assert opening.astimezone(dt.timezone.utc) == dt.datetime(
        2026, 3, 30, 7, 0, tzinfo=dt.timezone.utc
    )
    assert WEEKDAYS.is_open(dt.datetime(2026, 3, 30, 7, 30, tzinfo=dt.timezone.utc))
    assert not WEEKDAYS.is_open(dt.datetime(2026, 3, 27, 7, 30, tzinfo=dt.timezone.utc))
    # And back on 25 October 2026: 09:00 is 08:00 UTC again.
    autumn = WEEKDAYS.next_opening(dt.datetime(2026, 10, 24, 12, 0, tzinfo=dt.timezone.utc))
    assert autumn.astimezone(dt.timezone.utc).hour == 8


def test_several_spans_and_a_wrapping_day_range() -> None:
    hours = office_hours.parse("Sun-Thu 08:00-16:00; fri 08:00-12:00", "Asia/Dubai")
    assert hours is not None and sorted(hours.days) == [0, 1, 2, 3, 4, 6]
    assert hours.days[4] == (dt.time(8), dt.time(12))
    saturday = dt.datetime(2026, 12, 5, 10, tzinfo=ZoneInfo("Asia/Dubai"))
    assert not hours.is_open(saturday)
    assert hours.next_opening(saturday).weekday() == 6  # Sunday


@pytest.mark.parametrize(
    ("spec", "zone", "reason"),
    [
        ("Mon-Fri 9-17", "Europe/Berlin", "is not like"),
        ("Mon-Fry 09:00-17:00", "Europe/Berlin", "not a weekday"),
        ("Mon-Fri 17:00-09:00", "Europe/Berlin", "close after it opens"),
        ("Mon-Fri 09:00-25:00", "Europe/Berlin", "not a time of day"),
        ("Mon-Fri 09:00-17:00", "Mars/Olympus", "not a known time zone"),
    ],
)
def test_unreadable_hours_are_refused_with_a_reason(spec: str, zone: str, reason: str) -> None:
    with pytest.raises(office_hours.OfficeHoursError, match=reason):
        office_hours.parse(spec, zone)
