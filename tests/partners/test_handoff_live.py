"""The live handoff's rules in the partner store: claim, reply, hand back, audit, counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from partners import handoff, handoff_live
from partners.db import create_db_engine
from partners.handoff import HandoffError, TicketHeldError, TicketNotFoundError, TranscriptLine
from partners.migrate import upgrade
from partners.models import AuditEntry
from settings import Settings

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone.utc)
ANNA, BEN = "anna@example.com", "ben@example.com"


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    """A migrated, empty store (migration 0009 included)."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'partners.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _open(engine: Engine, sender: str = "web:anon:abc", **where: str) -> int:
    with Session(engine) as session:
        lines = [TranscriptLine("user", "can I talk to a human?", NOW)]
        ticket = handoff.open_ticket(session, None, sender, "rest", lines, now=NOW, **where)
        session.commit()
    return ticket.id


def _audit(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(row.actor, row.action, row.target) for row in rows]


def test_a_claim_holds_the_conversation_and_a_second_operator_is_refused(engine: Engine) -> None:
    ticket_id = _open(engine)
    with Session(engine) as session:
        ticket = handoff_live.claim(session, ticket_id, ANNA, "Anna", now=NOW)
        session.commit()
    assert ticket.held and (ticket.claimed_by, ticket.claimed_by_name) == (ANNA, "Anna")
    assert ticket.status == "assigned" and ticket.claimed_at == NOW
    with Session(engine) as session, pytest.raises(TicketHeldError, match=f"held by {ANNA}"):
        handoff_live.claim(session, ticket_id, BEN, "Ben")
    with Session(engine) as session:  # claiming again as the holder changes nothing
        assert handoff_live.claim(session, ticket_id, ANNA, "Anna").claimed_by == ANNA
    assert _audit(engine) == [(ANNA, "claim", f"ticket:{ticket_id}")]


def test_only_the_holder_replies(engine: Engine) -> None:
    ticket_id = _open(engine)
    with Session(engine) as session, pytest.raises(TicketHeldError, match="claim it first"):
        handoff_live.reply(session, ticket_id, ANNA, "hello")
    with Session(engine) as session:
        handoff_live.claim(session, ticket_id, ANNA, "Anna")
        session.commit()
    with Session(engine) as session, pytest.raises(TicketHeldError, match=f"held by {ANNA}"):
        handoff_live.reply(session, ticket_id, BEN, "hello")
    with Session(engine) as session:
        handoff_live.reply(session, ticket_id, ANNA, "Hi, Anna here.")
        session.commit()
    entries = _audit(engine)
    assert entries[-1] == (ANNA, "reply", f"ticket:{ticket_id}")
    with Session(engine) as session:
        assert session.scalars(select(AuditEntry.detail)).all()[-1] == "Hi, Anna here."


def test_hand_back_closes_and_only_the_holder_may(engine: Engine) -> None:
    ticket_id = _open(engine)
    with Session(engine) as session:
        handoff_live.claim(session, ticket_id, ANNA, "Anna")
        session.commit()
    with Session(engine) as session, pytest.raises(TicketHeldError):
        handoff_live.hand_back(session, ticket_id, BEN)
    with Session(engine) as session:
        ticket = handoff_live.hand_back(session, ticket_id, ANNA)
        session.commit()
    assert ticket.status == "closed" and not ticket.held
    with Session(engine) as session, pytest.raises(HandoffError, match="closed"):
        handoff_live.hand_back(session, ticket_id, ANNA)
    with Session(engine) as session, pytest.raises(HandoffError, match="closed"):
        handoff_live.claim(session, ticket_id, BEN, "Ben")
    with Session(engine) as session, pytest.raises(TicketNotFoundError):
        handoff_live.claim(session, 999, ANNA, "Anna")


