"""Sync runs in the partner store (``sync_runs``), under the one-runner guard.

The guard itself (one ``running`` row, each scheduled slot once, stale runs
abandoned) is ``partners.guarded_runs``; this module gives it the sync's table and
view, and keeps the names the sync and the admin API use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from partners.guarded_runs import ABANDONED, GuardedRuns
from partners.guarded_runs import RunView as GuardedRunView
from partners.models import SyncRun

__all__ = ["ABANDONED", "RunView", "abandon_stale", "claim", "finish", "recent", "running"]


@dataclass(frozen=True)
class RunView(GuardedRunView):
    """A sync run as operators see it: the guarded run and the source it read."""

    source: str


def _view(run: SyncRun) -> RunView:
    return RunView(**RunView.common(run), source=run.source)


SYNC_RUNS: GuardedRuns[SyncRun, RunView] = GuardedRuns(SyncRun, _view, "sync")
abandon_stale = SYNC_RUNS.abandon_stale
finish = SYNC_RUNS.finish
running = SYNC_RUNS.running
recent = SYNC_RUNS.recent


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
    """Claim the one running sync (``GuardedRuns.claim``, started at ``now``), or None."""
    return SYNC_RUNS.claim(
        engine,
        trigger=trigger,
        actor=actor,
        stale_after=stale_after,
        slot=slot,
        started=now,
        source=source,
    )
