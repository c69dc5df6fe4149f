"""The Slack inbox: each Slack delivery stored once, then answered by exactly one process.

Slack wants its request acknowledged within 3 seconds and retries it when it is not,
with the same ``event_id``. The Slack channel (``rasa_addons/channels/slack_channel.py``)
therefore stores every signed message here *before* acknowledging it, keyed by the
delivery's id, and answers from the stored row:

- ``receive`` inserts the row already claimed by the receiving process (a lease:
  ``claimed_by``, ``lease_until``). A second insert of the same key fails on the
  primary key: a retry, or the same event sent to another process, is acknowledged
  and not processed again. If the insert fails for any other reason the channel
  answers Slack with 503 and Slack retries; nothing was acknowledged, nothing is lost.
- While a process works on its rows, ``renew`` extends their leases (one statement
  for all of them). ``finish`` marks a row done.
- A process that dies after the acknowledgement stops renewing. Every Rasa process
  polls with ``claim_expired``, which takes over rows whose lease has run out with a
  conditional ``UPDATE ... WHERE lease_until < now``: exactly one process gets each.

Leases are compared with the processes' clocks (keep them in sync, as NTP does); a
process cut off from the inbox for longer than a lease may lose its rows to another,
and the message is then answered twice. Rows older than ``RETENTION`` (long past
Slack's last retry) are deleted.

Plain SQLAlchemy 1.4 Core and blocking calls: the channel runs them in threads. The
location is ``PA_SLACK_INBOX_URL`` (SQLAlchemy URL; the production PostgreSQL of the
trackers, ``postgresql://...``), by default the SQLite file ``slack-inbox.db`` under
``PA_VAR_DIR`` (``var/``), which the Rasa processes of one machine can share.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

logger = logging.getLogger(__name__)

URL_VARIABLE = "PA_SLACK_INBOX_URL"
LEASE_VARIABLE = "PA_SLACK_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 30.0
# Slack retries for about 5 minutes; a day covers that with a wide margin.
RETENTION_SECONDS = 24 * 3600.0
# Slack expects the acknowledgement within 3 s: give up connecting well before.
CONNECT_TIMEOUT_SECONDS = 2

PENDING, DONE, FAILED = "pending", "done", "failed"

_schema = MetaData()
inbox_table = Table(
    "slack_inbox",
    _schema,
    Column("delivery_key", String(255), primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("message_metadata", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("claimed_by", String(255)),
    Column("lease_until", Float, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("finished_at", Float),
    Index("ix_slack_inbox_state_lease", "state", "lease_until"),
)


class InboxUnavailableError(RuntimeError):
    """The inbox cannot be read or written (database down, file not writable, ...)."""


@dataclass(frozen=True)
class InboxMessage:
    """One Slack message to answer: what Rasa needs, nothing of the request's secrets."""

    key: str
    sender_id: str
    text: str
    metadata: dict[str, Any]
    attempts: int = 1


def default_url() -> str:
    """Return the URL of the SQLite file under ``PA_VAR_DIR`` (``var/`` by default)."""
    folder = Path(os.environ.get("PA_VAR_DIR") or "var")
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder.resolve() / 'slack-inbox.db'}"


def _create_table(engine: Engine, attempts: int = 3) -> None:
    """Create the inbox table unless it exists.

    Two processes creating it at the same moment race in PostgreSQL's catalogue: the
    loser's CREATE fails although the table now exists, so look again before failing.
    """
    for attempt in range(attempts):
        try:
            _schema.create_all(engine, checkfirst=True)
            return
        except SQLAlchemyError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS})

        @event.listens_for(engine, "connect")
        def _wal(connection: Any, _record: Any) -> None:
            # Several processes write the file: WAL lets readers and one writer overlap.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")

        return engine
    connect_args = {}
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


