"""The feedback API: who may vote on which answer, what a bad vote is told, Slack's votes.

Rasa is not running for the first tests (its URL points at a closed port): every
check that comes before the turn is read from the tracker is proven here, and an
honest 503 after it. The vote on a real answer, and on a turn the conversation does
not have, is proven against the real stack in tests/e2e/test_feedback.py (not here:
this module's app fixture points the environment at its own store while it lives).
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session

from partners.feedback import feedback_for
from partners.messages import TROUBLE
from tests.bot.web_fixtures import FROM_RASA, WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.fixtures import token_for

TURN = "0123456789abcdef0123456789abcdef"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _session(web: WebApp, token: str | None = None) -> str:
    headers = _bearer(token) if token else {}
    created = web.client.post("/v1/chat/session", headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["session"])


def _vote(web: WebApp, body: dict, token: str | None = None) -> httpx.Response:
    headers = _bearer(token) if token else {}
    return web.client.post("/v1/chat/feedback", json=body, headers=headers)


def test_votes_on_a_partners_conversation_need_its_sign_in(web: WebApp) -> None:
    session = _session(web, web.sign_in("P-0001"))
    body = {"session": session, "turn": TURN, "vote": "up"}
    anonymous = _vote(web, body)
    assert anonymous.status_code == 401 and "sign in first" in anonymous.json()["detail"]
    expired = _vote(web, body, token_for("P-0001", minutes_ago=24 * 60))
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    other = _vote(web, body, web.sign_in("P-0002"))
    assert other.status_code == 403 and "another sign-in" in other.json()["detail"]
    forged = _vote(web, {**body, "session": session.replace("P-0001", "P-0002")}, web.sign_in())
    assert forged.status_code == 403 and "not valid" in forged.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vote": "meh"}, "vote"),
        ({"vote": None}, "vote"),
        ({"turn": ""}, "turn"),
        ({"turn": "not a turn"}, "turn"),
        ({"turn": "x" * 101}, "turn"),
        ({"comment": "x" * 1001}, "comment"),
        ({"session": ""}, "session"),
    ],
)
def test_a_bad_vote_is_told_what_is_wrong(web: WebApp, change: dict, field: str) -> None:
    body = {"session": _session(web), "turn": TURN, "vote": "down", **change}
    answer = _vote(web, body)
    assert answer.status_code == 422
    assert any(field in error["loc"] for error in answer.json()["detail"]), answer.text


def test_a_vote_that_cannot_be_checked_gets_an_honest_503(web: WebApp) -> None:
    answer = _vote(web, {"session": _session(web), "turn": TURN, "vote": "up"})
    assert answer.status_code == 503
    assert answer.json()["detail"] == TROUBLE
    assert answer.headers["Retry-After"]


def _slack_vote(web: WebApp, body: dict, headers: dict[str, str] | None = None) -> httpx.Response:
    return web.client.post("/v1/feedback/slack", json=body, headers=headers or {})


def test_slack_votes_are_stored_and_a_second_replaces_the_first(web: WebApp) -> None:
    body = {"sender_id": "U0FEEDBACK1", "turn": TURN, "vote": "down"}
    first = _slack_vote(web, body, FROM_RASA)
    assert first.status_code == 201, first.text
    assert first.json() == {"turn": TURN, "vote": "down", "comment": None}
    with_comment = _slack_vote(web, {**body, "comment": " Missing the deadline. "}, FROM_RASA)
    assert with_comment.status_code == 201
    with Session(web.store.engine) as session:
        stored = feedback_for(session, "U0FEEDBACK1", TURN)
    assert stored is not None
    assert (stored.vote, stored.comment, stored.channel) == (
        "down",
        "Missing the deadline.",
        "slack",
    )


def test_only_the_rasa_server_may_record_slack_votes(web: WebApp) -> None:
    body = {"sender_id": "U0FEEDBACK2", "turn": TURN, "vote": "up"}
    for headers in ({}, {"X-Action-Secret": "guess"}, _bearer(web.sign_in())):
        refused = _slack_vote(web, body, headers)
        assert refused.status_code == 401
        assert "X-Action-Secret" in refused.json()["error"]
    with Session(web.store.engine) as session:
        assert feedback_for(session, "U0FEEDBACK2", TURN) is None


@pytest.mark.parametrize(
    "body",
    [
        {"sender_id": "U1", "turn": TURN, "vote": "sideways"},
        {"sender_id": "", "turn": TURN, "vote": "up"},
        {"sender_id": "U1", "turn": "a b", "vote": "up"},
        {"sender_id": "U1", "turn": TURN, "vote": "up", "comment": "x" * 1001},
        {"turn": TURN, "vote": "up"},
    ],
)
def test_a_bad_slack_vote_gets_422_with_a_reason(web: WebApp, body: dict) -> None:
    answer = _slack_vote(web, body, FROM_RASA)
    assert answer.status_code == 422
    assert answer.json()["detail"]
    not_json = web.client.post(
        "/v1/feedback/slack",
        content=b"{",
        headers={**FROM_RASA, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
