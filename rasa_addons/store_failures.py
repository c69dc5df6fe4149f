"""A failing tracker store fails the turn; it does not start the conversation afresh.

Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore``. When the store cannot
be read (PostgreSQL restarting, its connections terminated), ``retrieve`` logs the
error and returns no tracker, so Rasa answers the message as the first of a new
conversation: a partner half-way through a question gets a greeting, an anonymous
reply or a wrong one. When the store cannot be written, ``save`` keeps the turn in
the process's memory instead, so the partner gets an answer that no history shows and
no other Rasa server knows. With ``apply()``:

- a failed read or write of the tracker store is raised as the error it is, so the
  turn fails, the REST channel answers 503 and the partner is told to try again in a
  minute (rasa_addons/rest_channel.py; the app says ``TROUBLE``); the error is logged;
- Rasa's SQL tracker store checks a pooled connection before each use
  (SQLAlchemy's ``pool_pre_ping``), so connections that PostgreSQL dropped (a
  restart, ``pg_terminate_backend``, an idle timeout) are replaced without failing
  anyone's turn.

Two named replacements, written against Rasa 3.6 (``apply()`` refuses other
versions): ``FailSafeTrackerStore``'s ``retrieve``, ``retrieve_full_tracker`` and
``save``, and ``rasa.core.tracker_store.create_engine_kwargs``.
"""

from __future__ import annotations

import logging
from typing import Any

import rasa.core.tracker_store
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.version import __version__ as rasa_version

logger = logging.getLogger(__name__)

PATCHED_RASA = "3.6."


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


_rasa_engine_kwargs = rasa.core.tracker_store.create_engine_kwargs


def _engine_kwargs(url: Any) -> dict[str, Any]:
    """Drop-in for ``create_engine_kwargs``: Rasa's pool settings plus a ping per use."""
    kwargs: dict[str, Any] = _rasa_engine_kwargs(url)
    kwargs["pool_pre_ping"] = True
    return kwargs


def apply() -> None:
    """Install the replacements (idempotent).

    Raises:
        RuntimeError: Rasa is not the version they were written against.

    """
    if not rasa_version.startswith(PATCHED_RASA):
        raise RuntimeError(
            f"rasa_addons.store_failures replaces FailSafeTrackerStore methods and "
            f"create_engine_kwargs of Rasa {PATCHED_RASA}x, not {rasa_version}: "
            "check them, then the version here"
        )
    FailSafeTrackerStore.retrieve = _retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = _retrieve_full_tracker  # type: ignore[method-assign]
    FailSafeTrackerStore.save = _save  # type: ignore[method-assign]
    rasa.core.tracker_store.create_engine_kwargs = _engine_kwargs
