"""The embedded tracker store: conversations in a local SQLite file, kept lean.

``endpoints.yml`` names it for ``make run``. It writes exactly the table of Rasa's own
``SQLTrackerStore`` (``events``: one row per event, same columns; the event's JSON
encoded by orjson, ``rasa_addons/json_text.py``), so a file written by one can be read
by the other. What differs is the cost per turn: Rasa's store goes
through the SQLAlchemy ORM with a new connection per operation, and SQLite syncs the
disk on every commit. Profiled under load that was about 35 ms of the Rasa process's
time per turn here, more than NLU, dialogue policies and the action call together
(docs/benchmarks.md). This store keeps one connection, uses plain SQL, and runs
SQLite in write-ahead-log mode with ``synchronous=NORMAL``: a commit is durable against
a crash of the process, and the last commits may be lost only if the machine itself
loses power.

Its trackers are ``TrackerWithCachedHistory`` objects (cached_tracker.py), which keep the
history they computed from one turn to the next, and it keeps the trackers it saved
last (``cache_size`` conversations, kept_trackers.py): the same object comes back on the
next turn when the file still ends where that save left it (same last event id) and
nobody appended to the object since. Rebuilding a tracker replays every event of the
session, a cost that grows with each turn of a long conversation (docs/benchmarks.md).
Another writer, a restart, or an unsaved change makes it read the file again, so the
file stays the only truth.

The multi-process deployment keeps Rasa's SQL tracker store on PostgreSQL, with the same
trackers kept the same way (sql_tracker_store.py, deploy/endpoints.production.yml).
"""

from __future__ import annotations

import itertools
import json
import logging
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SerializedTrackerAsText
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from rasa_addons.json_text import json_dumps
from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory
from rasa_addons.stores.kept_trackers import KeepingTrackerStore, KeptTrackers
from rasa_addons.stores.turn_only import drop_turn_only_properties

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER NOT NULL PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
);
CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id);
-- Finds a conversation's latest session_started without reading all its rows (each save
-- counts the latest session); Rasa's own store reads the table through it as well.
CREATE INDEX IF NOT EXISTS ix_events_sender_type ON events (sender_id, type_name);
"""

# The first event of the latest session: the last `session_started` (or the very first
# event when there is none). Events are ordered by id, as in Rasa's SQL store.
_SESSION_START = (
    "COALESCE((SELECT MAX(id) FROM events WHERE sender_id = :sender AND type_name = '"
    + SessionStarted.type_name
    + "'), 0)"
)
_LATEST_SESSION = (
    f"SELECT id, data FROM events WHERE sender_id = :sender AND id >= {_SESSION_START} ORDER BY id"
)
_ALL_SESSIONS = "SELECT id, data FROM events WHERE sender_id = :sender ORDER BY id"
_COUNT_LATEST_SESSION = (
    f"SELECT COUNT(*), MAX(id) FROM events WHERE sender_id = :sender AND id >= {_SESSION_START}"
)
_LAST_ID = "SELECT MAX(id) FROM events WHERE sender_id = :sender"
_INSERT = (
    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


class SQLiteTrackerStore(KeepingTrackerStore, SerializedTrackerAsText):
    """Conversation events in one SQLite file, Rasa's ``events`` table layout."""

    def __init__(
        self,
        domain: Domain | None = None,
        db: str = "var/rasa-trackers.db",
        event_broker: EventBroker | None = None,
        host: str | None = None,
        cache_size: int = 500,
        **kwargs: Any,
    ) -> None:
        """Remember where the file is; it is opened on first use.

        Args:
            domain: The assistant's domain (slots for rebuilding trackers).
            db: Path of the SQLite file, relative to the working directory.
            event_broker: Where new events are published, if anywhere.
            host: Unused; Rasa passes the endpoint's ``url`` to custom stores.
            cache_size: How many recently saved conversations to keep as trackers.
            kwargs: Further endpoint settings, passed to Rasa's base class.

        """
        super().__init__(domain, event_broker, **kwargs)
        self.path = Path(db)
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.kept = KeptTrackers(cache_size)

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection, created with the schema on first use."""
        with self._lock:
            if self._connection is None:
                self._connection = open_wal_database(self.path, SCHEMA)
                logger.debug("Conversations are kept in '%s'.", self.path)
            return self._connection

    async def keys(self) -> Iterable[str]:
        """Return the id of every stored conversation."""
        rows = self.connection.execute("SELECT DISTINCT sender_id FROM events").fetchall()
        return [sender_id for (sender_id,) in rows]

    def last_id(self, sender_id: str) -> int | None:
        """Return the id of the conversation's last stored event (None: no event)."""
        (last_id,) = self.connection.execute(_LAST_ID, {"sender": sender_id}).fetchone()
        return last_id if last_id is None else int(last_id)

    def read(
        self, sender_id: str, all_sessions: bool
    ) -> tuple[TrackerWithCachedHistory | None, int]:
        """Return the conversation's latest session (or all sessions) and its last event id."""
        query = _ALL_SESSIONS if all_sessions else _LATEST_SESSION
        rows = self.connection.execute(query, {"sender": sender_id}).fetchall()
        if not rows or not self.domain:
            return None, 0
        events = [json.loads(data) for (_, data) in rows]
        tracker = TrackerWithCachedHistory.from_dict(sender_id, events, self.domain.slots)
        return tracker, rows[-1][0]

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's events that are not stored yet, in one transaction."""
        drop_turn_only_properties(tracker)
        await self.stream_events(tracker)
        connection = self.connection
        sender = {"sender": tracker.sender_id}
        connection.execute("BEGIN IMMEDIATE")  # count and insert as one step
        try:
            # The kept tracker's new events, where the file still ends where it did when
            # the tracker was kept: no count of the session's rows, which grows each turn.
            # A new session among them is counted as before (the tracker then holds more
            # than the latest session).
            kept_new = self.kept.unsaved_events(tracker, lambda: self.last_id(tracker.sender_id))
            counted = kept_new is None or any(isinstance(e, SessionStarted) for e in kept_new)
            if kept_new is None or counted:
                stored, _ = connection.execute(_COUNT_LATEST_SESSION, sender).fetchone()
                new_events = list(itertools.islice(tracker.events, stored, None))
            else:
                new_events = kept_new
            connection.executemany(_INSERT, (_row(tracker.sender_id, e) for e in new_events))
            if counted:
                stored, last_id = connection.execute(_COUNT_LATEST_SESSION, sender).fetchone()
            else:
                stored, last_id = len(tracker.events), self.last_id(tracker.sender_id)
            connection.execute("COMMIT")
        except BaseException:
            self.kept.forget(tracker.sender_id)
            connection.execute("ROLLBACK")
            raise
        if stored == len(tracker.events):
            self.kept.keep(tracker, last_id)
        else:
            # The tracker holds more than its latest session (the one that started a
            # new session does): the next turn reads the session from the file.
            self.kept.forget(tracker.sender_id)


def open_wal_database(path: Path, schema: str) -> sqlite3.Connection:
    """Open (creating it) a SQLite file shared by threads and processes, with ``schema``.

    Autocommit (each statement or explicit transaction commits itself), write-ahead
    log with normal syncs (readers never block the writer), a 10 s busy timeout for
    another process's write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(schema)
    return connection


def _row(sender_id: str, event: Any) -> tuple[Any, ...]:
    data = event.as_dict()
    intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
    return (
        sender_id,
        event.type_name,
        data.get("timestamp"),
        intent,
        data.get("name"),
        json_dumps(data),
    )
