"""A failing dependency gets the truth: "try again in a minute", never silence.

A real Rasa server whose conversation lock store (Redis) cannot be reached answers
503 on its internal REST channel (Rasa's own channel answered 200 with nothing), and
the app turns that into 503 with Retry-After and the TROUBLE text for the web chat.
With two Rasa servers configured, a conversation whose server is down moves on to
the other one instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.main import create_app
from bot.rasa_client import RasaClient
from partners.messages import TROUBLE
from settings import get_settings
from tests.conftest import Stack
from tests.partners.fixtures import TEST_SECRET
from tests.ports import closed_port
from tests.processes import start_rasa

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rasa_without_lock_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yield the URL of a Rasa server whose Redis lock store is down."""
    folder = tmp_path_factory.mktemp("lock-store-down")
    endpoints = (
        f"action_endpoint:\n  url: http://127.0.0.1:{closed_port()}/webhook\n"
        "tracker_store:\n  type: rasa_addons.stores.tracker_store.SQLiteTrackerStore\n"
        f"  db: {folder / 'trackers.db'}\n"
        "lock_store:\n  type: rasa_addons.stores.lock_store.AtomicRedisLockStore\n"
        f"  url: 127.0.0.1\n  port: {closed_port()}\n"
    )
    with start_rasa(endpoints, folder) as url:
        yield url


def _app(rasa_url: str, folder: Path) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PA_RASA_URL", rasa_url)
        patch.setenv("PA_JWT_SECRET", TEST_SECRET)
        patch.setenv("PA_VAR_DIR", str(folder))
        patch.setenv("PA_DATABASE_URL", f"sqlite:///{folder / 'partners.db'}")
        get_settings.cache_clear()
        try:
            with TestClient(create_app()) as client:
                yield client
        finally:
            get_settings.cache_clear()


def test_a_lock_store_outage_gets_an_honest_503_from_rasa_and_the_app(
    rasa_without_lock_store: str, tmp_path: Path
) -> None:
    direct = httpx.post(
        f"{rasa_without_lock_store}/webhooks/rest/webhook",
        json={"sender": "outage-1", "message": "hello"},
        timeout=60,
    )
    assert direct.status_code == 503
    assert direct.json()["error"] == "the message could not be processed"
    for client in _app(rasa_without_lock_store, tmp_path):
        session = client.post("/v1/chat/session").json()["session"]
        said = client.post("/v1/chat", json={"session": session, "message": "hello"})
        assert said.status_code == 503
        assert said.json()["detail"] == TROUBLE
        assert said.headers["Retry-After"] == "60"


def test_a_conversation_whose_rasa_server_is_down_moves_to_the_other(
    stack: Stack, tmp_path: Path
) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    rasa_urls = f"{down},{stack.rasa_url}"
    for client in _app(rasa_urls, tmp_path):
        picker = RasaClient([down, stack.rasa_url], "unused")
        # A conversation that sticks to the server that is down.
        session = next(
            handle
            for handle in (client.post("/v1/chat/session").json()["session"] for _ in range(50))
            if picker.servers_for(handle.rpartition(".")[0])[0] == down
        )
        said = client.post("/v1/chat", json={"session": session, "message": "what is a tier?"})
        assert said.status_code == 200, said.text
        assert "R-TIER" in said.text  # answered from the program rules, with sources
