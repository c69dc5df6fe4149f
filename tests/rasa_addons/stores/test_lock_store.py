"""rasa_addons.stores.lock_store: two Rasa servers never get the same ticket for a conversation.

Threads on two lock-store instances (two Redis connections, as two servers have) take
tickets for one conversation at the same moment, against the local Redis. Every ticket
must be unique, in the order the lock hands them out, and the lock must disappear once
every ticket is finished.
"""

from __future__ import annotations

import socket
import threading
import uuid
from typing import Any

import pytest
from rasa.utils.endpoints import EndpointConfig

from rasa_addons.stores.lock_store import AtomicRedisLockStore


def _redis_up() -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture(scope="module")
def burst() -> dict[str, Any]:
    if not _redis_up():
        pytest.fail("Redis is not running on 127.0.0.1:6379: start it with scripts/services.sh")
    prefix, conversation = f"test{uuid.uuid4().hex[:8]}", "partner-burst"
    config = EndpointConfig(url="localhost", port=6379, db=3, key_prefix=prefix)
    servers = [AtomicRedisLockStore(config), AtomicRedisLockStore(config)]
    tickets: list[int] = []
    start = threading.Barrier(8)

    def take(n: int) -> None:
        store = servers[n % 2]
        start.wait()
        for _ in range(25):
            tickets.append(store.issue_ticket(conversation, lock_lifetime=60))

    threads = [threading.Thread(target=take, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lock = servers[0].get_lock(conversation)
    assert lock is not None
    serving_first = lock.now_serving
    for number in sorted(tickets):
        servers[number % 2].cleanup(conversation, number)
    return {
        "tickets": tickets,
        "serving_first": serving_first,
        "left": servers[0].get_lock(conversation) is not None,
    }


def test_every_ticket_is_issued_once(burst: dict[str, Any]) -> None:
    assert len(burst["tickets"]) == 200
    assert sorted(burst["tickets"]) == list(range(200))


def test_the_first_ticket_is_served_first(burst: dict[str, Any]) -> None:
    assert burst["serving_first"] == 0


def test_the_lock_is_gone_when_every_ticket_is_finished(burst: dict[str, Any]) -> None:
    assert burst["left"] is False
