"""The handoff API through FastAPI's TestClient (the real app over its own store)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from partners import handoff
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.fixtures import SAMPLE_OPERATOR, operator_token, token_for

TICKETS = "/v1/handoff/tickets"
TRANSCRIPT: list[dict[str, Any]] = [
    {"role": "user", "text": "what is my tier?", "timestamp": 1764400000},
    {"role": "bot", "text": "You are Silver.", "timestamp": "2025-11-29T07:06:41Z"},
    {"role": "user", "text": "I need a real person", "timestamp": "2025-11-29T07:07:00+00:00"},
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(sender_id: str, **changes: Any) -> dict[str, Any]:
    return {"sender_id": sender_id, "channel": "portal", "transcript": TRANSCRIPT} | changes


def test_a_partner_ticket_is_bound_to_the_token_not_the_body(web: WebApp) -> None:
    token = web.sign_in("P-0001")
    response = web.client.post(
        TICKETS, json=body("portal-1", partner_id="P-0002"), headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert (ticket["partner_id"], ticket["sender_id"], ticket["channel"]) == (
        "P-0001",
        "portal-1",
        "portal",
    )
    assert (ticket["status"], ticket["lines"]) == ("open", 3)
    assert ticket["last_user_message"] == "I need a real person"
    assert [line["text"] for line in ticket["transcript"]] == [t["text"] for t in TRANSCRIPT]
    assert ticket["transcript"][0]["timestamp"] == "2025-11-29T07:06:40Z"

    # The same conversation asking again gets its open ticket back, extended.
    more = [*TRANSCRIPT, {"role": "user", "text": "hello?", "timestamp": 1764400100}]
    again = web.client.post(TICKETS, json=body("portal-1", transcript=more), headers=bearer(token))
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["lines"]) == (ticket["id"], 4)


@pytest.mark.parametrize(
    "headers",
    [bearer(operator_token()), bearer(token_for(SAMPLE_OPERATOR, role="operator"))],
    ids=["program manager JWT", "operator JWT"],
)
def test_an_operators_ticket_has_no_partner(web: WebApp, headers: dict[str, str]) -> None:
    sender = f"portal-ops-{len(headers['Authorization'])}"
    response = web.client.post(TICKETS, json=body(sender, partner_id="P-0002"), headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["partner_id"] is None


def test_nobody_opens_or_reads_a_ticket_without_a_verified_identity(web: WebApp) -> None:
    response = web.client.post(TICKETS, json=body("portal-anon"))
    assert response.status_code == 401
    assert response.json()["detail"].startswith("sign in first")


def test_an_anonymous_conversations_transcript_cannot_be_read_through_a_ticket(
    web: WebApp,
) -> None:
    """The attack of the security review, replayed against the API.

    The victim, not signed in, asked the chat for a person: action_human_handoff opened
    a ticket of no partner with the victim's conversation. Knowing (or guessing) the
    victim's conversation id, an attacker asks the API for "their" ticket of it.
    """
    victim_lines = [handoff.TranscriptLine("user", "our margin target is 31% for ACME")]
    with Session(web.store.engine) as session:
        victims = handoff.open_ticket(session, None, "web:anon:victim", "rest", victim_lines)
        session.commit()
    attack = body("web:anon:victim", channel="rest", transcript=[])
    anonymous = web.client.post(TICKETS, json=attack)
    assert anonymous.status_code == 401
    assert "31%" not in anonymous.text
    # Signed in as some partner, the attacker gets a new ticket of its own, empty of
    # the victim's words; listing and reading show only its own partner's tickets.
    token = web.sign_in("P-0002")
    signed = web.client.post(TICKETS, json=attack, headers=bearer(token))
    assert signed.status_code == 201
    assert signed.json()["id"] != victims.id and signed.json()["partner_id"] == "P-0002"
    assert "31%" not in signed.text
    listed = web.client.get(TICKETS, headers=bearer(token)).json()
    assert {item["partner_id"] for item in listed["items"]} == {"P-0002"}
    assert victims.id not in {item["id"] for item in listed["items"]}
    read = web.client.get(f"{TICKETS}/{victims.id}", headers=bearer(token))
    assert read.status_code == 404 and "31%" not in read.text
    # The program office still sees the victim's ticket with its transcript.
    office = web.client.get(f"{TICKETS}/{victims.id}", headers=bearer(operator_token()))
    assert office.status_code == 200 and "31%" in office.text


def test_a_bad_token_on_create_is_refused_not_made_anonymous(web: WebApp) -> None:
    expired = token_for("P-0001", minutes_ago=24 * 60)
    response = web.client.post(TICKETS, json=body("portal-2"), headers=bearer(expired))
    assert response.status_code == 401
    assert response.json()["detail"] == "the access token has expired; sign in again"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sender_id": ""}, "sender_id"),
        ({"channel": "x" * 41}, "channel"),
        ({"transcript": [{"role": "agent", "text": "hi"}]}, "role"),
        ({"transcript": [{"role": "user", "text": "x" * 5000}]}, "text"),
        ({"transcript": [{"role": "user", "text": "hi", "timestamp": "yesterday"}]}, "timestamp"),
        ({"transcript": "hello"}, "transcript"),
    ],
)
def test_bad_bodies_get_422_naming_the_field(
    web: WebApp, changes: dict[str, Any], field: str
) -> None:
    response = web.client.post(
        TICKETS, json=body("portal-3") | changes, headers=bearer(operator_token())
    )
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


def test_a_blank_sender_gets_422_with_a_reason(web: WebApp) -> None:
    response = web.client.post(TICKETS, json=body("   "), headers=bearer(operator_token()))
    assert response.status_code == 422
    assert response.json()["detail"] == "sender_id must be 1 to 200 characters"


def test_partners_read_only_their_own_tickets_and_change_none(web: WebApp) -> None:
    mine = web.sign_in("P-0001")
    own = web.client.post(TICKETS, json=body("portal-4"), headers=bearer(mine)).json()
    others = web.client.post(
        TICKETS, json=body("portal-4"), headers=bearer(web.sign_in("P-0003"))
    ).json()
    assert own["id"] != others["id"]
    for path in (TICKETS, f"{TICKETS}/{own['id']}"):
        missing = web.client.get(path)
        assert missing.status_code == 401 and missing.json()["detail"].startswith("sign in first")
    listed = web.client.get(TICKETS, headers=bearer(mine)).json()
    assert own["id"] in {item["id"] for item in listed["items"]}
    assert {item["partner_id"] for item in listed["items"]} == {"P-0001"}
    assert web.client.get(f"{TICKETS}/{own['id']}", headers=bearer(mine)).status_code == 200
    foreign = web.client.get(f"{TICKETS}/{others['id']}", headers=bearer(mine))
    assert foreign.status_code == 404
    assert foreign.json()["detail"] == f"there is no handoff ticket {others['id']}"
    patch = web.client.patch(
        f"{TICKETS}/{own['id']}", json={"status": "closed"}, headers=bearer(mine)
    )
    assert patch.status_code == 403
    assert patch.json()["detail"] == (
        "only operators of the program office may read or change handoff tickets"
    )
    unsigned = web.client.patch(f"{TICKETS}/{own['id']}", json={"status": "closed"})
    assert unsigned.status_code == 401


def test_operators_list_read_and_close_tickets(web: WebApp) -> None:
    operator = bearer(web.sign_in(SAMPLE_OPERATOR, "demo"))
    ids = [
        web.client.post(TICKETS, json=body(f"portal-ops-{n}"), headers=operator).json()["id"]
        for n in range(3)
    ]

    page = web.client.get(TICKETS, params={"limit": 2}, headers=operator).json()
    assert page["total"] >= 3 and len(page["items"]) == 2
    assert page["items"][0]["id"] == ids[-1]  # newest first
    assert "transcript" not in page["items"][0]
    assert page["items"][0]["last_user_message"] == "I need a real person"
    rest = web.client.get(TICKETS, params={"limit": 2, "offset": 2}, headers=operator).json()
    assert rest["total"] == page["total"] and rest["items"][0]["id"] == ids[0]

    jwt = bearer(token_for(SAMPLE_OPERATOR, role="operator"))
    full = web.client.get(f"{TICKETS}/{ids[1]}", headers=jwt).json()
    assert full["sender_id"] == "portal-ops-1" and len(full["transcript"]) == 3

    closed = web.client.patch(f"{TICKETS}/{ids[1]}", json={"status": "closed"}, headers=operator)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    only_closed = web.client.get(TICKETS, params={"status": "closed"}, headers=operator).json()
    assert [item["id"] for item in only_closed["items"]] == [ids[1]]
    assert only_closed["total"] == 1
    still_open = web.client.get(TICKETS, params={"status": "open"}, headers=operator).json()
    assert ids[1] not in {item["id"] for item in still_open["items"]}


def test_unknown_tickets_and_bad_values_get_a_reason(web: WebApp) -> None:
    operator = bearer(operator_token())
    missing = web.client.get(f"{TICKETS}/99999", headers=operator)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "there is no handoff ticket 99999"
    patch = web.client.patch(f"{TICKETS}/99999", json={"status": "closed"}, headers=operator)
    assert patch.status_code == 404 and patch.json()["detail"] == "there is no handoff ticket 99999"
    for params in ({"status": "done"}, {"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert web.client.get(TICKETS, params=params, headers=operator).status_code == 422
    for ticket_id in ("0", "abc"):
        assert web.client.get(f"{TICKETS}/{ticket_id}", headers=operator).status_code == 422
    created = web.client.post(TICKETS, json=body("portal-5"), headers=operator).json()
    bad = web.client.patch(f"{TICKETS}/{created['id']}", json={"status": "done"}, headers=operator)
    assert bad.status_code == 422
    assert "'open', 'assigned' or 'closed'" in bad.json()["detail"][0]["msg"]