class SlackInbox:
    """The inbox table, seen from one process (``owner``)."""

    def __init__(
        self, url: str, lease_seconds: float = DEFAULT_LEASE_SECONDS, owner: str | None = None
    ) -> None:
        """Prepare the inbox at ``url``; nothing connects until the first call."""
        self.url = url
        self.lease_seconds = lease_seconds
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._engine: Engine | None = None
        self._ready = False
        self._setup_lock = threading.Lock()

    @classmethod
    def from_environment(cls) -> SlackInbox:
        """Return the inbox ``PA_SLACK_INBOX_URL`` and ``PA_SLACK_LEASE_SECONDS`` name."""
        url = os.environ.get(URL_VARIABLE, "").strip() or default_url()
        raw = os.environ.get(LEASE_VARIABLE, "").strip()
        try:
            lease = float(raw) if raw else DEFAULT_LEASE_SECONDS
        except ValueError:
            raise ValueError(f"{LEASE_VARIABLE}={raw!r} is not a number of seconds") from None
        return cls(url, max(lease, 1.0))

    @property
    def poll_seconds(self) -> float:
        """How often a process renews its leases and looks for abandoned rows."""
        return min(5.0, self.lease_seconds / 4)

    def describe(self) -> str:
        """Return the inbox's URL without its password, for the log."""
        return make_url(self.url).render_as_string(hide_password=True)

    def _ready_engine(self) -> Engine:
        # Created on first use, so Rasa starts (and answers its other channels) while
        # the inbox database is down; Slack gets 503 until it is back.
        with self._setup_lock:
            if self._engine is None:
                self._engine = _engine(self.url)
            if not self._ready:
                _create_table(self._engine)
                self._ready = True
            return self._engine

    def _run(self, work: Any) -> Any:
        try:
            engine = self._ready_engine()
        except SQLAlchemyError as error:
            raise InboxUnavailableError(str(error).splitlines()[0]) from error
        try:
            with engine.begin() as connection:
                return work(connection)
        except IntegrityError:
            raise
        except SQLAlchemyError as error:
            raise InboxUnavailableError(str(error).splitlines()[0]) from error

    def receive(self, message: InboxMessage) -> bool:
        """Store a delivery, claimed by this process; False if it was stored before.

        Raises:
            InboxUnavailableError: It could not be stored; Slack must deliver it again.

        """
        now = time.time()
        row = {
            "delivery_key": message.key,
            "sender_id": message.sender_id,
            "text": message.text,
            "message_metadata": json.dumps(message.metadata),
            "state": PENDING,
            "claimed_by": self.owner,
            "lease_until": now + self.lease_seconds,
            "attempts": 1,
            "received_at": now,
        }
        try:
            self._run(lambda connection: connection.execute(insert(inbox_table).values(**row)))
        except IntegrityError:
            return False
        return True

    def renew(self) -> int:
        """Extend the leases of every row this process is working on; return how many."""
        now = time.time()
        statement = (
            update(inbox_table)
            .where(and_(inbox_table.c.claimed_by == self.owner, inbox_table.c.state == PENDING))
            .values(lease_until=now + self.lease_seconds)
        )
        return int(self._run(lambda connection: connection.execute(statement).rowcount))

    def _set(self, key: str, **values: Any) -> bool:
        statement = (
            update(inbox_table)
            .where(
                and_(
                    inbox_table.c.delivery_key == key,
                    inbox_table.c.claimed_by == self.owner,
                    inbox_table.c.state == PENDING,
                )
            )
            .values(**values)
        )
        return bool(self._run(lambda connection: connection.execute(statement).rowcount))

    def finish(self, key: str, *, failed: bool = False) -> bool:
        """Mark a row of this process answered (or given up); False if another took it."""
        now = time.time()
        return self._set(key, state=FAILED if failed else DONE, finished_at=now, lease_until=now)

    def release(self, key: str, retry_in: float) -> bool:
        """Let any process take the row again in ``retry_in`` seconds."""
        return self._set(key, claimed_by=None, lease_until=time.time() + retry_in)

    def release_all(self) -> int:
        """Hand every row of this process to the others at once (clean shutdown).

        The interrupted try does not count against the message's tries: only a process
        dying while answering it does.
        """
        statement = (
            update(inbox_table)
            .where(and_(inbox_table.c.claimed_by == self.owner, inbox_table.c.state == PENDING))
            .values(claimed_by=None, lease_until=0.0, attempts=inbox_table.c.attempts - 1)
        )
        return int(self._run(lambda connection: connection.execute(statement).rowcount))

    def claim_expired(self, limit: int = 10) -> list[InboxMessage]:
        """Take over pending rows whose lease has run out, oldest first.

        Each row goes to exactly one process: the claim is an ``UPDATE`` that only
        matches while the lease is still expired, and only its winner sees a row count.
        """
        now = time.time()
        expired = and_(inbox_table.c.state == PENDING, inbox_table.c.lease_until < now)
        candidates = self._run(
            lambda connection: (
                connection.execute(
                    select(inbox_table.c.delivery_key)
                    .where(expired)
                    .order_by(inbox_table.c.received_at)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
        )
        claimed: list[InboxMessage] = []
        for key in candidates:
            claim = (
                update(inbox_table)
                .where(and_(inbox_table.c.delivery_key == key, expired))
                .values(
                    claimed_by=self.owner,
                    lease_until=time.time() + self.lease_seconds,
                    attempts=inbox_table.c.attempts + 1,
                )
            )

            def take(connection: Any, claim: Any = claim, key: str = key) -> Any:
                if connection.execute(claim).rowcount != 1:
                    return None  # another process was quicker
                return (
                    connection.execute(select(inbox_table).where(inbox_table.c.delivery_key == key))
                    .mappings()
                    .one()
                )

            row = self._run(take)
            if row is not None:
                claimed.append(
                    InboxMessage(
                        key=row["delivery_key"],
                        sender_id=row["sender_id"],
                        text=row["text"],
                        metadata=json.loads(row["message_metadata"]),
                        attempts=row["attempts"],
                    )
                )
        return claimed

    def forget_old(self) -> int:
        """Delete finished rows older than ``RETENTION_SECONDS``; return how many."""
        statement = delete(inbox_table).where(
            and_(
                inbox_table.c.state != PENDING,
                inbox_table.c.finished_at < time.time() - RETENTION_SECONDS,
            )
        )
        return int(self._run(lambda connection: connection.execute(statement).rowcount))
