"""rasa_addons.stores.analytics_events: every event published once, in order, into Rasa's table."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from rasa_addons.stores.analytics_events import SQLiteEventBroker
from rasa_addons.stores.tracker_store import SQLiteTrackerStore


async def _publish(folder: Path, domain: Domain) -> None:
    broker = SQLiteEventBroker(db=str(folder / "events.db"))
    trackers = str(folder / "trackers.db")
    store = SQLiteTrackerStore(domain=domain, db=trackers, event_broker=broker)
    for sender in ("a", "b"):
        for text in ("hello", "what is Gold?", "thanks"):
            tracker = await store.get_or_create_tracker(sender)
            tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.9}))
            mark = {"outcome": "answered_citation"}
            tracker.update(BotUttered("reply to " + text, metadata=mark))
            tracker.update(ActionExecuted("action_listen"))
            await store.save(tracker)
    resumed = await store.retrieve("a")  # a new session, as Rasa starts one after expiry
    assert resumed is not None
    resumed.update(ActionExecuted("action_session_start"))
    resumed.update(SessionStarted())
    resumed.update(ActionExecuted("action_listen"))
    resumed.update(UserUttered("back again", {"name": "greet", "confidence": 0.9}))
    await store.save(resumed)
    await broker.close()


def test_every_event_reaches_the_events_table_once_in_order(tmp_path: Path, domain: Domain) -> None:
    asyncio.run(_publish(tmp_path, domain))
    events = sqlite3.connect(tmp_path / "events.db")
    rows: list[tuple[str, dict[str, Any]]] = [
        (sender, json.loads(data))
        for sender, data in events.execute("SELECT sender_id, data FROM events ORDER BY id")
    ]
    events.close()
    a = [event for sender, event in rows if sender == "a"]
    texts = [e.get("text") for e in a if e["event"] in ("user", "bot")]
    assert texts == [
        "hello", "reply to hello", "what is Gold?", "reply to what is Gold?",
        "thanks", "reply to thanks", "back again",
    ]  # fmt: skip
    assert [e["event"] for e in a[-4:]] == ["action", "session_started", "action", "user"]
    assert all(e["sender_id"] == "a" for e in a)
    bots = [e for e in a if e["event"] == "bot"]
    assert all(e["metadata"]["outcome"] == "answered_citation" for e in bots)
    # A new tracker starts with action_listen; then three turns of three events.
    assert len([e for sender, e in rows if sender == "b"]) == 1 + 3 * 3
