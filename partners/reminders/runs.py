"""Reminder runs (``reminder_runs``) under the one-runner guard, as the sync's.

A run is claimed under the Redis lock of ``partners.runner_lock`` (on
``PA_SYNC_LOCK_URL`` with a key of its own) when Redis is configured, and always in
the database (``partners.guarded_runs``: one ``running`` row, each scheduled slot
once), so of several processes firing the same hour exactly one runs it. A
``running`` row older than ``STALE_AFTER`` belongs to a process that died; the next
claim marks it failed first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from partners.clock import aware
from partners.guarded_runs import ABANDONED, GuardedRuns
from partners.guarded_runs import RunView as GuardedRunView
from partners.models import ReminderRun
from partners.runner_lock import NoLock, RedisRunnerLock, RunnerLock
from settings import Settings

__all__ = ["ABANDONED", "STALE_AFTER", "RunView", "claim", "finish", "recent", "runner_lock"]

STALE_AFTER = dt.timedelta(hours=1)


@dataclass(frozen=True)
class RunView(GuardedRunView):
    """A reminder run as operators see it: the guarded run and the clock it used."""

    now: dt.datetime


def _view(run: ReminderRun) -> RunView:
    return RunView(**RunView.common(run), now=aware(run.now))


REMINDER_RUNS: GuardedRuns[ReminderRun, RunView] = GuardedRuns(ReminderRun, _view, "reminders")
finish = REMINDER_RUNS.finish


def runner_lock(settings: Settings) -> RunnerLock:
    """Return the reminder runner's cross-process lock: Redis when configured, else none."""
    url = settings.sync_lock_url.strip()
    if not url:
        return NoLock()
    return RedisRunnerLock(url, settings.reminders_lock_key, STALE_AFTER.total_seconds())


def claim(
    engine: Engine,
    *,
    trigger: str,
    actor: str,
    now: dt.datetime,
    slot: str | None = None,
) -> RunView | None:
    """Insert the ``running`` row; None when a run is in progress or ``slot`` ran already."""
    return REMINDER_RUNS.claim(
        engine, trigger=trigger, actor=actor, stale_after=STALE_AFTER, slot=slot, now=now
    )


def recent(engine: Engine, *, limit: int = 5) -> list[RunView]:
    """Return the latest runs, newest first."""
    return REMINDER_RUNS.recent(engine, limit=limit)
