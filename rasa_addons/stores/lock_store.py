"""Rasa's Redis lock store, with every change to a lock made atomically.

Several Rasa servers share one Redis so that two of them never process the same
conversation at once: each message takes a numbered ticket and waits its turn. Rasa
3.6's ``RedisLockStore`` changes a lock by reading it, changing it in Python and
writing it back. Two servers doing that in the same few milliseconds both hand out the
same ticket, both process at once, and one turn of the conversation is lost (seen in
about one run of three with 8 simultaneous messages over 2 servers). Here each change
(issue a ticket, drop expired ones, finish a ticket, delete an idle lock) runs in a
Redis transaction that is retried if the lock changed in between (WATCH/MULTI/EXEC).
The keys and their JSON are Rasa's own, so servers can be switched over one at a time.

deploy/endpoints.production.yml names this class; tests/e2e/test_production_config.py
sends simultaneous messages of one conversation to two servers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

Result = TypeVar("Result")
# Given the stored lock (None if there is none), return the lock to store (None to
# delete it) and what the operation returns.
Change = Callable[[TicketLock | None], tuple[TicketLock | None, Result]]


class AtomicRedisLockStore(RedisLockStore):
    """A ``RedisLockStore`` whose read-modify-write steps are Redis transactions."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        """Connect as Rasa's ``RedisLockStore`` would, from the ``lock_store`` endpoint."""
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    def _atomically(self, conversation_id: str, change: Change[Result]) -> Result:
        key = self.key_prefix + conversation_id
        while True:
            with self.red.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is not None:
                        pipe.set(key, new_lock.dumps())
                    elif lock is not None:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    logger.debug("Lock of '%s' changed meanwhile; retrying.", conversation_id)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket of the conversation's lock, creating the lock if needed."""

        def take(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, take)
        except Exception as error:  # Rasa's contract: any failure is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Remove expired tickets from the conversation's lock."""

        def expire(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._atomically(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the finished ticket from the conversation's lock."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._atomically(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish the ticket and delete the lock if no one waits, in one transaction.

        Rasa does these as three steps, so a ticket issued in between by another server
        could be deleted with the lock.
        """

        def finish_and_tidy(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._atomically(conversation_id, finish_and_tidy)
