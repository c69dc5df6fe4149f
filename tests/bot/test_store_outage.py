"""A partner-store outage gets "try again in a minute" from every API route, never a 500."""

from __future__ import annotations

import logging

import pytest

from partners.messages import TROUBLE
from settings import Settings, get_settings
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - `web` fixture
from tests.ports import closed_port


def test_a_store_outage_gets_a_503_with_retry_after_and_a_log_line(
    web: WebApp, caplog: pytest.LogCaptureFixture
) -> None:
    token = web.sign_in("P-0001")
    down = f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/partners"
    broken = Settings(**{**get_settings().model_dump(), "database_url": down})
    web.client.app.dependency_overrides[get_settings] = lambda: broken  # type: ignore[attr-defined]
    try:
        with caplog.at_level(logging.ERROR, logger="bot.api_errors"):
            answers = [
                web.client.get(
                    "/v1/partners/me/status", headers={"Authorization": f"Bearer {token}"}
                ),
                web.client.get("/v1/handoff/tickets", headers={"Authorization": f"Bearer {token}"}),
                web.client.post("/v1/auth/token", data={"username": "P-0001", "password": "demo"}),
            ]
    finally:
        web.client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.json() == {"detail": TROUBLE}
        assert answer.headers["Retry-After"] == "60"
    assert any("partner store failed" in record.getMessage() for record in caplog.records)
