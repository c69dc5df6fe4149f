"""Rasa's events into conversations and turns: outcomes, latency, partner, each event once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from partners import conversations
from partners.analytics import outcomes, queries
from partners.analytics.clusters import Clusterer
from partners.analytics.ingest import Ingestor, status_tier
from partners.analytics.models import AnalyticsConversation, AnalyticsTurn, UnansweredCluster
from partners.db import create_db_engine
from partners.prestart import init_db
from scripts import sample_rasa_events as ev
from tests.partners.analytics.fake_embedding import fake_embed
from tests.partners.fixtures import bind_conversation, store_settings

T0 = 1_796_400_000.0  # 2026-12-04


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    settings = store_settings(f"sqlite:///{tmp_path / 'partners.db'}", tmp_path)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    yield engine
    engine.dispose()


def ingest(engine: Engine, ingestor: Ingestor, batch: list[dict]) -> None:
    with Session(engine) as session:
        ingestor.ingest(session, batch)
        session.commit()


def turns(engine: Engine, sender: str) -> list[AnalyticsTurn]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AnalyticsTurn)
                .where(AnalyticsTurn.sender_id == sender)
                .order_by(AnalyticsTurn.id)
            )
        )


def every_kind(sender: str) -> list[dict]:
    batch = ev.conversation_start(sender, T0)
    for index, kind in enumerate(ev.KINDS):
        batch += ev.turn(sender, f"{kind} question {index}", kind, T0 + 10 * (index + 1))
    return batch


def test_each_turn_gets_its_outcome_intent_latency_and_the_partners_tier(engine: Engine) -> None:
    sender = "web:P-0001:abc"
    bind_conversation(sender, "P-0001", engine=engine)
    ingest(engine, Ingestor(Clusterer(fake_embed), status_tier), every_kind(sender))
    found = turns(engine, sender)
    assert [turn.outcome for turn in found] == [
        "answered_citation", "answered_partner_data", "dont_know", "out_of_scope",
        "fallback", "handoff", "error", None,
    ]  # fmt: skip
    assert {turn.latency_ms for turn in found} == {250}
    assert found[0].intent == "ask_competency" and found[0].confidence == pytest.approx(0.91)
    assert json.loads(found[0].bot_texts or "[]") == [ev.KINDS["citation"][1]]
    assert all(turn.closed and turn.channel == "web" for turn in found)
    # Only the unanswered ones are clustered.
    assert [turn.cluster_id is not None for turn in found] == [
        False, False, True, True, True, False, False, False,
    ]  # fmt: skip
    with Session(engine) as session:
        conversation = session.get(AnalyticsConversation, sender)
    assert conversation is not None
    assert (conversation.partner_id, conversation.turns, conversation.channel) == (
        "P-0001",
        8,
        "web",
    )
    assert conversation.tier in ("Registered", "Silver", "Gold", "Platinum")


def test_a_redelivered_event_counts_once(engine: Engine) -> None:
    sender = "api-redelivery"
    batch = every_kind(sender)
    ingestor = Ingestor(Clusterer(fake_embed))
    # RabbitMQ may deliver a batch cut by a failure again, from the middle of a turn.
    ingest(engine, ingestor, batch[:14])
    ingest(engine, ingestor, batch[9:30])
    ingest(engine, ingestor, batch)
    ingest(engine, Ingestor(Clusterer(fake_embed)), batch[20:])  # another process
    found = turns(engine, sender)
    assert len(found) == len(ev.KINDS)
    assert all(len(json.loads(turn.bot_texts or "[]")) == 1 for turn in found)
    with Session(engine) as session:
        summary = queries.summary(session, queries.Filters())
        clusters = session.scalar(select(func.count()).select_from(UnansweredCluster))
    assert (summary["turns"], summary["conversations"]) == (8, 1)
    assert summary["outcomes"] == dict.fromkeys(outcomes.OUTCOMES, 1)
    assert clusters == 3


def test_a_message_after_the_turn_ended_does_not_change_it(engine: Engine) -> None:
    sender = "api-late"
    batch = ev.turn(sender, "what is Gold?", "citation", T0)
    # An operator's reply pushed into the conversation minutes later.
    batch.append(ev.bot(sender, "Hi, this is Ana from the office.", T0 + 300))
    ingest(engine, Ingestor(None), batch)
    (turn,) = turns(engine, sender)
    assert (turn.outcome, turn.latency_ms) == ("answered_citation", 250)


def test_the_channel_comes_from_the_conversation_id_and_the_input_channel() -> None:
    assert conversations.channel_of("web:anon:x", "rest") == "web"
    assert conversations.channel_of("U0123", "slack") == "slack"
    assert conversations.channel_of("script-1", "rest") == "api"


def test_clusterers_of_two_processes_share_clusters(engine: Engine) -> None:
    first, second = Clusterer(fake_embed), Clusterer(fake_embed)
    with Session(engine) as session:
        (a,) = first.assign(session, ["refund my exam fee"], ev_now())
        session.commit()
    with Session(engine) as session:  # the second process has not seen that cluster
        b, c = second.assign(session, ["refund please", "parking at the event"], ev_now())
        session.commit()
    assert a == b and c != a
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(UnansweredCluster)) == 2


def ev_now():  # noqa: ANN201
    import datetime as dt

    return dt.datetime(2026, 12, 4, tzinfo=dt.timezone.utc)


def test_retention_deletes_old_texts_and_keeps_the_counts(engine: Engine) -> None:
    import datetime as dt

    from partners.analytics.retention import purge
    from partners.feedback import TurnFeedback
    from partners.models import HandoffTicket

    sender = "api-old"
    ingest(engine, Ingestor(Clusterer(fake_embed)), every_kind(sender))
    old = dt.datetime.fromtimestamp(T0, dt.timezone.utc)
    with Session(engine) as session:
        session.add(
            TurnFeedback(
                sender_id=sender,
                message_id="x",
                vote="down",
                comment="meh",
                channel="api",
                created_at=old,
                updated_at=old,
            )  # fmt: skip
        )
        session.add(
            HandoffTicket(
                sender_id=sender,
                channel="api",
                transcript='[{"role": "user"}]',
                status="closed",
                created_at=old,
            )  # fmt: skip
        )
        session.commit()
    later = old + dt.timedelta(days=91)
    assert purge(engine, 0, now=later).turns == 0  # 0 keeps transcripts forever
    purged = purge(engine, 90, now=later)
    assert (purged.turns, purged.feedback_comments, purged.tickets) == (8, 1, 1)
    assert all(t.user_text is None and t.bot_texts is None for t in turns(engine, sender))
    with Session(engine) as session:
        summary = queries.summary(session, queries.Filters())
        assert session.scalar(select(HandoffTicket.transcript)) == "[]"
    assert summary["turns"] == 8 and summary["outcomes"]["handoff"] == 1
    assert purge(engine, 90, now=later).turns == 0  # nothing left to delete
