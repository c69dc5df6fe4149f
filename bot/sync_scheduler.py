"""The app's schedule of the sync (APScheduler), started and stopped by its lifespan.

Every app process schedules the sync (``PA_SYNC_SCHEDULE``, a cron expression in the
server's time zone) when ``PA_SYNC_SOURCE`` is set; when the moment comes they all
fire, and the lock and the database guard of ``partners.sync.runner`` let exactly one
of them run it: the run records its slot (the fire time), which no second run can
claim. ``run_now`` starts a run at an operator's request, in a thread of its own, and
returns at once with the run in progress.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.settings import Settings
from partners.db import engine_for
from partners.sync import runner, runs

logger = logging.getLogger(__name__)

JOB_ID = "sync"
# A scheduled run that starts this much late (a busy or suspended process) still runs.
MISFIRE_GRACE_SECONDS = 600


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


class SyncScheduler:
    """Schedules the sync in this process and starts runs on request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = engine_for(settings.effective_database_url)
        self.problem: str | None = None
        self._trigger: CronTrigger | None = None
        self._scheduler: BackgroundScheduler | None = None

    @property
    def enabled(self) -> bool:
        """Whether a sync source is configured."""
        return bool(self.settings.sync_source.strip())

    def start(self) -> None:
        """Schedule the sync if a source is configured; a bad schedule is logged and shown."""
        if not self.enabled:
            logger.info("sync off: PA_SYNC_SOURCE is empty")
            return
        try:
            self._trigger = parse_schedule(self.settings.sync_schedule)
        except ValueError as exc:
            self.problem = (
                f"PA_SYNC_SCHEDULE {self.settings.sync_schedule!r} is not a cron expression: {exc}"
            )
            logger.error("sync not scheduled: %s", self.problem)
            return
        self._scheduler = BackgroundScheduler(
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            }
        )
        self._scheduler.add_job(self.scheduled_run, self._trigger, id=JOB_ID, name="sync")
        self._scheduler.start()
        logger.info(
            "sync scheduled (%s); next run %s", self.settings.sync_schedule, self.next_run_time()
        )

    def shutdown(self) -> None:
        """Stop scheduling (a run in progress finishes in its thread)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def next_run_time(self) -> dt.datetime | None:
        """When this process fires the sync next; None when it is not scheduled."""
        job = self._scheduler.get_job(JOB_ID) if self._scheduler else None
        moment: dt.datetime | None = job.next_run_time if job else None
        return moment

    def scheduled_run(self, now: dt.datetime | None = None) -> runs.RunView | None:
        """Run the sync for the slot that fired (the job), unless another process has."""
        if self._trigger is None:
            return None
        now = now or dt.datetime.now(dt.timezone.utc)
        slot = slot_of(self._trigger, now.astimezone(self._trigger.timezone))
        return runner.run_sync(
            self.settings, self.engine, trigger="scheduled", actor="scheduler", slot=slot
        )

    def run_now(self, actor: str) -> runs.RunView | None:
        """Start a run for ``actor`` in a thread of its own; None when one is running."""
        claimed = runner.claim_sync(self.settings, self.engine, trigger="manual", actor=actor)
        if claimed is None:
            return None
        thread = threading.Thread(
            target=runner.execute_sync,
            args=(self.settings, claimed),
            name=f"sync-run-{claimed.run.id}",
            daemon=True,
        )
        thread.start()
        return claimed.run
