"""The widget's chat API: who may talk in which conversation, and an honest 503.

Rasa is not running here (its URL points at a closed port); conversations with the
real Rasa are in tests/browser and tests/e2e.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import Session

from partners.auth import verify_token
from partners.conversations import ConversationBinding
from partners.messages import TROUBLE
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
def test_a_partners_conversation_needs_a_valid_sign_in(
    web: WebApp, headers: dict, reason: str
) -> None:
    session = _new_session(web, web.sign_in("P-0001"))
    said = web.client.post("/v1/chat", json={"session": session, "message": "hi"}, headers=headers)
    assert said.status_code == 401
    assert reason in said.json()["detail"]
    read = web.client.get("/v1/chat/history", params={"session": session}, headers=headers)
    assert read.status_code == 401


def test_nobody_reads_or_writes_another_partners_conversation(web: WebApp) -> None:
    other = _new_session(web, web.sign_in("P-0002"))
    mine = _new_session(web, web.sign_in("P-0001"))
    conversation, _, mac = other.rpartition(".")
    token = web.sign_in("P-0001")
    for session, reason in (
        (other, "another sign-in"),
        # The other partner's conversation id with this partner's name, or a made-up MAC.
        (other.replace("P-0002", "P-0001"), "not valid"),
        (f"{conversation}.{mine.rpartition('.')[2]}", "not valid"),
        (conversation, "not valid"),
        ("web:P-0001:aaaaaaaaaaaaaaaaaaaaaaaa", "not valid"),
        ("rest-sender", "not valid"),
        (f"{other}x", "not valid"),
    ):
        said = web.client.post(
            "/v1/chat",
            json={"session": session, "message": "what's my tier"},
            headers=_bearer(token),
        )
        assert said.status_code == 403, session
        assert reason in said.json()["detail"], session
        read = web.client.get(
            "/v1/chat/history", params={"session": session}, headers=_bearer(token)
        )
        assert read.status_code == 403, session
    assert mac  # the handle carried one


def test_a_visitor_chats_without_signing_in_in_a_conversation_of_its_own(web: WebApp) -> None:
    created = web.client.post("/v1/chat/session")
    assert created.status_code == 201
    session = created.json()["session"]
    assert session.startswith("web:anon:")
    assert session != web.client.post("/v1/chat/session").json()["session"]
    # The visitor's own session passes every check (Rasa is down here: 503, not 4xx).
    said = web.client.post("/v1/chat", json={"session": session, "message": "what is a tier?"})
    assert said.status_code == 503
    # A forged anonymous conversation id is refused, as is a partner's id without a token.
    partner_session = _new_session(web, web.sign_in("P-0001"))
    forged = partner_session.replace("web:P-0001:", "web:anon:")
    refused = web.client.post("/v1/chat", json={"session": forged, "message": "hi"})
    assert refused.status_code == 403
    assert (
        web.client.post("/v1/chat", json={"session": partner_session, "message": "hi"}).status_code
        == 401
    )
    # Signed in since: the anonymous conversation is not carried into partner answers.
    signed = web.client.post(
        "/v1/chat", json={"session": session, "message": "hi"}, headers=_bearer(web.sign_in())
    )
    assert signed.status_code == 403
    assert "start a new one" in signed.json()["detail"]


def test_a_partners_messages_bind_the_conversation_to_its_sign_in(web: WebApp) -> None:
    token = web.sign_in("P-0001")
    session = _new_session(web, token)
    conversation = session.rpartition(".")[0]
    claims = verify_token(token, web.store.settings)
    with Session(web.store.engine) as db:
        binding = db.get(ConversationBinding, conversation)
        assert binding is not None
        assert (binding.partner_id, binding.token_id) == ("P-0001", claims.token_id)
    # A new sign-in of the same partner (another tab) renews the binding.
    newer = web.sign_in("P-0001")
    web.client.post("/v1/chat", json={"session": session, "message": "hi"}, headers=_bearer(newer))
    with Session(web.store.engine) as db:
        binding = db.get(ConversationBinding, conversation)
        assert binding is not None
        assert binding.token_id == verify_token(newer, web.store.settings).token_id
    # Nothing a browser sends reaches a visitor's conversation binding.
    anonymous = web.client.post("/v1/chat/session").json()["session"]
    with Session(web.store.engine) as db:
        assert db.get(ConversationBinding, anonymous.rpartition(".")[0]) is None


def test_bad_messages_get_a_reason(web: WebApp) -> None:
    token = web.sign_in("P-0001")
    session = _new_session(web, token)
    for body in ({"session": session, "message": ""}, {"session": session}, {"message": "hi"}):
        response = web.client.post("/v1/chat", json=body, headers=_bearer(token))
        assert response.status_code == 422, body


def test_a_stopped_assistant_gets_a_503_saying_try_again_and_a_log_line(
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
        assert response.json()["detail"] == TROUBLE
        assert response.headers["Retry-After"] == "60"
        assert "Traceback" not in response.text
    messages = [record.getMessage() for record in caplog.records]
    assert any("not processed: no Rasa server could be reached" in m for m in messages)


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
