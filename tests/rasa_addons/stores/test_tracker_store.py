"""rasa_addons.stores.tracker_store: conversations kept in SQLite, readable by Rasa's own store.

Each fixture works on a SQLite file in a temporary folder and reports what a
conversation looks like when it is read back. How the store keeps trackers between
turns is tested with the PostgreSQL store's in test_kept_trackers.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.stores.tracker_store import SQLiteTrackerStore


def texts(tracker: DialogueStateTracker | None) -> list[str | None] | None:
    if tracker is None:
        return None
    return [e.text for e in tracker.events if isinstance(e, (UserUttered, BotUttered))]


def _turn(store: TrackerStore, sender: str, text: str, reply: str, tier: str | None = None) -> None:
    async def run() -> None:
        tracker = await store.get_or_create_tracker(sender)
        tracker.update(UserUttered(text, {"name": "ask_program", "confidence": 0.9}))
        if tier:
            tracker.update(SlotSet("tier", tier))
        tracker.update(BotUttered(reply))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)

    asyncio.run(run())


def _retrieve(store: TrackerStore, sender: str) -> DialogueStateTracker | None:
    return asyncio.run(store.retrieve(sender))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, domain: Domain) -> dict[str, Any]:
    db = str(tmp_path_factory.mktemp("trackers") / "rasa-trackers.db")
    ours = SQLiteTrackerStore(domain=domain, db=db)
    _turn(ours, "p1", "hello", "Hi!")
    _turn(ours, "p1", "what is Gold?", "Gold is the third tier.", tier="Gold")
    _turn(ours, "p2", "hi from p2", "Hi, p2!", tier="Silver")

    async def new_session() -> None:  # for p1: Rasa appends these when a conversation expires
        tracker = await ours.retrieve("p1")
        assert tracker is not None
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        await ours.save(tracker)

    asyncio.run(new_session())
    _turn(ours, "p1", "and Platinum?", "Platinum is the top tier.")

    reopened = SQLiteTrackerStore(domain=domain, db=db)  # as after a restart
    rasas = SQLTrackerStore(domain=domain, dialect="sqlite", db=db)
    _turn(rasas, "p3", "written by Rasa", "Rasa's store wrote this.")
    _turn(reopened, "p3", "then by ours", "Ours appended this.")

    count = "SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id"
    connection = sqlite3.connect(db)
    rows = connection.execute(count).fetchall()
    connection.close()
    p2 = _retrieve(reopened, "p2")
    assert p2 is not None
    return {
        "latest": texts(_retrieve(reopened, "p1")),
        "full": texts(asyncio.run(reopened.retrieve_full_tracker("p1"))),
        "p2_tier": p2.get_slot("tier"),
        "p2": texts(p2),
        "unknown": texts(_retrieve(reopened, "nobody")),
        "keys": sorted(asyncio.run(reopened.keys())),
        "rasa_reads_ours": texts(_retrieve(rasas, "p1")),
        "rasa_reads_ours_full": texts(asyncio.run(rasas.retrieve_full_tracker("p1"))),
        "ours_reads_rasa": texts(_retrieve(reopened, "p3")),
        "rows": dict(rows),
        "events_p2": len(p2.events),
    }


def test_a_conversation_is_read_back_after_a_restart(report: dict[str, Any]) -> None:
    assert report["p2"] == ["hi from p2", "Hi, p2!"]
    assert report["p2_tier"] == "Silver"
    assert report["unknown"] is None
    assert report["keys"] == ["p1", "p2", "p3"]


def test_the_latest_session_only_unless_all_are_asked_for(report: dict[str, Any]) -> None:
    assert report["latest"] == ["and Platinum?", "Platinum is the top tier."]
    assert report["full"] == [
        "hello",
        "Hi!",
        "what is Gold?",
        "Gold is the third tier.",
        "and Platinum?",
        "Platinum is the top tier.",
    ]


def test_each_event_is_stored_once(report: dict[str, Any]) -> None:
    # p2: the initial action_listen, then user, slot, bot, action_listen
    assert report["rows"]["p2"] == report["events_p2"] == 5


def test_rasas_own_sql_store_reads_the_same_file_and_ours_reads_its(
    report: dict[str, Any],
) -> None:
    assert report["rasa_reads_ours_full"] == report["full"]
    assert report["rasa_reads_ours"] == report["latest"]
    assert report["ours_reads_rasa"] == [
        "written by Rasa",
        "Rasa's store wrote this.",
        "then by ours",
        "Ours appended this.",
    ]


def test_a_kept_conversation_is_saved_without_counting_its_rows(
    tmp_path_factory: pytest.TempPathFactory, domain: Domain
) -> None:
    db = str(tmp_path_factory.mktemp("kept") / "rasa-trackers.db")
    store = SQLiteTrackerStore(domain=domain, db=db)
    _turn(store, "p1", "hello", "Hi!")  # a new conversation: counted, then kept
    statements: list[str] = []
    store.connection.set_trace_callback(statements.append)
    for number in range(3):
        _turn(store, "p1", f"question {number}", f"answer {number}")
    store.connection.set_trace_callback(None)

    # The session's rows, which grow every turn, were never counted ...
    assert statements and not [s for s in statements if "COUNT(" in s]
    # ... and every turn is stored once, read back by a store that kept nothing.
    assert texts(_retrieve(SQLiteTrackerStore(domain=domain, db=db), "p1")) == [
        "hello",
        "Hi!",
        *[text for n in range(3) for text in (f"question {n}", f"answer {n}")],
    ]
