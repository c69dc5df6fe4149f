"""The app's schedule of the reminders (APScheduler), started and stopped by its lifespan.

Like the sync's (``bot/sync_scheduler.py``, whose cron parsing and slot keys it
reuses): every app process schedules the run (``PA_REMINDERS_SCHEDULE``, hourly by
default) when ``PA_REMINDERS_ENABLED`` is on; when the moment comes they all fire, and
the Redis lock and the database guard of ``partners.reminders.runs`` let exactly one
run the slot. ``run_now`` runs at an operator's request, in the caller's thread, and
returns the finished run with its report.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.settings import Settings
from bot.sync_scheduler import MISFIRE_GRACE_SECONDS, parse_schedule, slot_of
from partners.catalogue import program_catalogue
from partners.db import engine_for
from partners.reminders import run, runs

logger = logging.getLogger(__name__)

JOB_ID = "reminders"


class ReminderScheduler:
    """Schedules the reminder runs in this process and runs them on request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = engine_for(settings.effective_database_url)
        self.problem: str | None = None
        self._trigger: CronTrigger | None = None
        self._scheduler: BackgroundScheduler | None = None

    @property
    def enabled(self) -> bool:
        """Whether the reminders run on their schedule."""
        return self.settings.reminders_enabled

    def start(self) -> None:
        """Schedule the runs when enabled; a bad schedule is logged and shown to operators."""
        if not self.enabled:
            logger.info("reminders off: PA_REMINDERS_ENABLED is false")
            return
        try:
            self._trigger = parse_schedule(self.settings.reminders_schedule)
        except ValueError as exc:
            self.problem = (
                f"PA_REMINDERS_SCHEDULE {self.settings.reminders_schedule!r} is not a cron "
                f"expression: {exc}"
            )
            logger.error("reminders not scheduled: %s", self.problem)
            return
        self._scheduler = BackgroundScheduler(
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            }
        )
        self._scheduler.add_job(self.scheduled_run, self._trigger, id=JOB_ID, name="reminders")
        self._scheduler.start()
        logger.info(
            "reminders scheduled (%s); next run %s",
            self.settings.reminders_schedule,
            self.next_run_time(),
        )

    def shutdown(self) -> None:
        """Stop scheduling (a run in progress finishes in its thread)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def next_run_time(self) -> dt.datetime | None:
        """When this process fires the reminders next; None when they are not scheduled."""
        job = self._scheduler.get_job(JOB_ID) if self._scheduler else None
        moment: dt.datetime | None = job.next_run_time if job else None
        return moment

    def scheduled_run(self, now: dt.datetime | None = None) -> runs.RunView | None:
        """Run the slot that fired, unless another process has (or is running one)."""
        if self._trigger is None:
            return None
        now = now or dt.datetime.now(dt.timezone.utc)
        slot = slot_of(self._trigger, now.astimezone(self._trigger.timezone))
        return run.run_once(
            self.settings,
            self.engine,
            program_catalogue(),
            trigger="scheduled",
            actor="scheduler",
            now=now,
            slot=slot,
        )

    def run_now(self, actor: str, now: dt.datetime | None = None) -> runs.RunView | None:
        """Run now for ``actor`` (at the clock ``now``); None when a run is in progress."""
        return run.run_once(
            self.settings, self.engine, program_catalogue(), trigger="manual", actor=actor, now=now
        )
