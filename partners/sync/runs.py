"""Sync runs in the partner store, and the database-level guard of one runner at a time.

A run is claimed by inserting its ``sync_runs`` row as ``running``. A partial unique
index allows one such row at a time, so of several processes claiming at once (on
SQLite or PostgreSQL) exactly one insert succeeds; a scheduled run's ``slot`` (the
schedule's fire time) is unique too, so a slot runs once even when a process fires
it after another has already finished it. A ``running`` row older than the stale
timeout belongs to a process that died: the next claim marks it failed first.
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

from partners.models import SyncRun

logger = logging.getLogger(__name__)

ABANDONED = "abandoned: the process running it stopped before it finished"


@dataclass(frozen=True)
class RunView:
    """A sync run as operators see it."""

    id: int
    status: str
    trigger: str
    actor: str
    source: str
    slot: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    report: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """Return the run as a JSON-able dict (times in ISO 8601)."""
        return {
            "id": self.id,
            "status": self.status,
            "trigger": self.trigger,
            "actor": self.actor,
            "source": self.source,
            "slot": self.slot,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at) if self.finished_at else None,
            "report": self.report,
        }


def _iso(moment: dt.datetime) -> str:
    # SQLite hands timezone-aware columns back naive; every time stored here is UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.isoformat()


def _view(run: SyncRun) -> RunView:
    try:
        report = json.loads(run.report or "{}")
    except ValueError:
        report = {}
    return RunView(
        id=run.id,
        status=run.status,
        trigger=run.trigger,
        actor=run.actor,
        source=run.source,
        slot=run.slot,
        started_at=run.started_at,
        finished_at=run.finished_at,
        report=report if isinstance(report, dict) else {},
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def abandon_stale(
    engine: Engine, stale_after: dt.timedelta, *, now: dt.datetime | None = None
) -> int:
    """Mark ``running`` rows older than ``stale_after`` as failed; return how many."""
    now = now or _now()
    with Session(engine) as session:
        result = session.execute(
            update(SyncRun)
            .where(SyncRun.status == "running", SyncRun.started_at < now - stale_after)
            .values(status="failed", finished_at=now, report=json.dumps({"error": ABANDONED}))
        )
        session.commit()
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        logger.warning("sync: %d run(s) %s", count, ABANDONED)
    return count


def claim(
    engine: Engine,
    *,
    trigger: str,
    source: str,
    actor: str,
    stale_after: dt.timedelta,
    slot: str | None = None,
    now: dt.datetime | None = None,
) -> RunView | None:
    """Claim the one running sync: insert a ``running`` row, or return None.

    None means another run holds the guard (it is running now) or, for a scheduled
    run, that ``slot`` was already run by some process.
    """
    now = now or _now()
    abandon_stale(engine, stale_after, now=now)
    with Session(engine, expire_on_commit=False) as session:
        run = SyncRun(
            started_at=now,
            status="running",
            trigger=trigger,
            slot=slot,
            source=source,
            actor=actor,
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
    """Record the outcome of run ``run_id`` and let the next run be claimed."""
    with Session(engine, expire_on_commit=False) as session:
        run = session.get(SyncRun, run_id)
        if run is None:  # deleted by hand meanwhile; nothing to record against
            raise LookupError(f"sync run {run_id} is gone")
        run.status = status
        run.finished_at = _now()
        run.report = json.dumps(report, default=str)
        session.commit()
        return _view(run)


def running(engine: Engine) -> RunView | None:
    """Return the run in progress, if any."""
    with Session(engine) as session:
        run = session.scalar(select(SyncRun).where(SyncRun.status == "running"))
        return _view(run) if run else None


def recent(engine: Engine, *, limit: int = 10, triggers: tuple[str, ...] = ()) -> list[RunView]:
    """Return the latest runs, newest first; only ``triggers`` when given."""
    query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
    if triggers:
        query = query.where(SyncRun.trigger.in_(triggers))
    with Session(engine) as session:
        return [_view(run) for run in session.scalars(query)]