def test_a_held_ticket_changes_status_only_by_hand_back(engine: Engine) -> None:
    ticket_id = _open(engine)
    with Session(engine) as session:
        handoff_live.claim(session, ticket_id, ANNA, "Anna")
        session.commit()
    with Session(engine) as session, pytest.raises(TicketHeldError, match="hand it back"):
        handoff.update_status(session, ticket_id, "closed")


def test_reads_are_audited(engine: Engine) -> None:
    ticket_id = _open(engine)
    with Session(engine) as session:
        handoff_live.read_ticket(session, ticket_id, ANNA)
        handoff_live.read_ticket(session, ticket_id, BEN, "read_partner_status")
        session.commit()
    assert _audit(engine) == [
        (ANNA, "read_ticket", f"ticket:{ticket_id}"),
        (BEN, "read_partner_status", f"ticket:{ticket_id}"),
    ]


def test_queue_counts_and_the_state_a_conversation_is_in(engine: Engine) -> None:
    with Session(engine) as session:
        empty = handoff_live.queue_counts(session)
    assert (empty.open, empty.assigned, empty.changed_at) == (0, 0, None)
    first, second = _open(engine, "web:anon:one"), _open(engine, "web:anon:two")
    with Session(engine) as session:
        assert handoff_live.state_of(handoff_live.current_ticket(session, "web:anon:one")) == (
            "waiting"
        )
        later = NOW + dt.timedelta(minutes=5)
        handoff_live.claim(session, first, ANNA, "Anna", now=later)
        session.commit()
        counts = handoff_live.queue_counts(session)
        assert (counts.open, counts.assigned, counts.changed_at) == (1, 1, later)
        held = handoff_live.current_ticket(session, "web:anon:one")
        assert handoff_live.state_of(held) == "with_person"
        handoff_live.hand_back(session, second, BEN)
        session.commit()
        assert handoff_live.current_ticket(session, "web:anon:two") is None
        assert handoff_live.state_of(None) is None


def test_a_slack_ticket_keeps_its_thread(engine: Engine) -> None:
    ticket_id = _open(engine, "U0PARTNER", slack_channel="D0ABC", slack_thread_ts="1.000200")
    with Session(engine) as session:
        ticket = handoff.get_ticket(session, ticket_id)
    assert ticket is not None and (ticket.slack_channel, ticket.slack_thread_ts) == (
        "D0ABC",
        "1.000200",
    )


def test_the_operators_view_of_tracker_events() -> None:
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hi", "timestamp": 1764400000.0},
        {"event": "bot", "text": "Hello!", "timestamp": 1764400001.0},
        {"event": "slot", "name": "handoff_held", "value": True},
        {
            "event": "bot",
            "text": "Hi, Anna here.",
            "timestamp": 1764400002.0,
            "metadata": {"from": "operator", "operator": "Anna"},
        },
        {"event": "bot", "text": "", "data": {"custom": {}}},
    ]
    assert handoff_live.lines_of(events) == [
        {"role": "user", "text": "hi", "at": "2025-11-29T07:06:40+00:00"},
        {"role": "bot", "text": "Hello!", "at": "2025-11-29T07:06:41+00:00"},
        {
            "role": "operator",
            "text": "Hi, Anna here.",
            "at": "2025-11-29T07:06:42+00:00",
            "operator": "Anna",
        },
    ]


def test_the_office_notice_names_ticket_partner_channel_and_question(engine: Engine) -> None:
    ticket_id = _open(engine)
    with Session(engine) as session:
        ticket = handoff.get_ticket(session, ticket_id)
    assert ticket is not None
    text = handoff_live.notice_text(ticket, "https://assistant.example.com/")
    assert f"#{ticket_id}" in text and "anonymous visitor" in text and "web chat" in text
    assert "can I talk to a human?" in text and "https://assistant.example.com/ops/" in text
    # Without a channel configured nothing is posted (and nothing fails).
    settings = Settings(handoff_slack_channel="")  # type: ignore[call-arg]
    assert handoff_live.notify_office(settings, ticket) is None
