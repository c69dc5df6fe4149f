"""rasa_addons.stores.store_failures: a tracker store outage fails the turn, and nothing else.

The production tracker store (deploy/endpoints.production.yml: Rasa's SQL store as
rasa_addons.stores.sql_tracker_store.CachingSQLTrackerStore) runs on a private PostgreSQL
database. Its connections are terminated (as a PostgreSQL restart or failover does):
the next read must still work.
Then the database refuses every connection for a while: a read or a write must fail
with an error (the REST channel turns it into 503, the app into "try again in a
minute"), where Rasa 3.6 reads an empty conversation and keeps the write in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from typing import Any

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from rasa_addons.stores import store_failures
from rasa_addons.stores.sql_tracker_store import CachingSQLTrackerStore
from tests.rasa_addons.postgres import admin, private_database, store_settings, terminate

pytestmark = pytest.mark.postgres


async def _user_texts(store: TrackerStore) -> list[str | None] | None:
    tracker = await store.retrieve("partner")
    if tracker is None:
        return None
    return [event.text for event in tracker.events if isinstance(event, UserUttered)]


async def _outcome(call: Awaitable[Any]) -> str:
    try:
        await call
    except Exception:
        return "error"
    return "ok"


async def _outage(database: str, domain: Domain) -> dict[str, Any]:
    settings = store_settings(database)
    store_class = f"{CachingSQLTrackerStore.__module__}.{CachingSQLTrackerStore.__name__}"
    config = EndpointConfig(type=store_class, url=settings.pop("host"), **settings)
    store = FailSafeTrackerStore(TrackerStore.create(config, domain))  # as Rasa's Agent does
    assert isinstance(store._tracker_store, CachingSQLTrackerStore)
    tracker = DialogueStateTracker("partner", domain.slots)
    tracker.update(UserUttered("hello"))
    await store.save(tracker)
    result: dict[str, Any] = {}
    terminate(database)
    result["read_after_terminate"] = await _user_texts(store)
    admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    try:
        terminate(database)
        result["read_in_outage"] = await _outcome(store.retrieve("partner"))
        tracker.update(UserUttered("are you there?"))
        result["write_in_outage"] = await _outcome(store.save(tracker))
    finally:
        admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    result["read_after_outage"] = await _user_texts(store)
    return result


@pytest.fixture(scope="module")
def outcomes(domain: Domain) -> Iterator[dict[str, Any]]:
    """Run the outage once on a private database; drop the database afterwards."""
    with private_database() as database:
        store_failures.apply()
        yield asyncio.run(_outage(database, domain))


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
