"""Run the app's purge of Rasa's tracker store once, as the daily job does: a test's helper.

tests/rasa_side/retention_case.py (Rasa environment) starts this in the app
environment, in the middle of its conversations::

    .venv/bin/python -m tests.partners.analytics.purge_transcripts STORE_URL DAYS

Prints ``[conversations, events]`` purged: those older than ``DAYS`` days.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from partners.analytics.rasa_retention import purge_tracker_store


def main(argv: list[str]) -> None:
    """Purge the store at ``argv[0]`` of what is older than ``argv[1]`` days; print counts."""
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=int(argv[1]))
    print(json.dumps(purge_tracker_store(argv[0], cutoff.timestamp())))


if __name__ == "__main__":
    main(sys.argv[1:])
