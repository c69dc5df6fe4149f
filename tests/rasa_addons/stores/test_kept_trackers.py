"""Both our tracker stores keep their trackers between turns, and never hand out a stale one.

Each store is built as Rasa builds it from its endpoints file: the embedded SQLite store
of endpoints.yml, and the PostgreSQL store of deploy/endpoints.production.yml on a
private database. It is driven turn by turn as Rasa drives it, with Rasa's own SQL store
writing to the same database as another server would. A store must hand out trackers
that keep their history (``TrackerWithCachedHistory``), the same object on the next turn,
and read the database again whenever that object might differ from it: after another
writer, an unsaved change, a new session, or when the conversation left the cache.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from knowledge.minilm_onnx import EMBEDDING_PROPERTY as PROPERTY
from rasa_addons.stores import store_failures
from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory
from rasa_addons.stores.sql_tracker_store import CachingSQLTrackerStore
from rasa_addons.stores.tracker_store import SQLiteTrackerStore
from tests.rasa_addons.postgres import HOST, PORT, private_database, store_settings
from tests.rasa_env import ROOT

# Ours, given an event broker and a cache size; and Rasa's own store on the same database.
OurStore = Callable[..., TrackerStore]
Stores = tuple[OurStore, Callable[[], TrackerStore]]


def _endpoint(path: Path, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ``tracker_store`` section of ``path`` as Rasa reads it, with these variables."""
    for name in re.findall(r"\$\{(\w+)\}", path.read_text()):
        monkeypatch.setenv(name, "0")  # Rasa reads the whole file: every variable needs a value
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = read_endpoint_config(str(path), "tracker_store")
    assert config is not None
    return config


def _store_from(config: EndpointConfig, domain: Domain) -> OurStore:
    def build(event_broker: EventBroker | None = None, cache_size: int = 500) -> TrackerStore:
        config.kwargs["cache_size"] = cache_size
        return TrackerStore.create(config, domain, event_broker)

    return build


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, domain: Domain
) -> Iterator[Stores]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        if request.param == "sqlite":
            var = tmp_path_factory.mktemp("var")
            config = _endpoint(ROOT / "endpoints.yml", {"PA_VAR_DIR": str(var)}, monkeypatch)
            ours = _store_from(config, domain)
            assert type(ours()) is SQLiteTrackerStore
            db = str(var / "rasa-trackers.db")
            yield ours, lambda: SQLTrackerStore(domain=domain, dialect="sqlite", db=db)
            return
        with private_database() as database:
            variables = {
                "PA_TRACKER_DB_HOST": HOST,
                "PA_TRACKER_DB_PORT": str(PORT),
                "PA_TRACKER_DB_NAME": database,
                "PA_TRACKER_DB_USER": "postgres",
                "PA_TRACKER_DB_PASSWORD": "",
            }
            production = ROOT / "deploy" / "endpoints.production.yml"
            ours = _store_from(_endpoint(production, variables, monkeypatch), domain)
            assert type(ours()) is CachingSQLTrackerStore
            yield ours, lambda: SQLTrackerStore(domain=domain, **store_settings(database))


def texts(tracker: DialogueStateTracker | None) -> list[str | None] | None:
    if tracker is None:
        return None
    return [e.text for e in tracker.events if isinstance(e, (UserUttered, BotUttered))]


async def _turn(store: TrackerStore, sender: str, text: str, *extra: Event) -> DialogueStateTracker:
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered(text, {"name": "ask_program", "confidence": 0.9}))
    for event in extra:
        tracker.update(event)
    tracker.update(BotUttered("re: " + text))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return tracker


async def _cache_run(ours: TrackerStore, rasas: TrackerStore) -> dict[str, Any]:
    async def retrieve(sender: str) -> DialogueStateTracker:
        tracker = await ours.retrieve(sender)
        assert tracker is not None
        return tracker

    report: dict[str, Any] = {}
    saved = await _turn(ours, "p1", "one", SlotSet("tier", "Gold"))
    again = await retrieve("p1")
    report["same_object"] = again is saved
    report["tier"] = again.get_slot("tier")

    await _turn(rasas, "p1", "written by another server")
    report["after_other_writer"] = texts(await retrieve("p1"))

    unsaved = await retrieve("p1")
    unsaved.update(UserUttered("never saved"))
    report["after_unsaved_change"] = texts(await retrieve("p1"))

    tracker = await retrieve("p1")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    await ours.save(tracker)
    await _turn(ours, "p1", "new session")
    report["new_session"] = texts(await retrieve("p1"))
    report["new_session_tier"] = (await retrieve("p1")).get_slot("tier")

    first = await _turn(ours, "p2", "p2 speaks")
    await _turn(ours, "p3", "p3 speaks")
    await _turn(ours, "p4", "p4 speaks")
    reread = await retrieve("p2")
    report["evicted_reread"] = reread is not first and texts(reread) == texts(first)
    return report


@pytest.fixture(scope="module")
def cache_report(stores: Stores) -> dict[str, Any]:
    ours, rasas = stores
    return asyncio.run(_cache_run(ours(cache_size=2), rasas()))


def test_the_next_turn_gets_the_saved_tracker_back_without_a_rebuild(
    cache_report: dict[str, Any],
) -> None:
    assert cache_report["same_object"] is True
    assert cache_report["tier"] == "Gold"


