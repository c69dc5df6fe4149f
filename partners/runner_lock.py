"""The cross-process lock of a one-at-a-time runner (the sync's, the reminders').

Redis (``PA_SYNC_LOCK_URL``, redis-py's ``Lock`` with the stale timeout as its
lifetime) when configured; without it, or while Redis is down, the database guard
(``partners.guarded_runs``) alone decides.
"""

from __future__ import annotations

import logging
from typing import Protocol

import redis
from redis.exceptions import LockError, RedisError

from partners.sync.source import describe

logger = logging.getLogger(__name__)


class RunnerLock(Protocol):
    """The cross-process lock held for the whole of a run."""

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""

    def release(self) -> None:
        """Let the next runner in."""


class NoLock:
    """No Redis configured: the database guard alone decides."""

    def acquire(self) -> bool:
        """Return True: the database guard decides."""
        return True

    def release(self) -> None:
        """Nothing to release."""


class RedisRunnerLock:
    """redis-py's ``Lock``, living ``timeout`` seconds unless released first.

    The token is not thread-local: the API takes the lock in the request's thread
    and the run releases it from its own thread.
    """

    def __init__(self, url: str, key: str, timeout: float) -> None:
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._lock = client.lock(key, timeout=timeout, blocking=False, thread_local=False)
        self._where = f"{key} on {describe(url)}"
        self._held = False

    def acquire(self) -> bool:
        """Take the lock; when Redis cannot be reached, leave the decision to the database."""
        try:
            self._held = bool(self._lock.acquire(blocking=False))
            return self._held
        except RedisError as exc:
            logger.warning(
                "runner lock %s unavailable (%s): the database guard decides", self._where, exc
            )
            return True

    def release(self) -> None:
        """Release the lock if this runner still holds it."""
        if not self._held:
            return
        try:
            self._lock.release()
        except (LockError, RedisError) as exc:
            logger.warning("runner lock %s was lost before the run ended: %s", self._where, exc)
        self._held = False
