"""The live handoff API's refusals through FastAPI's TestClient (Rasa is down here).

The round trip with a real Rasa is tests/e2e/test_live_handoff.py; here: who may
call, what a missing or held ticket answers, and that a claim Rasa could not take
leaves the ticket as it was (503, try again).
"""

from __future__ import annotations

import pytest

from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.fixtures import operator_token

TICKETS = "/v1/handoff/tickets"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ticket(web: WebApp, sender: str) -> dict:
    body = {"sender_id": sender, "channel": "portal", "transcript": []}
    response = web.client.post(TICKETS, json=body, headers=bearer(web.sign_in("P-0001")))
    assert response.status_code == 201, response.text
    ticket: dict = response.json()
    return ticket


def test_a_ticket_says_who_holds_it(web: WebApp) -> None:
    ticket = _ticket(web, "live-fields")
    assert ticket["claimed_by"] is None and ticket["held"] is False
    assert ticket["claimed_at"] is None and ticket["updated_at"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/claim"),
        ("post", "/hand-back"),
        ("get", "/conversation"),
        ("get", "/partner"),
        ("get", "/stream"),
    ],
)
def test_partners_may_not_act_on_tickets(web: WebApp, method: str, path: str) -> None:
    ticket = _ticket(web, f"live-partner{path.replace('/', '-')}")
    token = web.sign_in("P-0001")
    response = web.client.request(method, f"{TICKETS}/{ticket['id']}{path}", headers=bearer(token))
    assert response.status_code == 403, response.text
    assert web.client.get("/v1/handoff/stream", headers=bearer(token)).status_code == 403
    assert web.client.get("/v1/handoff/stream").status_code == 401


def test_unknown_tickets_are_404_and_an_empty_reply_is_422(web: WebApp) -> None:
    headers = bearer(operator_token())
    assert web.client.post(f"{TICKETS}/99999/claim", headers=headers).status_code == 404
    assert web.client.get(f"{TICKETS}/99999/conversation", headers=headers).status_code == 404
    ticket = _ticket(web, "live-empty-reply")
    empty = web.client.post(
        f"{TICKETS}/{ticket['id']}/messages", json={"text": ""}, headers=headers
    )
    assert empty.status_code == 422


def test_a_reply_before_a_claim_is_refused_with_the_reason(web: WebApp) -> None:
    ticket = _ticket(web, "live-unclaimed")
    response = web.client.post(
        f"{TICKETS}/{ticket['id']}/messages",
        json={"text": "hello"},
        headers=bearer(operator_token()),
    )
    assert response.status_code == 409 and "claim it first" in response.json()["detail"]


def test_a_claim_rasa_cannot_take_leaves_the_ticket_open(web: WebApp) -> None:
    ticket = _ticket(web, "live-rasa-down")
    headers = bearer(operator_token())
    response = web.client.post(f"{TICKETS}/{ticket['id']}/claim", headers=headers)
    assert response.status_code == 503 and "Retry-After" in response.headers
    after = web.client.get(f"{TICKETS}/{ticket['id']}", headers=headers).json()
    assert (after["status"], after["claimed_by"], after["held"]) == ("open", None, False)


def test_a_ticket_without_a_partner_has_no_partner_status(web: WebApp) -> None:
    headers = bearer(operator_token())
    body = {"sender_id": "live-ops-ticket", "channel": "portal", "transcript": []}
    ticket = web.client.post(TICKETS, json=body, headers=headers).json()
    response = web.client.get(f"{TICKETS}/{ticket['id']}/partner", headers=headers)
    assert response.status_code == 404 and "names no partner" in response.json()["detail"]
    mine = _ticket(web, "live-partner-status")
    status = web.client.get(f"{TICKETS}/{mine['id']}/partner", headers=headers)
    assert status.status_code == 200 and status.json()["tier"] == "Silver", status.text
