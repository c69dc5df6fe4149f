"""One process of a sync race (tests/partners/test_sync.py).

Usage: ``python -m tests.partners.sync_racer DATABASE_URL SOURCE LOCK_URL LOCK_KEY NOW``.
Loads everything, starts a scheduler for "every minute", prints ``ready``, waits for a
line on standard input, then fires the scheduled job as if the clock said ``NOW``
(ISO time; the same for every racer, so all fire the same slot) and prints a JSON line
saying whether this process ran the sync.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

from bot.settings import Settings
from bot.sync_scheduler import SyncScheduler
from tests.partners.fixtures import TEST_SECRET


def main() -> None:
    """Race once; print the outcome."""
    database_url, source, lock_url, lock_key, now = sys.argv[1:6]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        jwt_secret=TEST_SECRET,
        sync_source=source,
        sync_schedule="* * * * *",
        sync_lock_url=lock_url,
        sync_lock_key=lock_key,
    )
    scheduler = SyncScheduler(settings)
    scheduler.start()
    # Load the import code before the start line, so both racers start level.
    from partners.sync import runner

    runner.importer("partners")
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        run = scheduler.scheduled_run(now=dt.datetime.fromisoformat(now))
    finally:
        scheduler.shutdown()
    outcome = {"pid": os.getpid(), "ran": run is not None, "status": run.status if run else None}
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main()
