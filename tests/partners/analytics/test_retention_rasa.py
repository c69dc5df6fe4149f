"""Transcript retention in Rasa's stores: old conversations go, live ones keep working.

Each case writes conversations with Rasa's own classes in the Rasa environment (the
embedded store of endpoints.yml, or Rasa's SQL tracker store on PostgreSQL), runs the
app's purge in the middle of that same process, as the daily job would while Rasa
serves, then plays the next turn of a conversation that never ended and reads back what
the app's GET /v1/chat/history would show.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.routers.chat import history_messages
from tests.partners.fixtures import POSTGRES_URL
from tests.rasa_env import run_in_rasa_env

DAY = 86_400

# Runs in the app environment (where the daily job runs): argv = tracker store URL, days.
PURGE = r"""
import datetime as dt, json, sys
from partners.analytics.rasa_retention import purge_tracker_store
cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=int(sys.argv[2]))).timestamp()
print(json.dumps(purge_tracker_store(sys.argv[1], cutoff)))
"""

SCRIPT = r"""
import asyncio, json, subprocess, sys, time
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import EventVerbosity
from rasa_addons.analytics_events import PublishingSQLiteTrackerStore

kind, where, purge = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
domain = Domain.from_path("domain.yml")

def open_store():
    if kind == "sqlite":
        return PublishingSQLiteTrackerStore(domain=domain, db=where)
    return SQLTrackerStore(
        domain=domain, dialect="postgresql", url="127.0.0.1", port=5432, db=where,
        username="postgres", password="",
    )

DAY = 86400.0
now = time.time()
intent = {"name": "ask_program", "confidence": 0.9}

def session(at):
    return [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at + 0.001),
        ActionExecuted("action_listen", timestamp=at + 0.002),
    ]

def turn(text, reply, at):
    return [
        UserUttered(text, intent, timestamp=at),
        BotUttered(reply, timestamp=at + 0.5),
        ActionExecuted("action_listen", timestamp=at + 0.6),
    ]

store = open_store()

async def write(sender, events):
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    for event in events:
        tracker.update(event)
    await store.save(tracker)

async def main():
    old = now - 200 * DAY
    await write("web-old", session(old) + turn("my old secret question", "old answer", old + 1))
    await write(
        "slack-live",
        session(old) + turn("ancient slack words", "ancient reply", old + 1)
        + session(old + DAY) + turn("also ancient", "also old", old + DAY + 1)
        + session(now - 3600) + turn("recent slack words", "recent reply", now - 3599),
    )
    recent = now - DAY
    web = turn("recent web question", "web answer", recent + 1)
    await write("web-recent", session(recent) + web)
    # one turn of the live conversation now: the embedded store remembers this tracker
    tracker = await store.retrieve("slack-live")
    for event in turn("before the purge", "noted", time.time()):
        tracker.update(event)
    await store.save(tracker)
    before = await store.retrieve("slack-live")

    done = subprocess.run(purge, capture_output=True, text=True, check=True)
    purged = json.loads(done.stdout.strip().splitlines()[-1])

    tracker = await store.retrieve("slack-live")
    remembered = tracker is before
    for event in turn("after the purge", "still here", time.time()):
        tracker.update(event)
    await store.save(tracker)

    fresh = open_store()  # as after a restart: everything read from the database
    def texts(t):
        if t is None:
            return None
        return [e.text for e in t.events if isinstance(e, (UserUttered, BotUttered))]
    def history(t):
        return [] if t is None else t.current_state(EventVerbosity.ALL)["events"]
    senders = ("web-old", "slack-live", "web-recent")
    full = {s: await fresh.retrieve_full_tracker(s) for s in senders}
    return {
        "purged": purged,
        "remembered": remembered,
        "latest": texts(await fresh.retrieve("slack-live")),
        "full": {s: texts(t) for s, t in full.items()},
        "history": {s: history(t) for s, t in full.items()},
        "keys": sorted(await fresh.keys()),
    }

print(json.dumps(asyncio.run(main())))
"""

RECENT_SLACK = ["recent slack words", "recent reply", "before the purge", "noted"]


def run_case(kind: str, where: str, url: str) -> dict[str, Any]:
    """Run SCRIPT against one store; the purge keeps 90 days."""
    purge = [sys.executable, "-c", PURGE, url, "90"]
    result: dict[str, Any] = run_in_rasa_env(SCRIPT, kind, where, json.dumps(purge))
    return result


def check(report: dict[str, Any]) -> None:
    """What a user of the console or the widget would notice after the purge."""
    # web-old: 3 + 3 events; slack-live: 2 old sessions of 6 events each
    assert report["purged"] == [1, 18]
    assert report["keys"] == ["slack-live", "web-recent"]
    assert report["full"]["web-old"] is None
    assert report["full"]["slack-live"] == [*RECENT_SLACK, "after the purge", "still here"]
    assert report["latest"] == report["full"]["slack-live"]  # each event stored once
    assert report["full"]["web-recent"] == ["recent web question", "web answer"]
    shown = {s: [m.text for m in history_messages(e)] for s, e in report["history"].items()}
    assert shown["web-old"] == []
    assert "ancient slack words" not in shown["slack-live"]
    assert shown["slack-live"][:2] == ["recent slack words", "recent reply"]
    assert shown["web-recent"] == ["recent web question", "web answer"]


def test_the_embedded_store_forgets_old_words_and_the_live_conversation_goes_on(
    tmp_path: Path,
) -> None:
    db = tmp_path / "rasa-trackers.db"
    report = run_case("sqlite", str(db), f"sqlite:///{db}")
    check(report)
    # the store's "last saved" shortcut held across the purge, and stayed right
    assert report["remembered"] is True


@pytest.fixture
def tracker_database() -> Iterator[str]:
    """A database of its own on the local PostgreSQL server, dropped afterwards."""
    name = "pa_h5_retention"
    try:
        admin = psycopg.connect(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is unreachable: {exc}")
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with psycopg.connect(
            POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True
        ) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.postgres
def test_rasas_sql_store_on_postgresql_forgets_old_words_too(tracker_database: str) -> None:
    url = f"postgresql://postgres@127.0.0.1:5432/{tracker_database}"
    check(run_case("postgres", tracker_database, url))


def test_nothing_is_purged_when_the_store_is_not_there(tmp_path: Path) -> None:
    from partners.analytics.rasa_retention import purge_tracker_store

    missing = tmp_path / "none" / "rasa-trackers.db"
    assert purge_tracker_store(f"sqlite:///{missing}", 1e12) == (0, 0)
    assert not missing.exists()  # the purge does not create Rasa's file
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert purge_tracker_store(f"sqlite:///{empty}", 1e12) == (0, 0)
