"""Handoff tickets: a conversation handed over to a person of the program office.

The one place for the rules of a handoff, used by the chat action
(``action_human_handoff``) and the API (``POST /v1/handoff/tickets``) alike:

- the partner a ticket belongs to is the caller's *verified* identity or None;
  callers pass it in, nothing in a transcript or request body selects it;
- a ticket keeps the last ``TRANSCRIPT_LIMIT`` lines of the conversation it was
  opened from, each ``role`` (``user`` or ``bot``), ``text`` and ``timestamp``;
- asking again from the same conversation while its ticket is still ``open`` adds
  the new lines to that ticket instead of opening another one;
- a Slack conversation's ticket keeps the channel and thread its replies go to.

Claims, operator replies and hand-backs (the live handoff) are ``partners.handoff_live``.

Functions flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from partners.clock import aware
from partners.models import TICKET_STATUSES, HandoffTicket

logger = logging.getLogger(__name__)

Role = Literal["user", "bot"]
# The values of partners.models.TICKET_STATUSES, as a type (a test keeps them equal).
TicketStatus = Literal["open", "assigned", "closed"]
ROLES: tuple[Role, ...] = ("user", "bot")
# Lines taken from one request; a ticket that collects several keeps at most
# STORED_LIMIT, the newest ones.
TRANSCRIPT_LIMIT = 50
STORED_LIMIT = 200
# Longer lines are cut, so one pasted log file cannot bloat the store.
TEXT_LIMIT = 4000
SENDER_LIMIT = 200
CHANNEL_LIMIT = 40


class HandoffError(ValueError):
    """A ticket request that cannot be served; the message says why, fit to show."""


class TicketNotFoundError(LookupError):
    """No ticket has the id asked for."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"there is no handoff ticket {ticket_id}")
        self.ticket_id = ticket_id


class TicketHeldError(HandoffError):
    """Another operator holds the ticket's conversation (or none does, for a reply)."""


