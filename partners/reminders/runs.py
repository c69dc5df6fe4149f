"""Reminder runs and the one-runner-at-a-time guard, as the sync's (``partners.sync``).

A run is claimed under the sync's Redis lock class (``RedisRunnerLock``, on
``PA_SYNC_LOCK_URL`` with a key of its own) when Redis is configured, and always by
inserting its ``reminder_runs`` row as ``running``: a partial unique index allows one
such row, and a scheduled run's ``slot`` is unique, so of several processes firing
the same hour exactly one runs it. A ``running`` row older than ``STALE_AFTER``
belongs to a process that died; the next claim marks it failed first.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.settings import Settings
from partners.models import ReminderRun
from partners.sync.runner import NoLock, RedisRunnerLock, RunnerLock

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(hours=1)
ABANDONED = "abandoned: the process running it stopped before it finished"


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands timezone-aware columns back naive; every time stored here is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class RunView:
    """A reminder run as operators see it."""

    id: int
    status: str
    trigger: str
    actor: str
    slot: str | None
    now: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None
    report: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """JSON-able form, times in ISO 8601."""
        return {
            "id": self.id,
            "status": self.status,
            "trigger": self.trigger,
            "actor": self.actor,
            "slot": self.slot,
            "now": self.now.isoformat(),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "report": self.report,
        }


def _view(run: ReminderRun) -> RunView:
    try:
        report = json.loads(run.report or "{}")
    except ValueError:
        report = {}
    return RunView(
        id=run.id,
        status=run.status,
        trigger=run.trigger,
        actor=run.actor,
        slot=run.slot,
        now=_aware(run.now),
        started_at=_aware(run.started_at),
        finished_at=_aware(run.finished_at) if run.finished_at else None,
        report=report if isinstance(report, dict) else {},
    )


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
    started = dt.datetime.now(dt.timezone.utc)
    with Session(engine, expire_on_commit=False) as session:
        session.execute(
            update(ReminderRun)
            .where(ReminderRun.status == "running", ReminderRun.started_at < started - STALE_AFTER)
            .values(status="failed", finished_at=started, report=json.dumps({"error": ABANDONED}))
        )
        session.commit()
        run = ReminderRun(
            started_at=started,
            status="running",
            trigger=trigger,
            slot=slot,
            actor=actor,
            now=now,
            report="{}",
        )
        session.add(run)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
        return _view(run)


def finish(engine: Engine, run_id: int, status: str, report: dict[str, Any]) -> RunView:
    """Record a run's outcome; the next run may be claimed."""
    with Session(engine, expire_on_commit=False) as session:
        run = session.get(ReminderRun, run_id)
        if run is None:
            raise LookupError(f"reminder run {run_id} is gone")
        run.status = status
        run.finished_at = dt.datetime.now(dt.timezone.utc)
        run.report = json.dumps(report, default=str)
        session.commit()
        return _view(run)


def recent(engine: Engine, *, limit: int = 5) -> list[RunView]:
    """Return the latest runs, newest first."""
    query = select(ReminderRun).order_by(ReminderRun.started_at.desc(), ReminderRun.id.desc())
    with Session(engine) as session:
        return [_view(run) for run in session.scalars(query.limit(limit))]
