"""A failing tracker store fails the turn; it does not start the conversation afresh.

Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore``. When the store cannot
be read (PostgreSQL restarting, its connections terminated), ``retrieve`` logs the
error and returns no tracker, so Rasa answers the message as the first of a new
conversation: a partner half-way through a question gets a greeting, an anonymous
reply or a wrong one. When the store cannot be written, ``save`` keeps the turn in
the process's memory instead, so the partner gets an answer that no history shows and
no other Rasa server knows. With ``apply()``, a failed read or write of the tracker
store is logged and raised as the error it is: the turn fails, the REST channel answers
503 and the partner is told to try again in a minute (rasa_addons/channels/rest_channel.py;
the app says ``TROUBLE``).

Rasa's wrapper has no setting for this, so its ``retrieve``, ``retrieve_full_tracker``
and ``save`` are replaced: named replacements written against Rasa 3.6.21, which the
server entry point (rasa_addons/server/__init__.py) refuses to run on any other Rasa.
Connections that PostgreSQL dropped are replaced before they fail a turn by the store
itself (``pool_pre_ping``, rasa_addons/stores/sql_tracker_store.py).

The wrapper also makes a new conversation's first tracker itself (``init_tracker``,
inherited from ``TrackerStore``: rasa/core/tracker_store.py lines 215-221), a plain
``DialogueStateTracker``, so the first turn of every conversation went without what
our stores' trackers keep (each policy recomputed every past state, a third of the
first turn's prediction time, profiled) and the second turn read the conversation back
from the database. ``apply()`` has the wrapped store make it, as it makes every other.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


async def _retrieve(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker | None:
    """Drop-in for ``FailSafeTrackerStore.retrieve``: an error is raised, not hidden."""
    try:
        tracker: DialogueStateTracker | None = await self._tracker_store.retrieve(sender_id)
    except Exception:
        logger.exception("tracker store: conversation %s could not be read", sender_id)
        raise
    return tracker


async def _retrieve_full_tracker(
    self: FailSafeTrackerStore, sender_id: str
) -> DialogueStateTracker | None:
    """Drop-in for ``FailSafeTrackerStore.retrieve_full_tracker``: errors are raised."""
    try:
        tracker: DialogueStateTracker | None = await self._tracker_store.retrieve_full_tracker(
            sender_id
        )
    except Exception:
        logger.exception("tracker store: conversation %s could not be read", sender_id)
        raise
    return tracker


async def _save(self: FailSafeTrackerStore, tracker: DialogueStateTracker) -> None:
    """Drop-in for ``FailSafeTrackerStore.save``: no turn kept in memory only."""
    try:
        await self._tracker_store.save(tracker)
    except Exception:
        logger.exception("tracker store: conversation %s could not be saved", tracker.sender_id)
        raise


def _init_tracker(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker:
    """Stand in for the wrapper's inherited ``init_tracker``: the wrapped store makes it."""
    store = self._tracker_store
    store.max_event_history = self.max_event_history  # set on the wrapper by Rasa's caller
    return store.init_tracker(sender_id)


def apply() -> None:
    """Install the replacements (idempotent)."""
    FailSafeTrackerStore.retrieve = _retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = _retrieve_full_tracker  # type: ignore[method-assign]
    FailSafeTrackerStore.save = _save  # type: ignore[method-assign]
    FailSafeTrackerStore.init_tracker = _init_tracker  # type: ignore[method-assign,assignment]