@dataclass(frozen=True)
class TranscriptLine:
    """One message of the conversation."""

    role: Role
    text: str
    timestamp: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the line as JSON-ready data (ISO 8601 timestamp)."""
        stamp = self.timestamp.isoformat() if self.timestamp else None
        return {"role": self.role, "text": self.text, "timestamp": stamp}


@dataclass(frozen=True)
class Ticket:
    """A handoff ticket as the program office sees it."""

    id: int
    partner_id: str | None
    sender_id: str
    channel: str
    status: str
    created_at: dt.datetime
    transcript: list[TranscriptLine]
    # True when open_ticket found this conversation's open ticket and added to it.
    already_open: bool = False
    claimed_by: str | None = None
    claimed_by_name: str | None = None
    claimed_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    slack_channel: str | None = None
    slack_thread_ts: str | None = None

    @property
    def held(self) -> bool:
        """Whether a person of the program office holds the conversation now."""
        return self.status == "assigned" and self.claimed_by is not None

    @property
    def last_user_message(self) -> str | None:
        """The newest thing the user said, for ticket lists."""
        return next((line.text for line in reversed(self.transcript) if line.role == "user"), None)


@dataclass(frozen=True)
class TicketPage:
    """One page of tickets and how many match in all."""

    items: list[Ticket]
    total: int


def _clean_line(line: TranscriptLine) -> TranscriptLine:
    if line.role not in ROLES:
        raise HandoffError(f"a transcript line's role must be one of {', '.join(ROLES)}")
    stamp = aware(line.timestamp) if line.timestamp else None
    return TranscriptLine(line.role, line.text[:TEXT_LIMIT], stamp)


def _clean_transcript(lines: Iterable[TranscriptLine]) -> list[TranscriptLine]:
    cleaned = [_clean_line(line) for line in lines if line.text and line.text.strip()]
    return cleaned[-TRANSCRIPT_LIMIT:]


def _dump(lines: Sequence[TranscriptLine]) -> str:
    return json.dumps([line.as_dict() for line in lines], ensure_ascii=False)


def _load(text: str) -> list[TranscriptLine]:
    lines = []
    for item in json.loads(text or "[]"):
        stamp = item.get("timestamp")
        moment = dt.datetime.fromisoformat(stamp) if stamp else None
        lines.append(TranscriptLine(item["role"], item["text"], moment))
    return lines


def _maybe_aware(moment: dt.datetime | None) -> dt.datetime | None:
    return aware(moment) if moment is not None else None


def ticket_of(row: HandoffTicket, *, already_open: bool = False) -> Ticket:
    """Return a stored ticket row as a ``Ticket``."""
    return Ticket(
        id=row.id,
        partner_id=row.partner_id,
        sender_id=row.sender_id,
        channel=row.channel,
        status=row.status,
        created_at=aware(row.created_at),
        transcript=_load(row.transcript),
        already_open=already_open,
        claimed_by=row.claimed_by,
        claimed_by_name=row.claimed_by_name,
        claimed_at=_maybe_aware(row.claimed_at),
        updated_at=_maybe_aware(row.updated_at) or aware(row.created_at),
        slack_channel=row.slack_channel,
        slack_thread_ts=row.slack_thread_ts,
    )


def _merge(old: list[TranscriptLine], new: list[TranscriptLine]) -> list[TranscriptLine]:
    # A chat asking twice resends the lines the ticket already holds; keep each once.
    seen = {(line.role, line.text, line.timestamp) for line in old}
    added = [line for line in new if (line.role, line.text, line.timestamp) not in seen]
    return (old + added)[-STORED_LIMIT:]


def _open_ticket_of(
    session: Session, partner_id: str | None, sender_id: str, channel: str
) -> HandoffTicket | None:
    partner = (
        HandoffTicket.partner_id.is_(None)
        if partner_id is None
        else HandoffTicket.partner_id == partner_id
    )
    query = (
        select(HandoffTicket)
        .where(
            HandoffTicket.status == "open",
            HandoffTicket.sender_id == sender_id,
            HandoffTicket.channel == channel,
            partner,
        )
        .order_by(HandoffTicket.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def open_ticket(
    session: Session,
    partner_id: str | None,
    sender_id: str,
    channel: str,
    transcript: Iterable[TranscriptLine],
    *,
    now: dt.datetime | None = None,
    slack_channel: str | None = None,
    slack_thread_ts: str | None = None,
) -> Ticket:
    """Open a ticket for a conversation, or add to the one still open for it.

    Args:
        session: A partner-store session; the caller commits.
        partner_id: The verified caller's partner id, or None (anonymous, operator).
            Never take it from what a message or request body says.
        sender_id: The conversation's id in its channel (Rasa's sender id).
        channel: The input channel (``rest``, ``socketio``, ``slack``, ``api``...).
        transcript: The conversation so far, oldest first; its last
            ``TRANSCRIPT_LIMIT`` non-empty lines are kept.
        now: The creation time; the clock when None.
        slack_channel: A Slack conversation's channel, where replies go.
        slack_thread_ts: Its thread (the ``ts`` of the message that began it).

    Returns:
        The ticket; ``already_open`` is True when an open ticket of the same
        conversation (sender, channel and partner) was found and extended.

    Raises:
        HandoffError: An empty or too long sender id or channel, or a bad role.

    """
    sender_id, channel = sender_id.strip(), channel.strip()
    if not sender_id or len(sender_id) > SENDER_LIMIT:
        raise HandoffError(f"sender_id must be 1 to {SENDER_LIMIT} characters")
    if not channel or len(channel) > CHANNEL_LIMIT:
        raise HandoffError(f"channel must be 1 to {CHANNEL_LIMIT} characters")
    lines = _clean_transcript(transcript)
    moment = now or dt.datetime.now(dt.timezone.utc)
    existing = _open_ticket_of(session, partner_id, sender_id, channel)
    if existing is not None:
        existing.transcript = _dump(_merge(_load(existing.transcript), lines))
        existing.updated_at = moment
        existing.slack_channel = slack_channel or existing.slack_channel
        existing.slack_thread_ts = slack_thread_ts or existing.slack_thread_ts
        session.flush()
        logger.info("handoff ticket #%s extended (%s/%s)", existing.id, channel, sender_id)
        return ticket_of(existing, already_open=True)
    row = HandoffTicket(
        partner_id=partner_id,
        sender_id=sender_id,
        channel=channel,
        transcript=_dump(lines),
        status="open",
        created_at=moment,
        updated_at=moment,
        slack_channel=slack_channel,
        slack_thread_ts=slack_thread_ts,
    )
    session.add(row)
    session.flush()
    logger.info(
        "handoff ticket #%s opened for %s (%s/%s, %d lines)",
        row.id,
        partner_id or "an anonymous user",
        channel,
        sender_id,
        len(lines),
    )
    return ticket_of(row)


def _check_status(status: str) -> str:
    if status not in TICKET_STATUSES:
        raise HandoffError(f"status must be one of {', '.join(TICKET_STATUSES)}")
    return status


def list_tickets(
    session: Session,
    status: str | None = None,
    limit: int = 20,
    offset: int = 0,
    *,
    partner_id: str | None = None,
) -> TicketPage:
    """Return tickets, newest first, optionally only those with ``status``.

    ``partner_id`` limits the list to that partner's tickets (a partner's own view);
    None lists every ticket (the program office's view).

    Raises:
        HandoffError: An unknown status, or a negative limit or offset.

    """
    if limit < 0 or offset < 0:
        raise HandoffError("limit and offset must not be negative")
    query = select(HandoffTicket)
    if partner_id is not None:
        query = query.where(HandoffTicket.partner_id == partner_id)
    if status is not None:
        query = query.where(HandoffTicket.status == _check_status(status))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(HandoffTicket.created_at.desc(), HandoffTicket.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return TicketPage([ticket_of(row) for row in rows], total)


def get_ticket(session: Session, ticket_id: int) -> Ticket | None:
    """Return the ticket with ``ticket_id``, or None."""
    row = session.get(HandoffTicket, ticket_id)
    return ticket_of(row) if row is not None else None


def update_status(session: Session, ticket_id: int, status: str) -> Ticket:
    """Set a ticket's status (``open``, ``assigned`` or ``closed``).

    Raises:
        HandoffError: An unknown status.
        TicketNotFoundError: No ticket has ``ticket_id``.
        TicketHeldError: An operator holds the conversation (hand it back instead).

    """
    _check_status(status)
    row = session.get(HandoffTicket, ticket_id)
    if row is None:
        raise TicketNotFoundError(ticket_id)
    if row.claimed_by is not None and row.status == "assigned":
        raise TicketHeldError(
            f"ticket {ticket_id} is held by {row.claimed_by}: hand it back to change it"
        )
    previous, row.status = row.status, status
    row.updated_at = dt.datetime.now(dt.timezone.utc)
    session.flush()
    logger.info("handoff ticket #%s: %s -> %s", ticket_id, previous, status)
    return ticket_of(row)
