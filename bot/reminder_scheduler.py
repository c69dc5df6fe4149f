"""The app's schedule of the reminders (a ``ScheduledJob``), started by its lifespan.

Every app process schedules the run (``PA_REMINDERS_SCHEDULE``, hourly by default)
when ``PA_REMINDERS_ENABLED`` is on; the Redis lock and the database guard of
``partners.reminders.runs`` let exactly one of them run each slot. ``run_now`` runs
at an operator's request, in the caller's thread, and returns the finished run with
its report.
"""

from __future__ import annotations

import datetime as dt

from bot.scheduled_job import ScheduledJob
from partners.catalogue import program_catalogue
from partners.reminders import run, runs

JOB_ID = "reminders"


class ReminderScheduler(ScheduledJob[runs.RunView]):
    """Schedules the reminder runs in this process and runs them on request."""

    name = JOB_ID
    schedule_variable = "PA_REMINDERS_SCHEDULE"
    off_reason = "PA_REMINDERS_ENABLED is false"

    @property
    def enabled(self) -> bool:
        """Whether the reminders run on their schedule."""
        return self.settings.reminders_enabled

    @property
    def schedule(self) -> str:
        """``PA_REMINDERS_SCHEDULE``."""
        return self.settings.reminders_schedule

    def run_slot(self, slot: str, now: dt.datetime) -> runs.RunView | None:
        """Run the reminders for ``slot`` at the clock ``now``, unless another process has."""
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
