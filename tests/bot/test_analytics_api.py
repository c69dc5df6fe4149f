"""The analytics API through FastAPI's TestClient, over turns ingested from Rasa events."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from partners.analytics.clusters import Clusterer
from partners.analytics.ingest import Ingestor
from partners.analytics.models import AnalyticsTurn
from partners.feedback import TurnFeedback
from partners.models import AuditEntry
from scripts import sample_rasa_events as ev
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.analytics.fake_embedding import fake_embed
from tests.partners.fixtures import operator_token, token_for

T0 = 1_796_400_000.0  # 2026-12-04 UTC
SENDER = "web:anon:analytics-api"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


OPS = bearer(operator_token())


@pytest.fixture(scope="module", autouse=True)
def ingested(web: WebApp) -> None:
    batch = ev.conversation_start(SENDER, T0)
    batch += ev.turn(SENDER, "what does security require?", "citation", T0 + 1, message_id="t1")
    batch += ev.turn(SENDER, "refund on exams, possible", "dont_know", T0 + 20, message_id="t2")
    batch += ev.turn(SENDER, "refund for the exam voucher?", "dont_know", T0 + 40, message_id="t3")
    batch += ev.turn("U0SLACK", "talk to a human", "handoff", T0 + 86400, channel="slack")
    with Session(web.store.engine) as session:
        Ingestor(Clusterer(fake_embed)).ingest(session, batch)
        now = dt.datetime.now(dt.timezone.utc)
        session.add(
            TurnFeedback(
                sender_id=SENDER,
                message_id="t2",
                vote="down",
                comment="no answer",
                channel="web",
                created_at=now,
                updated_at=now,
            )  # fmt: skip
        )
        session.commit()


def test_only_operators_read_analytics(web: WebApp) -> None:
    assert web.client.get("/v1/analytics/summary").status_code == 401
    partner = web.client.get("/v1/analytics/summary", headers=bearer(token_for("P-0001")))
    assert partner.status_code == 403


def test_the_summary_counts_turns_outcomes_feedback_and_unanswered_clusters(web: WebApp) -> None:
    response = web.client.get("/v1/analytics/summary", headers=OPS)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["turns"], summary["conversations"]) == (4, 2)
    assert summary["outcomes"]["dont_know"] == 2 and summary["outcomes"]["handoff"] == 1
    assert summary["feedback"] == {"up": 0, "down": 1}
    assert summary["containment_rate"] == 0.5 and summary["dont_know_rate"] == 0.5
    assert summary["latency_ms"] == {"p50": 250, "p95": 250}
    (cluster,) = summary["top_unanswered"]
    assert cluster["count"] == 2
    assert [e["text"] for e in cluster["examples"]] == [
        "refund for the exam voucher?",
        "refund on exams, possible",
    ]
    slack = web.client.get("/v1/analytics/summary?channel=slack&tier=none", headers=OPS).json()
    assert (slack["turns"], slack["per_day"]) == (
        1,
        [{"date": "2026-12-05", "channel": "slack", "turns": 1, "conversations": 1}],
    )
    day = web.client.get("/v1/analytics/summary?start=2026-12-04&end=2026-12-04", headers=OPS)
    assert day.json()["turns"] == 3


def test_bad_filters_get_a_reason(web: WebApp) -> None:
    bad = web.client.get("/v1/analytics/summary?start=2026-12-05&end=2026-12-01", headers=OPS)
    assert bad.status_code == 422 and "before start" in bad.text
    assert web.client.get("/v1/analytics/summary?tier=Diamond", headers=OPS).status_code == 422


def test_conversations_are_found_by_text_outcome_and_feedback(web: WebApp) -> None:
    found = web.client.get("/v1/analytics/conversations?q=REFUND&feedback=down", headers=OPS)
    assert found.status_code == 200
    (item,) = found.json()["items"]
    assert item["sender_id"] == SENDER and item["feedback_down"] == 1
    assert item["first_question"] == "what does security require?"
    assert item["outcomes"] == ["answered_citation", "dont_know"]
    handed = web.client.get("/v1/analytics/conversations?outcome=handoff", headers=OPS).json()
    assert [i["sender_id"] for i in handed["items"]] == ["U0SLACK"] and handed["total"] == 1


def test_reading_a_conversation_is_audited(web: WebApp) -> None:
    response = web.client.get(f"/v1/analytics/conversations/{SENDER}", headers=OPS)
    assert response.status_code == 200
    turns = response.json()["turns"]
    assert [t["feedback"] for t in turns] == [None, {"vote": "down", "comment": "no answer"}, None]
    assert turns[0]["bot_texts"] == [ev.KINDS["citation"][1]]
    with Session(web.store.engine) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.target == SENDER)
        ).all()
    assert "read_conversation" in actions
    missing = web.client.get("/v1/analytics/conversations/nobody", headers=OPS)
    assert missing.status_code == 404


def test_a_turn_becomes_an_nlu_example_for_a_domain_intent(web: WebApp) -> None:
    intents = web.client.get("/v1/analytics/intents", headers=OPS).json()["intents"]
    assert "ask_program" in intents and "request_human" in intents
    with Session(web.store.engine) as session:
        turn_id = session.scalar(select(AnalyticsTurn.id).where(AnalyticsTurn.message_id == "t2"))
    url = f"/v1/analytics/turns/{turn_id}/nlu"
    response = web.client.get(url, params={"intent": "ask_program"}, headers=OPS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/yaml")
    assert response.text == (
        'version: "3.1"\nnlu:\n- intent: ask_program\n  examples: |\n'
        "    - refund on exams, possible\n"
    )
    unknown = web.client.get(url, params={"intent": "buy_pizza"}, headers=OPS)
    assert unknown.status_code == 422 and "domain" in unknown.text
    assert (
        web.client.get("/v1/analytics/turns/999999/nlu?intent=greet", headers=OPS).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("table", "header"),
    [
        ("per_day", "date,channel,turns,conversations"),
        ("outcomes", "outcome,turns"),
        ("top_intents", "intent,count"),
        ("top_unanswered", "cluster,count,example,at,sender_id"),
        ("feedback", "vote,count"),
        ("turns", "id,sender_id,message_id,at,channel,tier,intent,confidence,outcome"),
    ],
)
def test_every_table_exports_as_csv(web: WebApp, table: str, header: str) -> None:
    response = web.client.get(f"/v1/analytics/export/{table}.csv", headers=OPS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith(header)
    assert len(response.text.strip().splitlines()) > 1


def test_a_partners_formula_stays_text_in_the_csv_export(web: WebApp) -> None:
    sender = "web:anon:formula"
    formula = '=HYPERLINK("http://evil.example","refund")'
    batch = ev.conversation_start(sender, T0 + 100)
    batch += ev.turn(sender, formula, "dont_know", T0 + 101, message_id="f1")
    with Session(web.store.engine) as session:
        Ingestor(Clusterer(fake_embed)).ingest(session, batch)
        session.commit()
    exported = web.client.get("/v1/analytics/export/turns.csv", headers=OPS).text
    row = next(line for line in exported.splitlines() if sender in line)
    assert "'=HYPERLINK" in row
    assert ",=HYPERLINK" not in row and ',"=HYPERLINK' not in row