def test_what_another_server_wrote_is_read_from_the_database(
    cache_report: dict[str, Any],
) -> None:
    assert cache_report["after_other_writer"] == [
        "one",
        "re: one",
        "written by another server",
        "re: written by another server",
    ]


def test_a_change_that_was_never_saved_is_not_handed_out(cache_report: dict[str, Any]) -> None:
    assert "never saved" not in cache_report["after_unsaved_change"]
    assert cache_report["after_unsaved_change"] == cache_report["after_other_writer"]


def test_a_new_session_starts_from_the_database_without_the_old_one(
    cache_report: dict[str, Any],
) -> None:
    assert cache_report["new_session"] == ["new session", "re: new session"]
    # The session started without carrying slots over, as the database has it.
    assert cache_report["new_session_tier"] is None


def test_conversations_beyond_the_cache_size_are_read_again_intact(
    cache_report: dict[str, Any],
) -> None:
    assert cache_report["evicted_reread"] is True


async def _classes_run(ours: OurStore) -> dict[str, Any]:
    store = ours()
    created = await store.get_or_create_tracker("c1")
    await _turn(store, "c1", "hello")
    restarted = ours()  # another process, or this one after a restart
    # Rasa's Agent wraps the store; with store_failures applied (as the server does) the
    # wrapped store makes a new conversation's first tracker, not the wrapper.
    store_failures.apply()
    wrapped = FailSafeTrackerStore(ours())
    first = await _turn(wrapped, "c2", "first turn")
    second = await _turn(wrapped, "c2", "second turn")
    third = await _turn(wrapped, "c2", "third turn")
    return {
        "created": type(created),
        "retrieved": type(await restarted.retrieve("c1")),
        "full": type(await restarted.retrieve_full_tracker("c1")),
        "first_turn": type(first),
        "second_is_first": second is first,
        "third_is_second": third is second,
        "c2": texts(await ours().retrieve("c2")),
    }


@pytest.fixture(scope="module")
def classes(stores: Stores) -> dict[str, Any]:
    return asyncio.run(_classes_run(stores[0]))


def test_new_and_stored_conversations_come_as_trackers_that_keep_their_history(
    classes: dict[str, Any],
) -> None:
    assert classes["created"] is TrackerWithCachedHistory
    assert classes["retrieved"] is TrackerWithCachedHistory
    assert classes["full"] is TrackerWithCachedHistory


def test_a_new_conversation_keeps_its_tracker_from_the_first_turn(
    classes: dict[str, Any],
) -> None:
    assert classes["first_turn"] is TrackerWithCachedHistory
    assert classes["second_is_first"] is True
    assert classes["third_is_second"] is True
    assert classes["c2"] == [
        "first turn",
        "re: first turn",
        "second turn",
        "re: second turn",
        "third turn",
        "re: third turn",
    ]


class _Collect(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


async def _publish_run(ours: OurStore, rasas: TrackerStore) -> list[dict[str, Any]]:
    broker = _Collect()
    store = ours(event_broker=broker)
    for text in ("one", "two"):
        await _turn(store, "b1", text)
    await _turn(rasas, "b1", "written by another server")  # published by that server
    for text in ("three", "four"):
        await _turn(store, "b1", text)
    return broker.published


def test_each_new_event_is_published_once_in_order(stores: Stores) -> None:
    ours, rasas = stores
    published = asyncio.run(_publish_run(ours, rasas()))
    assert {event["sender_id"] for event in published} == {"b1"}
    assert [event["event"] for event in published] == ["action"] + 4 * ["user", "bot", "action"]
    assert [event.get("text") for event in published if event["event"] != "action"] == [
        "one", "re: one", "two", "re: two", "three", "re: three", "four", "re: four",
    ]  # fmt: skip


async def _embedding_run(ours: OurStore, rasas: TrackerStore) -> dict[str, Any]:
    broker = _Collect()
    store = ours(event_broker=broker)
    vector = {"model": "m", "float32": "AAAA"}
    kept: list[DialogueStateTracker] = []
    for text in ("one", "two", "three"):
        tracker = await store.get_or_create_tracker("e1")
        parse_data: Any = {PROPERTY: vector}  # a property beyond Rasa's NLUPredictionData
        tracker.update(UserUttered(text, {"name": "ask_program"}, parse_data=parse_data))
        assert tracker.latest_message is not None
        in_turn = tracker.latest_message.parse_data.get(PROPERTY)
        tracker.update(BotUttered("re: " + text))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        kept.append(tracker)
    stored = await rasas.retrieve("e1")
    assert stored is not None
    return {
        "in_turn": in_turn,
        "stored": [e.parse_data for e in stored.events if isinstance(e, UserUttered)],
        "published": [e["parse_data"] for e in broker.published if e["event"] == "user"],
        "kept": [e.parse_data for e in kept[-1].events if isinstance(e, UserUttered)],
    }


def test_the_nlu_embedding_serves_its_turn_and_is_never_stored_or_published(
    stores: Stores,
) -> None:
    ours, rasas = stores
    run = asyncio.run(_embedding_run(ours, rasas()))
    assert run["in_turn"] == {"model": "m", "float32": "AAAA"}  # the action gets it
    for where in ("stored", "published", "kept"):
        assert [data["text"] for data in run[where]] == ["one", "two", "three"], where
        assert all(PROPERTY not in data for data in run[where]), where
