"""A running app serves a newly published catalogue release without a restart."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from bot.catalogue_refresh import CatalogueRefresher
from bot.main import create_app
from knowledge import live
from partners.db import create_db_engine
from partners.models import CatalogueRelease
from partners.prestart import init_db
from partners.releases import publish
from settings import get_settings
from tests.knowledge.building import ensure_index
from tests.knowledge.new_course import NEW_COURSE, shipped_content, with_course
from tests.partners.fixtures import TEST_SECRET, store_settings

COURSE = f"/v1/courses/{NEW_COURSE['id']}"
REFRESH_SECONDS = 0.2
PATIENCE_SECONDS = 30  # far above the interval: only a refresher that never installs fails


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The app's own empty partner store, its settings in the process environment."""
    ensure_index()
    folder = tmp_path_factory.mktemp("refresh-store")
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder, seed_sample_data=False)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PA_DATABASE_URL", settings.effective_database_url)
        patch.setenv("PA_JWT_SECRET", TEST_SECRET)
        patch.setenv("PA_VAR_DIR", str(folder))
        patch.setenv("PA_CATALOGUE_REFRESH_SECONDS", str(REFRESH_SECONDS))
        get_settings.cache_clear()
        try:
            yield engine
        finally:
            get_settings.cache_clear()
            engine.dispose()


@pytest.fixture(autouse=True)
def shipped_release_afterwards() -> Iterator[None]:
    """The app installs releases in this process: put the shipped one back after each test."""
    live.reset()
    yield
    live.reset()


def _publish(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        publish(session, with_course(shipped_content()), source="test", log=lambda _: None)


def _served_within(client: TestClient, path: str, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    response = client.get(path)
    while response.status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.05)
        response = client.get(path)
    return response


def test_a_course_published_after_start_is_served_without_a_restart(
    store: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="bot.catalogue_refresh"),
        TestClient(create_app()) as client,
    ):
        assert client.get(COURSE).status_code == 404
        _publish(store)

        response = _served_within(client, COURSE, PATIENCE_SECONDS)
        assert response.status_code == 200, response.text
        assert response.json()["title"] == NEW_COURSE["title"]
        hits = client.get("/v1/search", params={"q": NEW_COURSE["title"], "kind": "course"})
        assert hits.json()["items"][0]["doc_id"] == NEW_COURSE["id"]
    installed = [r.getMessage() for r in caplog.records if "installed" in r.getMessage()]
    assert len(installed) == 1 and installed[0].startswith("catalogue release 1 installed ("), (
        installed
    )


def test_a_restarted_app_serves_the_latest_release_from_its_first_request(store: Engine) -> None:
    _publish(store)  # release 1 (or nothing new, when an earlier test published it)
    with TestClient(create_app()) as client:
        assert client.get(COURSE).status_code == 200


def test_an_unreadable_store_keeps_the_current_release_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    served = live.current()
    (tmp_path / "broken.db").write_bytes(b"this is not a database" * 100)
    refresher = CatalogueRefresher(create_db_engine(f"sqlite:///{tmp_path / 'broken.db'}"))
    with caplog.at_level(logging.WARNING, logger="bot.catalogue_refresh"):
        asyncio.run(refresher.refresh_in_thread())
    assert live.current() is served
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("catalogue refresh: partner store unreadable")


def test_a_release_that_cannot_be_built_is_reported_once_and_skipped(
    store: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _publish(store)  # release 1 (or nothing new, when an earlier test published it)
    with Session(store) as session, session.begin():
        session.execute(update(CatalogueRelease).values(vectors=b"\0" * 12))  # damaged
    served = live.current()
    refresher = CatalogueRefresher(store)
    with caplog.at_level(logging.ERROR, logger="bot.catalogue_refresh"):
        assert refresher.refresh() is None
        assert refresher.refresh() is None
    assert live.current() is served
    (record,) = caplog.records
    assert record.getMessage() == "catalogue release 1 cannot be served; still serving release 0"
