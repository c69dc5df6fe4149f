"""Rasa's SQL tracker store for several Rasa processes on PostgreSQL, kept lean per turn.

deploy/endpoints.production.yml names ``CachingSQLTrackerStore``: Rasa's ``SQLTrackerStore``
(same table, same queries, same writes; a database written by one is read by the other)
with three differences.

- Its trackers are ``TrackerWithCachedHistory`` objects (cached_tracker.py), which keep
  the history they computed from one turn to the next.
- It keeps the trackers it saved or read last (``cache_size`` conversations,
  kept_trackers.py) and hands the same object back on the next turn when the
  conversation's last event id in the database is still the one that save or read
  ended at (one ``SELECT MAX(id)``) and nothing was appended to the object since.
  Rasa's lock store (Redis in production) runs one conversation's turns one after
  another across processes, so a turn saved by another process, or events appended
  through Rasa's HTTP API, always end at a newer id: the next turn here reads the
  database again. Rasa's own store reads and replays the session twice per turn (once
  to answer, once more before the save to find the events to publish).
- Its connection pool checks a connection before each use (SQLAlchemy's
  ``pool_pre_ping``), so connections that PostgreSQL dropped (a restart, a failover,
  ``pg_terminate_backend``, an idle timeout) are replaced without failing anyone's turn.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session, sessionmaker

from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory
from rasa_addons.stores.kept_trackers import KeepingTrackerStore, KeptTrackers
from rasa_addons.stores.turn_only import drop_turn_only_properties


class CachingSQLTrackerStore(KeepingTrackerStore, SQLTrackerStore):
    """Rasa's SQL tracker store, keeping its trackers and their history between turns."""

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        cache_size: int = 500,
        **kwargs: Any,
    ) -> None:
        """Connect as Rasa's store does, then swap in an engine that pings before use.

        Args:
            domain: The assistant's domain (slots for rebuilding trackers).
            event_broker: Where new events are published, if anywhere.
            cache_size: How many recently saved or read conversations to keep as trackers.
            kwargs: Rasa's ``SQLTrackerStore`` settings from the endpoint (``host``,
                ``dialect``, ``port``, ``db``, ``username``, ``password``, ...).

        """
        super().__init__(domain=domain, event_broker=event_broker, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        # Rasa's pool settings for the same URL (rendered as Rasa passed it: a string
        # when the endpoint gave a whole URL), plus the ping.
        settings = create_engine_kwargs(url.render_as_string(hide_password=False))
        self.engine = sa.create_engine(url, pool_pre_ping=True, **settings)
        self.sessionmaker = sessionmaker(bind=self.engine)
        self.kept = KeptTrackers(cache_size)

    def read(
        self, sender_id: str, all_sessions: bool
    ) -> tuple[TrackerWithCachedHistory | None, int]:
        """Rasa's ``SQLTrackerStore._retrieve``, building our tracker, with the last event id."""
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=all_sessions
            ).all()
            events = [json.loads(row.data) for row in rows]
            last_id = int(rows[-1].id) if rows else 0
        if not events or not self.domain:
            return None, 0
        tracker = TrackerWithCachedHistory.from_dict(sender_id, events, self.domain.slots)
        return tracker, last_id

    def last_id(self, sender_id: str) -> int | None:
        """Return the id of the conversation's last stored event (None: no event)."""
        with self.session_scope() as session:
            return self._last_id(session, sender_id)

    def _last_id(self, session: Session, sender_id: str) -> int | None:
        last_id = (
            session.query(sa.func.max(self.SQLEvent.id))
            .filter(self.SQLEvent.sender_id == sender_id)
            .scalar()
        )
        return last_id if last_id is None else int(last_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events as Rasa's store does, then keep the tracker."""
        drop_turn_only_properties(tracker)
        try:
            await super().save(tracker)
        except BaseException:
            self.kept.forget(tracker.sender_id)
            raise
        # Kept only if it holds exactly the latest session: not the tracker that started
        # a new session in this turn (it still holds the one before), nor one another
        # writer got ahead of. The id first: a write between the two makes them disagree.
        with self.session_scope() as session:
            last_id = self._last_id(session, tracker.sender_id)
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
        if last_id is not None and stored == len(tracker.events):
            self.kept.keep(tracker, last_id)
        else:
            self.kept.forget(tracker.sender_id)
