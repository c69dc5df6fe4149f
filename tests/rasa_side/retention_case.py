"""Rasa's stores across the app's transcript purge: the Rasa half of a test.

tests/partners/analytics/test_retention_rasa.py runs this in the Rasa environment::

    .venv-rasa/bin/python -m tests.rasa_side.retention_case KIND WHERE PURGE_JSON

``KIND`` is ``sqlite`` (the embedded store of endpoints.yml, ``WHERE`` its file) or
``postgres`` (Rasa's SQL tracker store, ``WHERE`` the database on the local server).
Conversations are written with Rasa's own classes; then the app's purge (the command
``PURGE_JSON``, run in the app environment) runs in the middle of this process, as the
daily job would while Rasa serves; then the next turn of a conversation that never
ended is played. Reports what the store holds afterwards, read as after a restart.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from rasa_addons.stores.tracker_store import SQLiteTrackerStore
from tests.rasa_env import report

DAY = 86_400.0
INTENT = {"name": "ask_program", "confidence": 0.9}
SENDERS = ("web-old", "slack-live", "web-recent")


def open_store(kind: str, where: str, domain: Domain) -> TrackerStore:
    """Open the store under test, as Rasa would from endpoints.yml."""
    if kind == "sqlite":
        return SQLiteTrackerStore(domain=domain, db=where)
    return SQLTrackerStore(
        domain=domain,
        dialect="postgresql",
        host="127.0.0.1",
        port=5432,
        db=where,
        username="postgres",
        password="",
    )


def session(at: float) -> list[Event]:
    """Return the events that start a session at ``at``."""
    return [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at + 0.001),
        ActionExecuted("action_listen", timestamp=at + 0.002),
    ]


def turn(text: str, reply: str, at: float) -> list[Event]:
    """Return one turn's events: the user's ``text`` at ``at``, the bot's ``reply``."""
    return [
        UserUttered(text, INTENT, timestamp=at),
        BotUttered(reply, timestamp=at + 0.5),
        ActionExecuted("action_listen", timestamp=at + 0.6),
    ]


async def write(store: TrackerStore, sender: str, events: list[Event]) -> None:
    """Append ``events`` to ``sender``'s conversation and save it."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


def texts(tracker: DialogueStateTracker | None) -> list[str | None] | None:
    """Return what was said in the conversation, user and bot; None for none stored."""
    if tracker is None:
        return None
    return [e.text for e in tracker.events if isinstance(e, (UserUttered, BotUttered))]


def history(tracker: DialogueStateTracker | None) -> list[dict[str, Any]]:
    """Return the events as Rasa's HTTP API serves them (what the app's history reads)."""
    if tracker is None:
        return []
    events: list[dict[str, Any]] = tracker.current_state(EventVerbosity.ALL)["events"]
    return events


async def run(kind: str, where: str, purge: list[str]) -> dict[str, Any]:
    """Write the conversations, purge in the middle of a turn, report what is left."""
    domain = Domain.from_path("domain.yml")
    store = open_store(kind, where, domain)
    now = time.time()
    old = now - 200 * DAY
    await write(
        store, "web-old", session(old) + turn("my old secret question", "old answer", old + 1)
    )
    await write(
        store,
        "slack-live",
        session(old)
        + turn("ancient slack words", "ancient reply", old + 1)
        + session(old + DAY)
        + turn("also ancient", "also old", old + DAY + 1)
        + session(now - 3600)
        + turn("recent slack words", "recent reply", now - 3599),
    )
    recent = now - DAY
    await write(
        store, "web-recent", session(recent) + turn("recent web question", "web answer", recent + 1)
    )
    # One turn of the live conversation now: the embedded store remembers this tracker.
    tracker = await store.retrieve("slack-live")
    assert tracker is not None
    for event in turn("before the purge", "noted", time.time()):
        tracker.update(event)
    await store.save(tracker)
    before = await store.retrieve("slack-live")

    done = subprocess.run(purge, capture_output=True, text=True, check=True)
    purged = json.loads(done.stdout.strip().splitlines()[-1])

    tracker = await store.retrieve("slack-live")
    assert tracker is not None
    remembered = tracker is before
    for event in turn("after the purge", "still here", time.time()):
        tracker.update(event)
    await store.save(tracker)

    fresh = open_store(kind, where, domain)  # as after a restart: all read from the database
    full = {sender: await fresh.retrieve_full_tracker(sender) for sender in SENDERS}
    return {
        "purged": purged,
        "remembered": remembered,
        "latest": texts(await fresh.retrieve("slack-live")),
        "full": {sender: texts(t) for sender, t in full.items()},
        "history": {sender: history(t) for sender, t in full.items()},
        "keys": sorted(await fresh.keys()),
    }


def main(argv: list[str]) -> None:
    """Run the case for ``KIND WHERE PURGE_JSON`` in ``argv``; print the report."""
    kind, where, purge = argv[0], argv[1], json.loads(argv[2])
    report(asyncio.run(run(kind, where, purge)))


if __name__ == "__main__":
    main(sys.argv[1:])
