"""The trackers a tracker store saved or read last, handed back while the store agrees.

Rebuilding a tracker from the store replays every event of the session, a cost that
grows with each turn of a long conversation, and it throws away what the tracker had
computed (cached_tracker.py). Our tracker stores (tracker_store.py on SQLite,
sql_tracker_store.py on PostgreSQL) therefore keep the trackers they saved or read last,
each with the number of events it had then and the id of the conversation's last event
in the store then. On the next turn the store hands the same object back only if
nothing was appended to it since (a turn that failed before its save) and the
conversation still ends at the same event id in the store (nobody else wrote to it: a
turn on another process, Rasa's HTTP API). Otherwise it reads the store again: the store
stays the only truth, and a process keeps nothing that the store would not give back.

Only ``TrackerWithCachedHistory`` objects are kept. A new conversation's first tracker
is one too: Rasa's ``FailSafeTrackerStore`` wrapper has the wrapped store make it
(store_failures.py), so it is kept from the first turn on.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory


@dataclass(frozen=True)
class _Kept:
    """A tracker as it was when saved or read, and where the store's conversation ended then."""

    tracker: TrackerWithCachedHistory
    events: int
    last_id: int


class KeptTrackers:
    """The trackers saved or read last, by conversation id; the least recently used go first."""

    def __init__(self, size: int) -> None:
        """Keep at most ``size`` conversations."""
        self.size = size
        self._kept: OrderedDict[str, _Kept] = OrderedDict()

    def current(
        self, sender_id: str, last_id: Callable[[], int | None]
    ) -> TrackerWithCachedHistory | None:
        """Return the kept tracker if it is unchanged and the store still ends at its event.

        Args:
            sender_id: The conversation.
            last_id: Reads the id of the conversation's last event in the store (called
                only when a tracker is kept).

        """
        kept = self._kept.get(sender_id)
        if kept is None or len(kept.tracker.events) != kept.events or last_id() != kept.last_id:
            return None
        self._kept.move_to_end(sender_id)
        return kept.tracker

    def unsaved_events(
        self, tracker: DialogueStateTracker, last_id: Callable[[], int | None]
    ) -> list[Event] | None:
        """Return the events appended to this kept tracker object since it was kept.

        None when ``tracker`` is not the object kept for its conversation, or the store
        no longer ends where it did: then only the store can tell what is new.
        """
        kept = self._kept.get(tracker.sender_id)
        if kept is None or kept.tracker is not tracker or last_id() != kept.last_id:
            return None
        return list(itertools.islice(tracker.events, kept.events, None))

    def keep(self, tracker: DialogueStateTracker, last_id: int) -> None:
        """Keep ``tracker``: it holds exactly the latest stored session, ending at ``last_id``."""
        if not isinstance(tracker, TrackerWithCachedHistory):
            self.forget(tracker.sender_id)  # a plain one would stay plain: read it again
            return
        self._kept[tracker.sender_id] = _Kept(tracker, len(tracker.events), last_id)
        self._kept.move_to_end(tracker.sender_id)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        """Drop the conversation's kept tracker, if any: the next turn reads the store."""
        self._kept.pop(sender_id, None)


class KeepingTrackerStore(TrackerStore):
    """What our tracker stores share: kept trackers, and publishing only the new events.

    A store built on it reads a conversation (``read``) and its last event id
    (``last_id``), keeps ``kept`` (a ``KeptTrackers``) up to date when it saves, and
    gets the rest here: new conversations and stored ones as
    ``TrackerWithCachedHistory``, the kept object handed back while the store agrees,
    and the event broker given the events appended to that object since it was kept,
    instead of Rasa's way (read the whole session back before each save to find them).
    """

    kept: KeptTrackers

    def read(
        self, sender_id: str, all_sessions: bool
    ) -> tuple[TrackerWithCachedHistory | None, int]:
        """Return the conversation's latest session (or all sessions) and its last event id."""
        raise NotImplementedError

    def last_id(self, sender_id: str) -> int | None:
        """Return the id of the conversation's last stored event (None: no event)."""
        raise NotImplementedError

    def init_tracker(self, sender_id: str) -> TrackerWithCachedHistory:
        """Return a new conversation's empty tracker."""
        return TrackerWithCachedHistory(
            sender_id, self.domain.slots, max_event_history=self.max_event_history
        )

    async def retrieve(self, sender_id: str) -> TrackerWithCachedHistory | None:
        """Return the tracker of the conversation's latest session, or None."""
        kept = self.kept.current(sender_id, lambda: self.last_id(sender_id))
        if kept is not None:
            return kept
        tracker, last_id = self.read(sender_id, all_sessions=False)
        if tracker is not None:
            self.kept.keep(tracker, last_id)
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> TrackerWithCachedHistory | None:
        """Return the tracker with the events of every session, or None."""
        return self.read(conversation_id, all_sessions=True)[0]

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the events appended since the last save of this same tracker object."""
        if self.event_broker is None:
            return
        new_events = self.kept.unsaved_events(tracker, lambda: self.last_id(tracker.sender_id))
        if new_events is None:  # not the kept object, or someone else wrote since: Rasa's way
            await super().stream_events(tracker)
            return
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
