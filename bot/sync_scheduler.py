"""The app's schedule of the sync (a ``ScheduledJob``), started and stopped by its lifespan.

Every app process schedules the sync (``PA_SYNC_SCHEDULE``) when ``PA_SYNC_SOURCE``
is set; the lock and the database guard of ``partners.sync.runner`` let exactly one
of them run each slot. ``run_now`` starts a run at an operator's request, in a thread
of its own, and returns at once with the run in progress.
"""

from __future__ import annotations

import datetime as dt
import threading

from bot.scheduled_job import MISFIRE_GRACE_SECONDS, ScheduledJob, parse_schedule, slot_of
from partners.sync import runner, runs

__all__ = ["JOB_ID", "MISFIRE_GRACE_SECONDS", "SyncScheduler", "parse_schedule", "slot_of"]

JOB_ID = "sync"


class SyncScheduler(ScheduledJob[runs.RunView]):
    """Schedules the sync in this process and starts runs on request."""

    name = JOB_ID
    schedule_variable = "PA_SYNC_SCHEDULE"
    off_reason = "PA_SYNC_SOURCE is empty"

    @property
    def enabled(self) -> bool:
        """Whether a sync source is configured."""
        return bool(self.settings.sync_source.strip())

    @property
    def schedule(self) -> str:
        """``PA_SYNC_SCHEDULE``."""
        return self.settings.sync_schedule

    def run_slot(self, slot: str, now: dt.datetime) -> runs.RunView | None:
        """Run the sync for ``slot``, unless another process runs or ran it."""
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
