"""Account linking on the web: confirm a Slack user's one-time code, list, unlink."""

from __future__ import annotations

from sqlalchemy.orm import Session

from partners import linking
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.fixtures import SAMPLE_OPERATOR


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _code_for(web: WebApp, slack_user: str) -> str:
    """What action_link_account does when a Slack user asks to be linked."""
    with Session(web.store.engine) as session:
        code = linking.issue_link_code(session, "slack", slack_user, "TWEB")
        session.commit()
    return code


def _linked_to(web: WebApp, slack_user: str) -> str | None:
    with Session(web.store.engine) as session:
        return linking.linked_partner_id(session, "slack", slack_user)


def test_a_partner_confirms_a_link_code_and_sees_the_link(web: WebApp) -> None:
    token = web.sign_in("P-0003")
    code = _code_for(web, "UWEBLINK1")

    pending = web.client.get("/v1/links/pending", params={"code": code}, headers=_bearer(token))
    assert pending.status_code == 200
    assert pending.json()["external_user_id"] == "UWEBLINK1"
    assert pending.json()["team_id"] == "TWEB"
    assert _linked_to(web, "UWEBLINK1") is None  # looking does not link

    confirmed = web.client.post("/v1/links", json={"code": code}, headers=_bearer(token))
    assert confirmed.status_code == 201
    assert _linked_to(web, "UWEBLINK1") == "P-0003"

    links = web.client.get("/v1/links", headers=_bearer(token)).json()
    assert [link["external_user_id"] for link in links] == ["UWEBLINK1"]

    again = web.client.post("/v1/links", json={"code": code}, headers=_bearer(token))
    assert again.status_code == 410
    assert "already used" in again.json()["detail"]


def test_a_partner_unlinks_only_its_own_links(web: WebApp) -> None:
    owner, stranger = web.sign_in("P-0004"), web.sign_in("P-0005")
    code = _code_for(web, "UWEBLINK2")
    link = web.client.post("/v1/links", json={"code": code}, headers=_bearer(owner)).json()

    refused = web.client.delete(f"/v1/links/{link['id']}", headers=_bearer(stranger))
    assert refused.status_code == 404
    assert _linked_to(web, "UWEBLINK2") == "P-0004"

    assert web.client.delete(f"/v1/links/{link['id']}", headers=_bearer(owner)).status_code == 204
    assert _linked_to(web, "UWEBLINK2") is None
    assert web.client.get("/v1/links", headers=_bearer(owner)).json() == []


def test_bad_codes_get_a_reason(web: WebApp) -> None:
    token = web.sign_in("P-0003")
    for call in (
        web.client.get("/v1/links/pending", params={"code": "made-up"}, headers=_bearer(token)),
        web.client.post("/v1/links", json={"code": "made-up"}, headers=_bearer(token)),
    ):
        assert call.status_code == 410
        assert "not valid" in call.json()["detail"]
    assert web.client.post("/v1/links", json={}, headers=_bearer(token)).status_code == 422


def test_linking_needs_a_partners_own_sign_in(web: WebApp) -> None:
    code = _code_for(web, "UWEBLINK3")
    assert web.client.post("/v1/links", json={"code": code}).status_code == 401
    operator = web.client.post(
        "/v1/auth/token", data={"username": SAMPLE_OPERATOR, "password": "demo"}
    ).json()["access_token"]
    response = web.client.post("/v1/links", json={"code": code}, headers=_bearer(operator))
    assert response.status_code == 403
    assert _linked_to(web, "UWEBLINK3") is None
