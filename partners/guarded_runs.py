"""Runs guarded in the database so that one runs at a time, for any run table.

A run is claimed by inserting its row as ``running``. A partial unique index allows
one such row at a time (``partners.models.one_runner_table_args``), so of several
processes claiming at once (on SQLite or PostgreSQL) exactly one insert succeeds; a
scheduled run's ``slot`` (the schedule's fire time) is unique too, so a slot runs once
even when a process fires it after another has already finished it. A ``running`` row
older than the stale timeout belongs to a process that died: the next claim marks it
failed first. The sync (``partners.sync.runs``) and the reminders
(``partners.reminders.runs``) each keep a table of their own with this guard.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partners.clock import aware, utc_now
from partners.models import GuardedRun

logger = logging.getLogger(__name__)

ABANDONED = "abandoned: the process running it stopped before it finished"


@dataclass(frozen=True)
class RunView:
    """A run as operators see it; each run table's view adds its own columns."""

    id: int
    status: str
    trigger: str
    actor: str
    slot: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    report: dict[str, Any]

    @staticmethod
    def common(run: GuardedRun) -> dict[str, Any]:
        """Return the fields every view takes from a row, to build a view with."""
        try:
            report = json.loads(run.report or "{}")
        except ValueError:
            report = {}
        return {
            "id": run.id,
            "status": run.status,
            "trigger": run.trigger,
            "actor": run.actor,
            "slot": run.slot,
            "started_at": aware(run.started_at),
            "finished_at": aware(run.finished_at) if run.finished_at else None,
            "report": report if isinstance(report, dict) else {},
        }

    def as_json(self) -> dict[str, Any]:
        """Return the run as a JSON-able dict (times in ISO 8601)."""
        shown: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            shown[field.name] = value.isoformat() if isinstance(value, dt.datetime) else value
        return shown


RowT = TypeVar("RowT", bound=GuardedRun)
ViewT = TypeVar("ViewT", bound=RunView)


class GuardedRuns(Generic[RowT, ViewT]):
    """The runs of one guarded table: claim, finish, abandon the stale, list.

    Args:
        model: The run table's model.
        view: Builds the view operators see of a row.
        label: What runs the table records, for log lines and errors ("sync").

    """

    def __init__(self, model: type[RowT], view: Callable[[RowT], ViewT], label: str) -> None:
        self.model, self.view, self.label = model, view, label

    def abandon_stale(
        self, engine: Engine, stale_after: dt.timedelta, *, now: dt.datetime | None = None
    ) -> int:
        """Mark ``running`` rows older than ``stale_after`` as failed; return how many."""
        now = now or utc_now()
        model = self.model
        with Session(engine) as session:
            result = session.execute(
                update(model)
                .where(model.status == "running", model.started_at < now - stale_after)
                .values(status="failed", finished_at=now, report=json.dumps({"error": ABANDONED}))
            )
            session.commit()
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            logger.warning("%s: %d run(s) %s", self.label, count, ABANDONED)
        return count

    def claim(
        self,
        engine: Engine,
        *,
        trigger: str,
        actor: str,
        stale_after: dt.timedelta,
        slot: str | None = None,
        started: dt.datetime | None = None,
        **columns: Any,
    ) -> ViewT | None:
        """Claim the one running run: insert a ``running`` row, or return None.

        None means another run holds the guard (it is running now) or, for a scheduled
        run, that ``slot`` was already run by some process.

        Args:
            engine: The partner store.
            trigger: What started the run ("scheduled", "manual", ...).
            actor: "scheduler" or the operator's email.
            stale_after: How old a ``running`` row is when its process is taken as dead.
            slot: The schedule's fire time, for a scheduled run.
            started: The start time (now when None); runs older by ``stale_after`` are
                abandoned first.
            **columns: The table's own columns (the sync's ``source``, ...).

        """
        started = started or utc_now()
        self.abandon_stale(engine, stale_after, now=started)
        with Session(engine, expire_on_commit=False) as session:
            run = self.model(
                started_at=started,
                status="running",
                trigger=trigger,
                slot=slot,
                actor=actor,
                report="{}",
                **columns,
            )
            session.add(run)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return None
            return self.view(run)

    def finish(self, engine: Engine, run_id: int, status: str, report: dict[str, Any]) -> ViewT:
        """Record the outcome of run ``run_id`` and let the next run be claimed."""
        with Session(engine, expire_on_commit=False) as session:
            run = session.get(self.model, run_id)
            if run is None:  # deleted by hand meanwhile; nothing to record against
                raise LookupError(f"{self.label} run {run_id} is gone")
            run.status = status
            run.finished_at = utc_now()
            run.report = json.dumps(report, default=str)
            session.commit()
            return self.view(run)

    def running(self, engine: Engine) -> ViewT | None:
        """Return the run in progress, if any."""
        with Session(engine) as session:
            run = session.scalar(select(self.model).where(self.model.status == "running"))
            return self.view(run) if run else None

    def recent(
        self, engine: Engine, *, limit: int = 10, triggers: tuple[str, ...] = ()
    ) -> list[ViewT]:
        """Return the latest runs, newest first; only ``triggers`` when given."""
        model = self.model
        query = select(model).order_by(model.started_at.desc(), model.id.desc()).limit(limit)
        if triggers:
            query = query.where(model.trigger.in_(triggers))
        with Session(engine) as session:
            return [self.view(run) for run in session.scalars(query)]
