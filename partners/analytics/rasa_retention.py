"""Transcript retention in Rasa's own stores: the tracker store and the events file.

Run by the daily retention job (``bot/analytics_ingest.py``) beside ``retention.purge``.
Older than the cutoff, it deletes:

- in the tracker store (Rasa's ``events`` table: the embedded SQLite file of
  ``rasa_addons/stores/tracker_store.py`` or Rasa's SQL tracker store on PostgreSQL), every
  conversation with no event newer than the cutoff, and, in the conversations still
  active, the events of earlier sessions: those before the latest ``session_started``
  (by id, as the embedded store loads a tracker, and by timestamp, as Rasa's
  ``SQLTrackerStore`` does). Rasa loads and counts only the latest session when it
  appends a turn, so a conversation that never ends (Slack) keeps working; the embedded
  store's "last saved" shortcut compares the conversation's last event id, which these
  deletions never remove while the conversation lives;
- in the embedded events file (``${PA_VAR_DIR}/rasa-events.db``), the events the
  analytics consumer has read (id up to its cursor). The newest row of the file is
  blanked instead (its sender, type and time stay), so ids never restart.

The app runs without Rasa installed: this is plain SQL on Rasa's table layout.
Each conversation is its own short transaction, so the live Rasa server waits at most
for one of them.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    exists,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from partners.analytics.models import AnalyticsState
from partners.analytics.sources import SQLITE_CURSOR
from partners.db import create_db_engine

logger = logging.getLogger(__name__)

SESSION_STARTED = "session_started"  # rasa.shared.core.events.SessionStarted.type_name
CONNECT_TIMEOUT = {"connect_timeout": 10}  # seconds, PostgreSQL (libpq)
PURGED_EVENT = "purged"  # the blanked newest row of the events file; the ingest skips it

# The columns of Rasa's tracker store table that retention needs (SQLTrackerStore.SQLEvent).
_tracker_events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
)

_BROKER_TIME = "CASE WHEN json_valid(data) THEN json_extract(data, '$.timestamp') END"
_DELETE_READ_EVENTS = (
    f"DELETE FROM events WHERE id <= ? AND id < (SELECT MAX(id) FROM events) AND {_BROKER_TIME} < ?"
)
_BLANK_NEWEST_EVENT = (
    "UPDATE events SET data = json_object('event', ?, 'sender_id', sender_id,"
    f" 'timestamp', {_BROKER_TIME}) WHERE id = (SELECT MAX(id) FROM events)"
    f" AND id <= ? AND {_BROKER_TIME} < ?"
    " AND CASE WHEN json_valid(data) THEN json_extract(data, '$.event') END != ?"
)


@dataclass(frozen=True)
class RasaPurged:
    """What left Rasa's stores (conversations and events)."""

    tracker_conversations: int = 0
    tracker_events: int = 0
    broker_events: int = 0

    def as_dict(self) -> dict[str, int]:
        """JSON-ready form (for the log)."""
        return asdict(self)


def purge_rasa(
    partner_engine: Engine,
    retention_days: int,
    *,
    tracker_store_url: str,
    events_db: Path | None,
    now: dt.datetime | None = None,
) -> RasaPurged:
    """Delete what Rasa's stores hold older than ``retention_days`` (0: keep everything).

    A store that cannot be reached is logged and skipped; the other still runs, and the
    next day's run tries again.

    Args:
        partner_engine: The partner store (the analytics consumer's cursor).
        retention_days: The retention period; 0 keeps everything.
        tracker_store_url: SQLAlchemy URL of Rasa's tracker store.
        events_db: The embedded events file, or None when Rasa publishes elsewhere.
        now: The current time (tests).

    Returns:
        The counts of deleted conversations and events.

    """
    if retention_days <= 0:
        return RasaPurged()
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = (now - dt.timedelta(days=retention_days)).timestamp()
    conversations = events = broker = 0
    try:
        conversations, events = purge_tracker_store(tracker_store_url, cutoff)
    except Exception:
        logger.exception(
            "retention: Rasa's tracker store (%s) not purged; tried again next run",
            make_url(tracker_store_url).render_as_string(hide_password=True),
        )
    if events_db is not None:
        try:
            broker = purge_events_file(events_db, read_cursor(partner_engine), cutoff)
        except Exception:
            logger.exception("retention: %s not purged; tried again next run", events_db)
    return RasaPurged(conversations, events, broker)


