"""Rasa's events into a local SQLite file for analytics, without slowing the turn down.

``make run`` has no RabbitMQ: ``endpoints.yml`` publishes Rasa's events through Rasa's
SQL event broker layout instead, into ``${PA_VAR_DIR}/rasa-events.db``, and the app's
analytics consumer reads that table by id (``bot/analytics_ingest.py``). Measured with
Rasa 3.6's own ``SQLEventBroker`` beside the embedded tracker store, a chit-chat turn
took 13-17 ms of the Rasa server instead of 6 ms (docs/benchmarks.md), for two reasons:

- ``SQLEventBroker`` commits each event on its own through the ORM, with SQLite's
  rollback journal and a disk sync per commit, about ten commits per turn on the
  event loop;
- Rasa's ``TrackerStore.stream_events`` reads the conversation back from the store
  before every save, to find the new events: a replay of the whole session that grows
  with every turn.

``SQLiteEventBroker`` writes the same ``events`` table (``id``, ``sender_id``, ``data``:
the event as JSON, as ``SQLEventBroker`` writes it, encoded by orjson:
``rasa_addons/json_text.py``) with one connection in
write-ahead-log mode; the events a turn publishes are collected and written in one
transaction as soon as the event loop is free. The embedded tracker store
(tracker_store.py, through kept_trackers.KeepingTrackerStore) hands the broker the new
events it already knows (the events appended to the tracker it saved last) and asks
Rasa's way only when it does not. Events still in memory when the process is killed
are lost; a normal stop writes them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from rasa_addons.json_text import json_dumps
from rasa_addons.stores.tracker_store import open_wal_database

logger = logging.getLogger(__name__)

# The table of Rasa's SQLEventBroker (rasa/core/brokers/sql.py), column for column.
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER NOT NULL PRIMARY KEY,
    sender_id VARCHAR(255),
    data TEXT
);
"""
_INSERT = "INSERT INTO events (sender_id, data) VALUES (?, ?)"


class SQLiteEventBroker(EventBroker):
    """Rasa's SQL event broker table in a SQLite file, one transaction per turn."""

    def __init__(self, db: str = "var/rasa-events.db") -> None:
        """Remember the file; it is opened (and the table created) on first use."""
        self.path = Path(db)
        self._connection: sqlite3.Connection | None = None
        self._pending: list[tuple[str | None, str]] = []
        self._lock = threading.Lock()
        self._flush_scheduled = False

    @classmethod
    async def from_endpoint_config(
        cls,
        broker_config: EndpointConfig,
        event_loop: asyncio.AbstractEventLoop | None = None,
    ) -> SQLiteEventBroker:
        """Create the broker from ``endpoints.yml`` (``db``: the SQLite file)."""
        kwargs = dict(broker_config.kwargs)
        kwargs.pop("dialect", None)
        return cls(db=str(kwargs.get("db", "var/rasa-events.db")))

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = open_wal_database(self.path, SCHEMA)
        return self._connection

    def publish(self, event: dict[str, Any]) -> None:
        """Queue ``event``; the turn's events are written together once the loop is free."""
        with self._lock:
            self._pending.append((event.get("sender_id"), json_dumps(event)))
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        try:
            asyncio.get_running_loop().call_soon(self.flush)
        except RuntimeError:  # no event loop (a script): write now
            self.flush()

    def flush(self) -> None:
        """Write every queued event in one transaction (errors are logged, never raised)."""
        with self._lock:
            rows, self._pending = self._pending, []
            self._flush_scheduled = False
            if not rows:
                return
            try:
                connection = self._open()
                with connection:
                    connection.execute("BEGIN")
                    connection.executemany(_INSERT, rows)
            except sqlite3.Error:
                logger.exception("event broker: %d events not written to %s", len(rows), self.path)

    def is_ready(self) -> bool:
        """Say the broker is ready: the file is local."""
        return True

    async def close(self) -> None:
        """Write what is queued and close the file."""
        self.flush()
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
