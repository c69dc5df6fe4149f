"""A job the app schedules with APScheduler in every process, started by its lifespan.

Every app process schedules the job (a five-field cron expression in the server's
time zone); when the moment comes they all fire, and the job's lock and database
guard (``partners.guarded_runs``) let exactly one of them run it: the run records its
slot (the fire time), which no second run can claim. The sync
(``bot/sync_scheduler.py``) and the reminders (``bot/reminder_scheduler.py``) are
such jobs; each says when it is on, its schedule and how a slot runs.
"""

from __future__ import annotations

import datetime as dt
import logging
from abc import ABC, abstractmethod
from typing import ClassVar, Generic, TypeVar

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from partners.db import engine_for
from partners.guarded_runs import RunView
from settings import Settings

logger = logging.getLogger(__name__)

# A scheduled run that starts this much late (a busy or suspended process) still runs.
MISFIRE_GRACE_SECONDS = 600

ViewT = TypeVar("ViewT", bound=RunView)


def parse_schedule(expression: str) -> CronTrigger:
    """Return the trigger of a five-field cron expression.

    Raises:
        ValueError: With the reason, for an expression that is not one.

    """
    return CronTrigger.from_crontab(expression.strip())


def slot_of(trigger: CronTrigger, now: dt.datetime) -> str:
    """Return the fire time a job starting at ``now`` belongs to, as a stable key.

    Fire times of a five-field cron expression are whole minutes, at least a minute
    apart, so the first fire time after ``now`` less 59 s is the one that fired, for
    any job that started within 59 s of it. A later start falls back to its minute.
    """
    fire = trigger.get_next_fire_time(None, now - dt.timedelta(seconds=59))
    if fire is None or fire > now:
        fire = now.replace(second=0, microsecond=0)
    return fire.astimezone(dt.timezone.utc).isoformat()


class ScheduledJob(ABC, Generic[ViewT]):
    """Schedules one job in this process; subclasses say what it is and run a slot.

    Attributes:
        name: The job's id and its name in log lines ("sync").
        schedule_variable: The setting of its cron expression, as operators set it.
        off_reason: Why the job is off when it is, for the log.
        problem: Why the job is not scheduled though it is on (a bad schedule).

    """

    name: ClassVar[str]
    schedule_variable: ClassVar[str]
    off_reason: ClassVar[str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = engine_for(settings.effective_database_url)
        self.problem: str | None = None
        self._trigger: CronTrigger | None = None
        self._scheduler: BackgroundScheduler | None = None

    @property
    @abstractmethod
    def enabled(self) -> bool:
        """Whether the job runs on its schedule in this deployment."""

    @property
    @abstractmethod
    def schedule(self) -> str:
        """The job's cron expression, as configured."""

    @abstractmethod
    def run_slot(self, slot: str, now: dt.datetime) -> ViewT | None:
        """Run the job for ``slot``, fired at ``now``; None when another process has."""

    def start(self) -> None:
        """Schedule the job when enabled; a bad schedule is logged and shown to operators."""
        if not self.enabled:
            logger.info("%s off: %s", self.name, self.off_reason)
            return
        try:
            self._trigger = parse_schedule(self.schedule)
        except ValueError as exc:
            self.problem = (
                f"{self.schedule_variable} {self.schedule!r} is not a cron expression: {exc}"
            )
            logger.error("%s not scheduled: %s", self.name, self.problem)
            return
        self._scheduler = BackgroundScheduler(
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            }
        )
        self._scheduler.add_job(self.scheduled_run, self._trigger, id=self.name, name=self.name)
        self._scheduler.start()
        logger.info(
            "%s scheduled (%s); next run %s", self.name, self.schedule, self.next_run_time()
        )

    def shutdown(self) -> None:
        """Stop scheduling (a run in progress finishes in its thread)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def next_run_time(self) -> dt.datetime | None:
        """When this process fires the job next; None when it is not scheduled."""
        job = self._scheduler.get_job(self.name) if self._scheduler else None
        moment: dt.datetime | None = job.next_run_time if job else None
        return moment

    def scheduled_run(self, now: dt.datetime | None = None) -> ViewT | None:
        """Run the slot that fired (the job), unless another process has (or is running one)."""
        if self._trigger is None:
            return None
        now = now or dt.datetime.now(dt.timezone.utc)
        return self.run_slot(slot_of(self._trigger, now.astimezone(self._trigger.timezone)), now)
