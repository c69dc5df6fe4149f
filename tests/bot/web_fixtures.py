"""A real app (FastAPI TestClient) over its own seeded SQLite store, for the web tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from bot.main import create_app
from partners.db import create_db_engine
from partners.prestart import init_db
from settings import get_settings
from tests.partners.fixtures import TEST_SECRET, Store, store_settings
from tests.ports import closed_port

PASSCODE = "demo"
ACTION_SECRET = "action-webhook-test-secret"
# The header Rasa sends with every action call (endpoints.yml).
FROM_RASA = {"X-Action-Secret": ACTION_SECRET}


@dataclass(frozen=True)
class WebApp:
    """The app under test and the store behind it."""

    client: TestClient
    store: Store

    def sign_in(self, partner_id: str = "P-0001", passcode: str = PASSCODE) -> str:
        """Sign in through the API and return the bearer token."""
        response = self.client.post(
            "/v1/auth/token", data={"username": partner_id, "password": passcode}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


@pytest.fixture(scope="module", name="web")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    """The app with its own seeded store (these tests write links and sign-outs)."""
    folder = tmp_path_factory.mktemp("web-store")
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    store = Store(settings, engine, None, folder / "partners.db")  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PA_DATABASE_URL", settings.effective_database_url)
        patch.setenv("PA_JWT_SECRET", TEST_SECRET)
        patch.setenv("PA_VAR_DIR", str(folder))
        patch.setenv("PA_ACTION_SECRET", ACTION_SECRET)
        patch.setenv("PA_SEED_SAMPLE_DATA", "true")  # partners' passcodes: sample mode only
        # Rasa is not running in these tests: the chat must say so politely.
        patch.setenv("PA_RASA_URL", f"http://127.0.0.1:{closed_port()}")
        patch.setenv("PA_RASA_TOKEN", "test-rasa-token")
        get_settings.cache_clear()
        try:
            yield WebApp(TestClient(create_app()), store)
        finally:
            get_settings.cache_clear()
            engine.dispose()
