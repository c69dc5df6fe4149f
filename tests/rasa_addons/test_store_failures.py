"""rasa_addons.store_failures: a tracker store outage fails the turn, and nothing else.

Rasa's SQL tracker store runs on a private PostgreSQL database. Its connections are
terminated (as a PostgreSQL restart or failover does): the next read must still work.
Then the database refuses every connection for a while: a read or a write must fail
with an error (the REST channel turns it into 503, the app into "try again in a
minute"), where Rasa 3.6 reads an empty conversation and keeps the write in memory.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.rasa_env import run_in_rasa_env

pytestmark = pytest.mark.postgres

SCRIPT = r"""
import asyncio, json, sys
import psycopg2
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_addons import store_failures

database = sys.argv[1]
store_failures.apply()

def admin(sql):
    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    connection.autocommit = True
    connection.cursor().execute(sql)
    connection.close()

def terminate():
    admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")

async def user_texts(store):
    tracker = await store.retrieve("partner")
    if tracker is None:
        return None
    return [event.text for event in tracker.events if isinstance(event, UserUttered)]

async def outcome(call):
    try:
        await call
    except Exception as error:
        return "error"
    return "ok"

async def main():
    config = EndpointConfig(
        type="SQL", dialect="postgresql", url="127.0.0.1", port=5432, db=database,
        username="postgres", password="",
    )
    domain = Domain.from_path("domain.yml")
    store = FailSafeTrackerStore(TrackerStore.create(config, domain))  # as Rasa's Agent does
    tracker = DialogueStateTracker("partner", domain.slots)
    tracker.update(UserUttered("hello"))
    await store.save(tracker)
    result = {}
    terminate()
    result["read_after_terminate"] = await user_texts(store)
    admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    try:
        terminate()
        result["read_in_outage"] = await outcome(store.retrieve("partner"))
        tracker.update(UserUttered("are you there?"))
        result["write_in_outage"] = await outcome(store.save(tracker))
    finally:
        admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    result["read_after_outage"] = await user_texts(store)
    return result

print(json.dumps(asyncio.run(main())))
"""


def _admin(sql: str) -> None:
    with psycopg.connect(
        host="127.0.0.1", port=5432, user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(sql)


@pytest.fixture(scope="module")
def outcomes() -> Iterator[dict[str, Any]]:
    """Run the script once on a private database; drop the database afterwards."""
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", 5432)) != 0:
            pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (scripts/services.sh start)")
    database = f"pa_store_test_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{database}"')
    try:
        yield run_in_rasa_env(SCRIPT, database)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_terminated_connections_are_replaced_without_failing_a_turn(
    outcomes: dict[str, Any],
) -> None:
    assert outcomes["read_after_terminate"] == ["hello"]


def test_an_unreachable_store_fails_the_turn_instead_of_starting_afresh(
    outcomes: dict[str, Any],
) -> None:
    assert outcomes["read_in_outage"] == "error"
    assert outcomes["write_in_outage"] == "error"
    # Once the database is back, the conversation is there as it was.
    assert outcomes["read_after_outage"] == ["hello"]
