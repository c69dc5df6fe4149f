"""The two event sources: Rasa's SQLite events table and the real local RabbitMQ."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pika
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from partners.analytics.clusters import Clusterer
from partners.analytics.ingest import Ingestor
from partners.analytics.models import AnalyticsTurn
from partners.analytics.sources import RabbitEventSource, SQLiteEventSource
from partners.db import create_db_engine
from partners.prestart import init_db
from scripts import sample_rasa_events as ev
from tests.partners.analytics.fake_embedding import fake_embed
from tests.partners.fixtures import store_settings

T0 = 1_796_400_000.0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    settings = store_settings(f"sqlite:///{tmp_path / 'partners.db'}", tmp_path)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    yield engine
    engine.dispose()


def turn_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AnalyticsTurn)) or 0)


def conversation(sender: str, turns: int) -> list[dict]:
    batch = ev.conversation_start(sender, T0)
    for index in range(turns):
        batch += ev.turn(sender, f"question {index}", "citation", T0 + index + 1)
    return batch


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


def test_the_sqlite_table_is_read_by_id_and_a_new_file_counts_nothing_twice(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "rasa-events.db"
    source = SQLiteEventSource(path, batch_size=7)
    ingestor = Ingestor(Clusterer(fake_embed))
    assert source.run_once(engine, ingestor) == 0  # Rasa has written nothing yet
    events = conversation("api-sqlite", 5)
    write_events(path, events)
    while source.run_once(engine, ingestor):
        pass
    assert turn_count(engine) == 5
    # `make clean` and the same events again (ids restart): nothing counts twice.
    source.close()
    path.unlink()
    write_events(path, events[:10])
    while source.run_once(engine, ingestor):
        pass
    assert turn_count(engine) == 5


RABBIT = pika.ConnectionParameters("127.0.0.1", 5672, connection_attempts=1)


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"pa_analytics_test_{os.getpid()}"
    try:
        connection = pika.BlockingConnection(RABBIT)
    except pika.exceptions.AMQPError as exc:
        pytest.skip(f"RabbitMQ at 127.0.0.1:5672 is unreachable: {exc}")
    channel = connection.channel()
    channel.queue_declare(name, durable=True)
    channel.queue_purge(name)
    yield name
    channel.queue_delete(name)
    connection.close()


def publish(queue: str, events: list[dict]) -> None:
    connection = pika.BlockingConnection(RABBIT)
    channel = connection.channel()
    for event in events:
        channel.basic_publish("", queue, json.dumps(event).encode())
    connection.close()


def test_rabbitmq_messages_are_acknowledged_after_the_commit_and_redelivered_once(
    engine: Engine, queue: str
) -> None:
    events = conversation("api-rabbit", 4)
    publish(queue, events)
    ingestor = Ingestor(Clusterer(fake_embed))
    crashing = RabbitEventSource(RABBIT, queue, batch_size=100, exchange=None)
    crashing._open()
    crashing._channel.basic_ack = _crash  # the process dies after its commit, before the ack
    with pytest.raises(ConnectionAbortedError):
        crashing.run_once(engine, ingestor)
    crashing.close()  # RabbitMQ puts the unacknowledged messages back
    assert turn_count(engine) == 4

    source = RabbitEventSource(RABBIT, queue, batch_size=5, exchange=None)
    read = 0
    while (batch := source.run_once(engine, Ingestor(Clusterer(fake_embed)))) > 0:
        read += batch
    source.close()
    assert read == len(events)  # every message came again...
    assert turn_count(engine) == 4  # ...and counted once
    connection = pika.BlockingConnection(RABBIT)
    waiting = connection.channel().queue_declare(queue, durable=True).method.message_count
    connection.close()
    assert waiting == 0  # all acknowledged


def _crash(**_kwargs: object) -> None:
    raise ConnectionAbortedError("killed before the acknowledgement")
