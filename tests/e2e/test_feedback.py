"""Feedback on a real answer of the running stack: stored against its turn, or 404."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.e2e

TURN = "0123456789abcdef0123456789abcdef"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_vote_on_a_real_answer_is_stored_and_an_unknown_turn_is_refused(stack: Stack) -> None:
    token = stack.sign_in("P-0001")
    headers = _bearer(token)
    session = httpx.post(f"{stack.app_url}/v1/chat/session", headers=headers).json()["session"]
    said = httpx.post(
        f"{stack.app_url}/v1/chat",
        json={"session": session, "message": "what is a competency?"},
        headers=headers,
        timeout=60,
    )
    said.raise_for_status()
    turn = said.json()["turn"]
    assert turn
    vote = {"session": session, "turn": turn, "vote": "down", "comment": "Too short."}
    stored = httpx.post(f"{stack.app_url}/v1/chat/feedback", json=vote, headers=headers)
    assert stored.status_code == 201, stored.text
    assert stored.json() == {"turn": turn, "vote": "down", "comment": "Too short."}
    again = httpx.post(
        f"{stack.app_url}/v1/chat/feedback", json={**vote, "vote": "up"}, headers=headers
    )
    assert again.status_code == 201 and again.json()["vote"] == "up"
    unknown = httpx.post(
        f"{stack.app_url}/v1/chat/feedback", json={**vote, "turn": TURN}, headers=headers
    )
    assert unknown.status_code == 404
    assert "no turn with that id" in unknown.json()["detail"]
