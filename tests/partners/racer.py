"""The part every racer process shares (``sync_racer``, ``reminder_racer``).

A racer starts its app scheduler, prints ``ready``, waits for a line on standard
input (so that all racers go at once), then fires the scheduled run as if the clock
said ``now`` (the same for every racer, so all fire the same slot) and prints a JSON
line: its pid, whether it ran the slot, and what its ``outcome`` adds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from bot.scheduled_job import ScheduledJob
from partners.guarded_runs import RunView

ViewT = TypeVar("ViewT", bound=RunView)


def race_once(
    scheduler: ScheduledJob[ViewT],
    now: str,
    outcome: Callable[[ViewT | None], dict[str, Any]],
    *,
    warm_up: Callable[[], object] = lambda: None,
) -> None:
    """Start ``scheduler``, wait for the go line, fire once at ``now``, print the outcome.

    Args:
        scheduler: The app's scheduler, configured for the race.
        now: The clock of the fired run, in ISO 8601.
        outcome: The racer's own fields of the printed line, from its run (None: lost).
        warm_up: Loads what the run needs before ``ready``, so that all racers start level.

    """
    scheduler.start()
    warm_up()
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        run = scheduler.scheduled_run(now=dt.datetime.fromisoformat(now))
    finally:
        scheduler.shutdown()
    print(json.dumps({"pid": os.getpid(), "ran": run is not None, **outcome(run)}), flush=True)
