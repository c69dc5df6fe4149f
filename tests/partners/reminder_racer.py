"""One process of a reminder race (tests/partners/test_reminder_races.py).

Usage: ``python -m tests.partners.reminder_racer DATABASE_URL SLACK_URL SLACK_TOKEN
LOCK_URL LOCK_KEY NOW``. Schedules the reminders hourly and races once
(``tests.partners.racer``), printing whether this process ran the slot and its report.
"""

from __future__ import annotations

import sys

from bot.reminder_scheduler import ReminderScheduler
from partners.catalogue import program_catalogue
from settings import Settings
from tests.partners.fixtures import TEST_SECRET
from tests.partners.racer import race_once


def main() -> None:
    """Race once; print the outcome."""
    database_url, slack_url, slack_token, lock_url, lock_key, now = sys.argv[1:7]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        jwt_secret=TEST_SECRET,
        reminders_enabled=True,
        reminders_schedule="0 * * * *",
        sync_lock_url=lock_url,
        reminders_lock_key=lock_key,
        SLACK_TOKEN=slack_token,
        SLACK_API_BASE_URL=slack_url,
    )
    race_once(
        ReminderScheduler(settings),
        now,
        lambda run: {"report": run.report if run else None},
        warm_up=program_catalogue,
    )


if __name__ == "__main__":
    main()
