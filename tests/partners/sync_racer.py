"""One process of a sync race (tests/partners/test_sync_guard.py).

Usage: ``python -m tests.partners.sync_racer DATABASE_URL SOURCE LOCK_URL LOCK_KEY NOW``.
Schedules the sync "every minute" and races once (``tests.partners.racer``), printing
whether this process ran the slot and the run's status.
"""

from __future__ import annotations

import sys

from bot.sync_scheduler import SyncScheduler
from settings import Settings
from tests.partners.fixtures import TEST_SECRET
from tests.partners.racer import race_once


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

    def warm_up() -> None:
        from partners.sync import runner  # the import code, loaded on first use

        runner.importer("partners")

    race_once(
        SyncScheduler(settings),
        now,
        lambda run: {"status": run.status if run else None},
        warm_up=warm_up,
    )


if __name__ == "__main__":
    main()
