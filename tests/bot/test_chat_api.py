"""The widget's chat API: who may talk in which conversation, and a polite 503.

Rasa is not running here (its URL points at a closed port); conversations with the
real Rasa are in tests/browser and tests/e2e.
"""

from __future__ import annotations

import logging

import pytest

from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.fixtures import token_for


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _new_session(web: WebApp, token: str) -> str:
    response = web.client.post("/v1/chat/session", headers=_bearer(token))
    assert response.status_code == 201, response.text
    session: str = response.json()["session"]
    return session


def test_a_chat_session_names_its_partner(web: WebApp) -> None:
    token = web.sign_in("P-0001")
    first, second = _new_session(web, token), _new_session(web, token)
    assert first.startswith("web:P-0001:") and second.startswith("web:P-0001:")
    assert first != second


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "sign in first"),
        ({"Authorization": "Bearer not-a-token"}, "malformed"),
        (_bearer(token_for("P-0001", minutes_ago=24 * 60)), "expired"),
    ],
)
def test_chatting_needs_a_valid_sign_in(web: WebApp, headers: dict, reason: str) -> None:
    response = web.client.post(
        "/v1/chat",
        json={"session": "web:P-0001:aaaaaaaaaaaaaaaaaaaa", "message": "hi"},
        headers=headers,
    )
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert web.client.get("/v1/chat/history?session=x", headers=headers).status_code == 401


def test_nobody_reads_or_writes_another_partners_conversation(web: WebApp) -> None:
    other = _new_session(web, web.sign_in("P-0002"))
    token = web.sign_in("P-0001")
    for session in (other, "web:P-0001:short", "rest-sender", f"{other}x"):
        said = web.client.post(
            "/v1/chat",
            json={"session": session, "message": "what's my tier"},
            headers=_bearer(token),
        )
        assert said.status_code == 403, session
        assert "another sign-in" in said.json()["detail"]
        read = web.client.get(
            "/v1/chat/history", params={"session": session}, headers=_bearer(token)
        )
        assert read.status_code == 403, session


def test_bad_messages_get_a_reason(web: WebApp) -> None:
    token = web.sign_in("P-0001")
    session = _new_session(web, token)
    for body in ({"session": session, "message": ""}, {"session": session}, {"message": "hi"}):
        response = web.client.post("/v1/chat", json=body, headers=_bearer(token))
        assert response.status_code == 422, body


def test_a_stopped_assistant_gets_a_polite_503_and_a_log_line(
    web: WebApp, caplog: pytest.LogCaptureFixture
) -> None:
    token = web.sign_in("P-0001")
    session = _new_session(web, token)
    with caplog.at_level(logging.ERROR, logger="bot.routers.chat"):
        said = web.client.post(
            "/v1/chat", json={"session": session, "message": "hello"}, headers=_bearer(token)
        )
        read = web.client.get(
            "/v1/chat/history", params={"session": session}, headers=_bearer(token)
        )
    for response in (said, read):
        assert response.status_code == 503
        assert "not available right now" in response.json()["detail"]
        assert "Traceback" not in response.text
    assert any("Rasa unavailable" in record.getMessage() for record in caplog.records)


def test_signing_out_ends_access_everywhere(web: WebApp) -> None:
    token = web.sign_in("P-0001")
    other_browser = web.sign_in("P-0001")
    assert web.client.get("/v1/partners/me/status", headers=_bearer(token)).status_code == 200

    assert web.client.post("/v1/auth/logout", headers=_bearer(token)).status_code == 204

    for response in (
        web.client.post("/v1/chat/session", headers=_bearer(token)),
        web.client.get("/v1/partners/me/status", headers=_bearer(token)),
        web.client.post("/v1/auth/logout", headers=_bearer(token)),
    ):
        assert response.status_code == 401
        assert "signed out" in response.json()["detail"]
    # Signing out one browser leaves the partner's other sign-ins alone.
    assert web.client.post("/v1/chat/session", headers=_bearer(other_browser)).status_code == 201


def test_signing_out_needs_a_token(web: WebApp) -> None:
    assert web.client.post("/v1/auth/logout").status_code == 401
