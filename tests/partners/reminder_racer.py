"""One process of a reminder race (tests/partners/test_reminder_races.py).

Usage: ``python -m tests.partners.reminder_racer DATABASE_URL SLACK_URL SLACK_TOKEN
LOCK_URL LOCK_KEY NOW``. Starts the app's reminder scheduler (hourly), prints
``ready``, waits for a line on standard input, then fires the scheduled run as if the
clock said ``NOW`` (the same for every racer, so all fire the same slot) and prints a
JSON line: whether this process ran it, and its report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

from bot.reminder_scheduler import ReminderScheduler
from bot.settings import Settings
from partners.catalogue import program_catalogue
from tests.partners.fixtures import TEST_SECRET


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
    scheduler = ReminderScheduler(settings)
    scheduler.start()
    program_catalogue()  # loaded before the start line, so both racers start level
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        run = scheduler.scheduled_run(now=dt.datetime.fromisoformat(now))
    finally:
        scheduler.shutdown()
    outcome = {"pid": os.getpid(), "ran": run is not None, "report": run.report if run else None}
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main()
