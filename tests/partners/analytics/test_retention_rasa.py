"""Transcript retention in Rasa's stores: old conversations go, live ones keep working.

Each case writes conversations with Rasa's own classes in the Rasa environment (the
embedded store of endpoints.yml, or Rasa's SQL tracker store on PostgreSQL), runs the
app's purge in the middle of that same process, as the daily job would while Rasa
serves, then plays the next turn of a conversation that never ended and reads back what
the app's GET /v1/chat/history would show. The Rasa half is
tests/rasa_side/retention_case.py; the purge it starts, in the app environment,
tests/partners/analytics/purge_transcripts.py.
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
from tests.rasa_env import run_rasa_module

RECENT_SLACK = ["recent slack words", "recent reply", "before the purge", "noted"]


def run_case(kind: str, where: str, url: str) -> dict[str, Any]:
    """Run tests/rasa_side/retention_case.py against one store; the purge keeps 90 days."""
    purge = [sys.executable, "-m", "tests.partners.analytics.purge_transcripts", url, "90"]
    result: dict[str, Any] = run_rasa_module(
        "tests.rasa_side.retention_case", kind, where, json.dumps(purge)
    )
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
