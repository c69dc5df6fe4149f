"""Where the ingest reads Rasa's events: the local SQLite table, or RabbitMQ.

Each source's ``run_once`` reads one batch, applies it with the ``Ingestor`` in one
transaction of the partner store and only then marks it read: the SQLite source
stores its cursor (the last event id) in that same transaction, the RabbitMQ source
acknowledges the messages after the commit. A failure in between leaves the batch
unread, to be read again; the event keys make the second reading count nothing twice.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from partners.analytics.ingest import Ingestor
from partners.analytics.models import AnalyticsState

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
SQLITE_CURSOR = "sqlite_events"
# Rasa 3.6's PikaEventBroker: a fanout exchange (not durable) and durable queues.
RASA_EXCHANGE = "rasa-exchange"


class EventSource(Protocol):
    """A source of Rasa events."""

    def run_once(self, engine: Engine, ingestor: Ingestor) -> int:
        """Ingest one batch; return how many events it read (0: nothing waiting)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def _ingest(engine: Engine, ingestor: Ingestor, events: list[dict[str, Any]], after: Any) -> None:
    with Session(engine, expire_on_commit=False) as session:
        try:
            ingestor.ingest(session, events)
            after(session)
            session.commit()
        except BaseException:
            session.rollback()
            if ingestor.clusterer is not None:
                ingestor.clusterer.forget()
            raise


class SQLiteEventSource:
    """The ``events`` table Rasa's SQL event broker writes (``make run``), read by id."""

    def __init__(self, path: Path, batch_size: int = BATCH_SIZE) -> None:
        """Read ``path`` (``${PA_VAR_DIR}/rasa-events.db``) ``batch_size`` events at a time."""
        self.path = path
        self.batch_size = batch_size
        self._connection: sqlite3.Connection | None = None

    def _rows(self, after: int) -> list[tuple[int, str]]:
        if self._connection is None:
            if not self.path.exists():
                return []
            self._connection = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        try:
            rows = self._connection.execute(
                "SELECT id, data FROM events WHERE id > ? ORDER BY id LIMIT ?",
                (after, self.batch_size),
            ).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):  # Rasa has not written its first event yet
                return []
            raise
        return [(int(row_id), str(data)) for row_id, data in rows]

    def _last_id(self) -> int:
        if self._connection is None:
            return 0
        (last,) = self._connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
        return int(last)

    def run_once(self, engine: Engine, ingestor: Ingestor) -> int:
        """Ingest the events after the stored cursor; move the cursor in the same commit."""
        with Session(engine) as session:
            cursor = session.scalar(
                select(AnalyticsState.position).where(AnalyticsState.name == SQLITE_CURSOR)
            )
        position = int(cursor or 0)
        rows = self._rows(position)
        if not rows:
            if position and self._last_id() < position:
                # A new events file (var/ was cleaned): start from its beginning. The
                # event keys keep whatever was counted before from counting again.
                logger.warning("analytics: %s restarted its ids; reading it again", self.path)
                _ingest(engine, ingestor, [], _store_cursor(0))
            return 0
        events = []
        for row_id, data in rows:
            try:
                events.append(json.loads(data))
            except ValueError:
                logger.error("analytics: event %d of %s is not JSON; skipped", row_id, self.path)
        _ingest(engine, ingestor, events, _store_cursor(rows[-1][0]))
        return len(rows)

    def close(self) -> None:
        """Close the file."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _store_cursor(position: int) -> Callable[[Session], None]:
    def store(session: Session) -> None:
        row = session.get(AnalyticsState, SQLITE_CURSOR)
        if row is None:
            session.add(AnalyticsState(name=SQLITE_CURSOR, position=position))
        else:
            row.position = position

    return store


class RabbitEventSource:
    """The RabbitMQ queue Rasa's event broker fills (production profile)."""

    def __init__(
        self,
        parameters: Any,
        queue: str,
        batch_size: int = BATCH_SIZE,
        wait_seconds: float = 0.2,
        exchange: str | None = RASA_EXCHANGE,
    ) -> None:
        """Consume ``queue`` with pika ``parameters``, bound to Rasa's ``exchange``."""
        self.exchange = exchange
        self.parameters = parameters
        self.queue = queue
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        self._connection: Any = None
        self._channel: Any = None
        self._messages: Any = None

    def _open(self) -> None:
        import pika

        if self._channel is not None and self._channel.is_open:
            return
        self.close()
        self._connection = pika.BlockingConnection(self.parameters)
        channel = self._connection.channel()
        # The same exchange and queue Rasa declares, so no event is lost when the app
        # starts first; a different declaration would be refused by RabbitMQ.
        channel.queue_declare(self.queue, durable=True)
        if self.exchange:
            channel.exchange_declare(self.exchange, exchange_type="fanout")
            channel.queue_bind(self.queue, self.exchange, "")
        channel.basic_qos(prefetch_count=self.batch_size)
        self._channel = channel
        self._messages = channel.consume(self.queue, inactivity_timeout=self.wait_seconds)

    def run_once(self, engine: Engine, ingestor: Ingestor) -> int:
        """Ingest up to a batch of messages; acknowledge them after the commit."""
        self._open()
        events: list[dict[str, Any]] = []
        last_tag = None
        for method, _properties, body in self._messages:
            if method is None:  # nothing more within wait_seconds
                break
            last_tag = method.delivery_tag
            try:
                events.append(json.loads(body))
            except ValueError:
                logger.error("analytics: a message on %s is not JSON; skipped", self.queue)
            if last_tag is not None and len(events) >= self.batch_size:
                break
        if last_tag is None:
            return 0
        try:
            _ingest(engine, ingestor, events, lambda _session: None)
        except Exception:
            self._channel.basic_nack(delivery_tag=last_tag, multiple=True, requeue=True)
            raise
        self._channel.basic_ack(delivery_tag=last_tag, multiple=True)
        return len(events)

    def close(self) -> None:
        """Stop consuming (unacknowledged messages go back to the queue) and disconnect."""
        connection, self._connection, self._channel, self._messages = (
            self._connection,
            None,
            None,
            None,
        )
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # already broken
                logger.debug("analytics: closing RabbitMQ failed", exc_info=True)
