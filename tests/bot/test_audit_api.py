"""The audit log over the API: program managers read it, nobody else does."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from partners import audit
from partners.operators import add_operator
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.fixtures import SAMPLE_OPERATOR

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _record(web: WebApp, *entries: tuple[str, audit.AuditAction, str, str | None]) -> None:
    with Session(web.store.engine) as session:
        for minutes, (actor, action, target, detail) in enumerate(entries):
            audit.record(
                session, actor, action, target, detail, now=START + dt.timedelta(minutes=minutes)
            )
        session.commit()


def test_a_program_manager_reads_the_log_newest_first_and_filtered(web: WebApp) -> None:
    _record(
        web,
        ("desk@example.com", "read_ticket", "ticket 7", None),
        ("desk@example.com", "reply", "ticket 7", "Your Gold renewal is due in March."),
        ("other@example.com", "read_conversation", "web:P-0001:abc", None),
    )
    headers = bearer(web.sign_in(SAMPLE_OPERATOR, "demo"))

    everything = web.client.get("/v1/audit", headers=headers).json()
    assert everything["total"] >= 3
    newest = everything["items"][0]
    assert (newest["actor"], newest["action"], newest["target"]) == (
        "other@example.com",
        "read_conversation",
        "web:P-0001:abc",
    )

    replies = web.client.get(
        "/v1/audit", params={"actor": "desk@example.com", "action": "reply"}, headers=headers
    ).json()
    assert replies["total"] == 1
    assert replies["items"][0]["detail"] == "Your Gold renewal is due in March."


def test_a_long_detail_is_cut_not_copied_whole(web: WebApp) -> None:
    _record(web, ("desk@example.com", "reply", "ticket 8", "x" * 5000))
    headers = bearer(web.sign_in(SAMPLE_OPERATOR, "demo"))
    page = web.client.get("/v1/audit", params={"target": "ticket 8"}, headers=headers).json()
    assert len(page["items"][0]["detail"]) == audit.DETAIL_LIMIT


def test_operators_and_partners_may_not_read_the_log(web: WebApp) -> None:
    with Session(web.store.engine) as session:
        add_operator(session, "desk-reader@example.com", "Desk", "operator", "a long passcode 1")
        session.commit()
    operator = bearer(web.sign_in("desk-reader@example.com", "a long passcode 1"))
    partner = bearer(web.sign_in("P-0001", "demo"))

    assert web.client.get("/v1/audit", headers=operator).status_code == 403
    assert web.client.get("/v1/audit", headers=partner).status_code == 403
    assert web.client.get("/v1/audit").status_code == 401
