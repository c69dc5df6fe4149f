"""Handoff tickets in the partner store (SQLite, and PostgreSQL when it is reachable)."""

from __future__ import annotations

import datetime as dt
import os
import typing
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from partners import handoff
from partners.db import create_db_engine
from partners.handoff import HandoffError, TicketNotFoundError, TranscriptLine
from partners.migrate import upgrade
from partners.models import TICKET_STATUSES, Partner
from tests.partners.fixtures import postgres_schema

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.timezone.utc)
TEST_SCHEMA = f"pa_handoff_test_{os.getpid()}"


def _add_partners(engine: Engine) -> None:
    with Session(engine) as session:
        for partner_id in ("P-0001", "P-0002"):
            session.add(Partner(id=partner_id, name=partner_id, country="US", tier="Silver"))
        session.commit()


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    """A migrated store with two partners and no tickets (this module writes to it)."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'partners.db'}")
    upgrade(engine)
    _add_partners(engine)
    yield engine
    engine.dispose()


def _line(role: str, text: str, minute: int = 0) -> TranscriptLine:
    return TranscriptLine(role, text, NOW + dt.timedelta(minutes=minute))  # type: ignore[arg-type]


CONVERSATION = [
    _line("user", "what is my tier?", 0),
    _line("bot", "Nordlicht Systemhaus GmbH (P-0001) is **Silver**.", 1),
    _line("user", "can I talk to a human?", 2),
]


def _open(engine: Engine, partner: str | None = "P-0001", sender: str = "web-1", **kw) -> int:
    with Session(engine) as session:
        ticket = handoff.open_ticket(
            session,
            partner,
            sender,
            kw.pop("channel", "rest"),
            kw.pop("lines", CONVERSATION),
            now=kw.pop("now", NOW),
        )
        session.commit()
    return ticket.id


def test_a_ticket_keeps_the_conversation_and_the_partner(engine: Engine) -> None:
    ticket_id = _open(engine)
    with Session(engine) as session:
        ticket = handoff.get_ticket(session, ticket_id)
    assert ticket is not None
    assert (ticket.partner_id, ticket.sender_id, ticket.channel) == ("P-0001", "web-1", "rest")
    assert (ticket.status, ticket.created_at) == ("open", NOW)
    assert ticket.transcript == CONVERSATION
    assert ticket.last_user_message == "can I talk to a human?"
    assert not ticket.already_open


def test_an_anonymous_ticket_belongs_to_no_partner(engine: Engine) -> None:
    ticket_id = _open(engine, partner=None)
    with Session(engine) as session:
        ticket = handoff.get_ticket(session, ticket_id)
    assert ticket is not None and ticket.partner_id is None


def test_the_transcript_keeps_the_last_lines_and_cuts_long_ones(engine: Engine) -> None:
    lines = [_line("user", f"message {n}", n) for n in range(80)]
    lines += [_line("bot", "   "), _line("bot", "x" * 10_000, 90)]
    with Session(engine) as session:
        ticket = handoff.open_ticket(session, None, "web-2", "rest", lines)
    assert len(ticket.transcript) == handoff.TRANSCRIPT_LIMIT
    assert ticket.transcript[0].text == "message 31"  # the 49 newest plus the long line
    assert ticket.transcript[-1].text == "x" * handoff.TEXT_LIMIT


@pytest.mark.parametrize(
    ("sender", "channel", "lines", "reason"),
    [
        ("", "rest", [], "sender_id must be 1 to 200 characters"),
        ("web-3", " ", [], "channel must be 1 to 40 characters"),
        ("web-3", "rest", [TranscriptLine("agent", "hi")], "role must be one of user, bot"),  # type: ignore[arg-type]
    ],
)
def test_bad_requests_are_refused_with_a_reason(
    engine: Engine, sender: str, channel: str, lines: list[TranscriptLine], reason: str
) -> None:
    with Session(engine) as session, pytest.raises(HandoffError, match=reason):
        handoff.open_ticket(session, None, sender, channel, lines)


def test_asking_again_adds_to_the_open_ticket_instead_of_opening_another(engine: Engine) -> None:
    first = _open(engine)
    more = [*CONVERSATION, _line("bot", "I've opened ticket #1", 3), _line("user", "hello?", 9)]
    with Session(engine) as session:
        again = handoff.open_ticket(session, "P-0001", "web-1", "rest", more)
        session.commit()
    assert (again.id, again.already_open) == (first, True)
    assert [line.text for line in again.transcript][-3:] == [
        "can I talk to a human?",
        "I've opened ticket #1",
        "hello?",
    ]
    assert len(again.transcript) == 5  # the resent lines are kept once

    # Another conversation, another identity, or a ticket already taken: a new ticket.
    assert _open(engine, sender="web-9") != first
    assert _open(engine, partner=None) != first
    with Session(engine) as session:
        handoff.update_status(session, first, "assigned")
        session.commit()
    assert _open(engine) != first


def test_listing_filters_by_status_pages_and_puts_the_newest_first(engine: Engine) -> None:
    ids = [_open(engine, sender=f"web-{n}", now=NOW + dt.timedelta(hours=n)) for n in range(1, 6)]
    with Session(engine) as session:
        handoff.update_status(session, ids[0], "closed")
        handoff.update_status(session, ids[1], "assigned")
        session.commit()
        everything = handoff.list_tickets(session)
        assert everything.total == 5
        assert [t.id for t in everything.items] == ids[::-1]
        page = handoff.list_tickets(session, limit=2, offset=1)
        assert (page.total, [t.id for t in page.items]) == (5, [ids[3], ids[2]])
        open_ = handoff.list_tickets(session, status="open")
        assert (open_.total, {t.id for t in open_.items}) == (3, set(ids[2:]))
        closed = handoff.list_tickets(session, status="closed")
        assert [t.status for t in closed.items] == ["closed"]
        with pytest.raises(HandoffError, match="status must be one of open, assigned, closed"):
            handoff.list_tickets(session, status="done")


def test_status_changes(engine: Engine) -> None:
    ticket_id = _open(engine)
    with Session(engine) as session:
        assert handoff.update_status(session, ticket_id, "closed").status == "closed"
        session.commit()
        with pytest.raises(HandoffError, match="status must be one of"):
            handoff.update_status(session, ticket_id, "done")
        with pytest.raises(TicketNotFoundError, match="there is no handoff ticket 999"):
            handoff.update_status(session, 999, "closed")
        assert handoff.get_ticket(session, 999) is None
    with Session(engine) as session:
        assert handoff.get_ticket(session, ticket_id).status == "closed"  # type: ignore[union-attr]


def test_the_status_type_names_the_stored_statuses() -> None:
    assert typing.get_args(handoff.TicketStatus) == TICKET_STATUSES


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    """A private, migrated schema in the local PostgreSQL server, with partners."""
    with postgres_schema(TEST_SCHEMA) as engine:
        upgrade(engine)
        _add_partners(engine)
        yield engine


@pytest.mark.postgres
def test_tickets_on_postgres(postgres: Engine) -> None:
    first = _open(postgres)
    _open(postgres, partner=None, sender="web-anon", now=NOW + dt.timedelta(hours=1))
    with Session(postgres) as session:
        again = handoff.open_ticket(session, "P-0001", "web-1", "rest", CONVERSATION)
        assert (again.id, again.already_open, again.transcript) == (first, True, CONVERSATION)
        handoff.update_status(session, first, "assigned")
        session.commit()
        page = handoff.list_tickets(session, status="open")
    assert page.total == 1 and page.items[0].partner_id is None
    assert page.items[0].created_at == NOW + dt.timedelta(hours=1)
