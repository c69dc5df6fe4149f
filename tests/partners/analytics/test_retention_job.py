"""The daily retention job: Rasa's events file, and a tracker store that cannot be reached."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.analytics_ingest import RetentionJob, events_file, tracker_store_url
from partners.analytics.clusters import Clusterer
from partners.analytics.ingest import Ingestor
from partners.analytics.models import AnalyticsTurn
from partners.analytics.rasa_retention import purge_events_file, read_cursor
from partners.analytics.sources import SQLiteEventSource
from partners.db import create_db_engine, engine_for
from partners.prestart import init_db
from scripts import sample_rasa_events as ev
from settings import Settings
from tests.partners.analytics.fake_embedding import fake_embed
from tests.partners.fixtures import store_settings

NOW = dt.datetime(2026, 12, 4, 3, 40, tzinfo=dt.timezone.utc)
OLD = (NOW - dt.timedelta(days=200)).timestamp()
RECENT = (NOW - dt.timedelta(days=1)).timestamp()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return store_settings(f"sqlite:///{tmp_path / 'partners.db'}", tmp_path)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    yield engine
    engine.dispose()


def write_events(path: Path, events: list[dict]) -> None:
    with sqlite3.connect(path) as connection:  # the table of Rasa's SQLEventBroker
        connection.execute(
            "CREATE TABLE IF NOT EXISTS events"
            " (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), data TEXT)"
        )
        connection.executemany(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            [(event["sender_id"], json.dumps(event)) for event in events],
        )


def stored(path: Path) -> list[tuple[int, dict]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT id, data FROM events ORDER BY id").fetchall()
    return [(row_id, json.loads(data)) for row_id, data in rows]


def consume(engine: Engine, path: Path) -> int:
    return SQLiteEventSource(path).run_once(engine, Ingestor(Clusterer(fake_embed)))


def test_only_read_old_events_leave_the_events_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "rasa-events.db"
    write_events(path, ev.turn("web-old", "my old secret question", "citation", OLD))
    assert consume(engine, path) > 0
    read = read_cursor(engine)
    write_events(path, ev.turn("web-unread", "old but not yet read", "citation", OLD))
    write_events(path, ev.turn("web-new", "recent question", "citation", RECENT))
    cutoff = (NOW - dt.timedelta(days=90)).timestamp()

    assert purge_events_file(path, read, cutoff) == read
    texts = [data.get("text") for _, data in stored(path)]
    assert "my old secret question" not in texts
    assert "old but not yet read" in texts and "recent question" in texts
    assert purge_events_file(path, read, cutoff) == 0  # nothing left to delete
    consume(engine, path)  # the consumer reads on from its cursor
    with Session(engine) as session:
        senders = set(session.scalars(select(AnalyticsTurn.sender_id)))
    assert senders == {"web-old", "web-unread", "web-new"}


def test_the_newest_row_is_blanked_so_ids_never_restart(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "rasa-events.db"
    write_events(path, ev.turn("web-old", "my old secret question", "citation", OLD))
    consume(engine, path)
    read = read_cursor(engine)
    cutoff = (NOW - dt.timedelta(days=90)).timestamp()

    assert purge_events_file(path, read, cutoff) == read  # read - 1 deleted, 1 blanked
    ((row_id, data),) = stored(path)
    assert row_id == read and data == {
        "event": "purged",
        "sender_id": "web-old",
        "timestamp": data["timestamp"],
    }
    assert consume(engine, path) == 0 and read_cursor(engine) == read  # no "new file"
    write_events(path, ev.turn("web-new", "recent question", "citation", RECENT))
    assert consume(engine, path) > 0 and read_cursor(engine) > read
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AnalyticsTurn)) == 2


def test_an_unreachable_tracker_store_is_logged_and_the_rest_still_runs(
    settings: Settings, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rasa-events.db"
    write_events(path, ev.turn("web-old", "my old secret question", "citation", OLD))
    consume(engine, path)
    down = settings.model_copy(
        update={"tracker_store_url": "postgresql://rasa:pw@127.0.0.1:1/rasa"}
    )
    assert events_file(down) == path
    job = RetentionJob(down)
    assert job.engine is engine_for(settings.effective_database_url)
    with caplog.at_level(logging.INFO):
        job.run_slot("2026-12-04T03:40", NOW)
    failed = [r for r in caplog.records if "tracker store" in r.getMessage()]
    assert failed and failed[0].levelno == logging.ERROR and "pw" not in failed[0].getMessage()
    (summary,) = [
        r.getMessage() for r in caplog.records if "transcript retention (" in r.getMessage()
    ]
    assert "'turns': 1" in summary and "'broker_events': " in summary
    assert "my old secret question" not in json.dumps([d for _, d in stored(path)])


def test_where_the_tracker_store_is(settings: Settings, tmp_path: Path) -> None:
    assert tracker_store_url(settings) == f"sqlite:///{tmp_path / 'rasa-trackers.db'}"
    production = settings.model_copy(
        update={"tracker_store_url": "postgresql+psycopg://rasa:pw@db:5432/rasa"}
    )
    assert tracker_store_url(production) == "postgresql+psycopg://rasa:pw@db:5432/rasa"
    assert events_file(settings.model_copy(update={"analytics_source": "rabbitmq"})) is None