def purge_tracker_store(url: str, cutoff: float) -> tuple[int, int]:
    """Delete idle conversations and earlier sessions' old events; return both counts."""
    database = make_url(url)
    sqlite = database.get_backend_name() == "sqlite"
    if sqlite and not Path(database.database or "").exists():
        return 0, 0  # Rasa has not written a conversation yet
    engine = create_db_engine(url, **({} if sqlite else {"connect_args": CONNECT_TIMEOUT}))
    try:
        if not inspect(engine).has_table("events"):
            return 0, 0
        events = _tracker_events
        with engine.connect() as connection:
            idle = connection.scalars(
                select(events.c.sender_id)
                .group_by(events.c.sender_id)
                .having(func.max(events.c.timestamp) < cutoff)
            ).all()
            with_old = connection.scalars(
                select(events.c.sender_id).where(events.c.timestamp < cutoff).distinct()
            ).all()
        conversations, deleted = _delete_conversations(engine, idle, cutoff)
        gone = set(idle)
        active = [sender for sender in with_old if sender not in gone]
        return conversations, deleted + _delete_earlier_sessions(engine, active, cutoff)
    finally:
        engine.dispose()


def _delete_conversations(engine: Engine, senders: Sequence[str], cutoff: float) -> tuple[int, int]:
    events = _tracker_events
    other = events.alias("newer")
    conversations = deleted = 0
    for sender in senders:
        recent = exists(
            select(other.c.id).where(other.c.sender_id == sender, other.c.timestamp >= cutoff)
        )
        with engine.begin() as connection:
            count = _rowcount(
                connection.execute(delete(events).where(events.c.sender_id == sender, ~recent))
            )
        conversations += count > 0  # a turn since the first look keeps the conversation
        deleted += count
    return conversations, deleted


def _delete_earlier_sessions(engine: Engine, senders: Sequence[str], cutoff: float) -> int:
    events = _tracker_events
    start = events.alias("session_start")
    later_session = exists(
        select(start.c.id).where(
            start.c.sender_id == events.c.sender_id,
            start.c.type_name == SESSION_STARTED,
            start.c.id > events.c.id,
            start.c.timestamp > events.c.timestamp,
        )
    )
    deleted = 0
    for sender in senders:
        with engine.begin() as connection:
            deleted += _rowcount(
                connection.execute(
                    delete(events).where(
                        events.c.sender_id == sender, events.c.timestamp < cutoff, later_session
                    )
                )
            )
    return deleted


def read_cursor(partner_engine: Engine) -> int:
    """Return the id of the last event the analytics consumer has read from the file."""
    with Session(partner_engine) as session:
        position = session.scalar(
            select(AnalyticsState.position).where(AnalyticsState.name == SQLITE_CURSOR)
        )
    return int(position or 0)


def purge_events_file(path: Path, cursor: int, cutoff: float) -> int:
    """Delete the read events older than ``cutoff`` from the events file; return how many."""
    if cursor <= 0 or not path.exists():
        return 0
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        tables = connection.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'"
        ).fetchone()
        if not tables[0]:
            return 0
        connection.execute("BEGIN IMMEDIATE")
        try:
            deleted = connection.execute(_DELETE_READ_EVENTS, (cursor, cutoff)).rowcount
            blanked = connection.execute(
                _BLANK_NEWEST_EVENT, (PURGED_EVENT, cursor, cutoff, PURGED_EVENT)
            ).rowcount
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return max(deleted, 0) + max(blanked, 0)
    finally:
        connection.close()


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
