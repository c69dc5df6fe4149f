"""Time in the partner store: every stored time is UTC.

One place for the two rules every module needs: what "now" is, and how to read back
a time SQLite returned without its zone (SQLite keeps no zone, even for a column
declared timezone-aware; PostgreSQL does).
"""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def aware(moment: dt.datetime) -> dt.datetime:
    """Return ``moment`` with its zone: UTC when the store handed it back naive."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
