"""The live handoff: an operator claims a ticket, replies to the partner, hands back.

The rules, shared by the API (``bot/routers/handoff.py``) and the chat
(``bot/routers/chat.py``, ``actions/handoff.py``):

- a ticket is ``open`` (waiting for a person), ``assigned`` to the operator who
  claimed it (that person *holds* the conversation: the assistant is silent), or
  ``closed`` (handed back to the assistant). A claim is one conditional UPDATE, so
  of two operators claiming at once exactly one wins; the other is told who holds it;
- only the holder replies; the holder (or anyone, while nobody holds it) hands back;
- every read of a ticket's conversation or partner and every claim, reply and hand
  back is written to the audit log (``partners.audit``) in the same transaction.

The conversation itself lives in Rasa's tracker: the app writes the ``handoff_held``
slot and the operator's lines there (``bot/rasa_client.py``), and ``lines_of`` reads
them back for the operator's view. Functions flush but never commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from partners import audit
from partners.clock import aware, utc_now
from partners.handoff import HandoffError, Ticket, TicketHeldError, TicketNotFoundError, ticket_of
from partners.models import HandoffTicket
from partners.reminders.slack import SlackResult, post_direct_message
from settings import Settings

logger = logging.getLogger(__name__)

HandoffState = Literal["waiting", "with_person"]
# What the partner reads when a person joins and when the assistant is back.
JOINED = "{name} of the program office has joined the conversation."
BACK_WITH_ASSISTANT = (
    "You're back with the assistant. Ask me anything about the program, or say "
    '"talk to a person" if you need the office again.'
)
# The metadata of the tracker's BotUttered events the live handoff writes.
FROM_OPERATOR = "operator"
FROM_HANDOFF = "handoff"
SLACK_NOTICE_TEXT_LIMIT = 300


@dataclass(frozen=True)
class QueueCounts:
    """The handoff queue at a glance: tickets waiting, tickets held, the last change."""

    open: int
    assigned: int
    changed_at: dt.datetime | None


def _row(session: Session, ticket_id: int) -> HandoffTicket:
    row = session.get(HandoffTicket, ticket_id, populate_existing=True)
    if row is None:
        raise TicketNotFoundError(ticket_id)
    return row


def read_ticket(
    session: Session,
    ticket_id: int,
    actor: str,
    action: audit.AuditAction = "read_ticket",
) -> Ticket:
    """Return a ticket for an operator, recording the read in the audit log.

    Raises:
        TicketNotFoundError: No ticket has ``ticket_id``.

    """
    ticket = ticket_of(_row(session, ticket_id))
    audit.record(session, actor, action, f"ticket:{ticket_id}", ticket.sender_id)
    return ticket


def claim(
    session: Session, ticket_id: int, actor: str, actor_name: str, *, now: dt.datetime | None = None
) -> Ticket:
    """Let the operator ``actor`` hold the ticket's conversation (again: a no-op claim).

    Raises:
        TicketNotFoundError: No ticket has ``ticket_id``.
        TicketHeldError: Another operator holds it.
        HandoffError: The ticket is closed.

    """
    moment = now or utc_now()
    done = session.execute(
        update(HandoffTicket)
        .where(
            HandoffTicket.id == ticket_id,
            HandoffTicket.status != "closed",
            or_(HandoffTicket.claimed_by.is_(None), HandoffTicket.claimed_by == actor),
        )
        .values(
            status="assigned",
            claimed_by=actor,
            claimed_by_name=actor_name,
            claimed_at=moment,
            updated_at=moment,
        )
        .execution_options(synchronize_session=False)
    )
    row = _row(session, ticket_id)
    if getattr(done, "rowcount", 0) != 1:
        if row.status == "closed":
            raise HandoffError(f"ticket {ticket_id} is closed: the assistant has it back")
        raise TicketHeldError(f"ticket {ticket_id} is held by {row.claimed_by}")
    audit.record(session, actor, "claim", f"ticket:{ticket_id}", row.sender_id, now=moment)
    logger.info("handoff ticket #%s claimed by %s", ticket_id, actor)
    return ticket_of(row)


def reply(
    session: Session, ticket_id: int, actor: str, text: str, *, now: dt.datetime | None = None
) -> Ticket:
    """Record that the holder ``actor`` replies ``text`` to the partner.

    Raises:
        TicketNotFoundError: No ticket has ``ticket_id``.
        TicketHeldError: ``actor`` does not hold it (claim it first).

    """
    moment = now or utc_now()
    row = _row(session, ticket_id)
    if row.status != "assigned" or row.claimed_by != actor:
        holder = row.claimed_by if row.status == "assigned" else None
        reason = f"it is held by {holder}" if holder else "claim it first"
        raise TicketHeldError(f"you cannot reply on ticket {ticket_id}: {reason}")
    row.updated_at = moment
    audit.record(session, actor, "reply", f"ticket:{ticket_id}", text, now=moment)
    return ticket_of(row)


def hand_back(
    session: Session, ticket_id: int, actor: str, *, now: dt.datetime | None = None
) -> Ticket:
    """Close the ticket: the conversation goes back to the assistant.

    Raises:
        TicketNotFoundError: No ticket has ``ticket_id``.
        TicketHeldError: Another operator holds it.
        HandoffError: The ticket is closed already.

    """
    moment = now or utc_now()
    row = _row(session, ticket_id)
    if row.status == "closed":
        raise HandoffError(f"ticket {ticket_id} is closed: the assistant has it back")
    if row.status == "assigned" and row.claimed_by not in (None, actor):
        raise TicketHeldError(f"ticket {ticket_id} is held by {row.claimed_by}")
    row.status, row.updated_at = "closed", moment
    session.flush()
    audit.record(session, actor, "hand_back", f"ticket:{ticket_id}", row.sender_id, now=moment)
    logger.info("handoff ticket #%s handed back by %s", ticket_id, actor)
    return ticket_of(row)


def queue_counts(session: Session) -> QueueCounts:
    """Return how many tickets wait, how many are held, and when the queue last changed."""
    counts = dict(
        session.execute(
            select(HandoffTicket.status, func.count())
            .where(HandoffTicket.status.in_(("open", "assigned")))
            .group_by(HandoffTicket.status)
        ).all()
    )
    changed = session.scalar(
        select(func.max(func.coalesce(HandoffTicket.updated_at, HandoffTicket.created_at)))
    )
    if isinstance(changed, str):  # SQLite's max() over a coalesce() comes back as text
        changed = dt.datetime.fromisoformat(changed)
    return QueueCounts(
        int(counts.get("open", 0)),
        int(counts.get("assigned", 0)),
        aware(changed) if changed is not None else None,
    )


def current_ticket(session: Session, sender_id: str) -> Ticket | None:
    """Return the conversation's ticket that is not closed yet, if any."""
    row = session.scalar(
        select(HandoffTicket)
        .where(HandoffTicket.sender_id == sender_id, HandoffTicket.status != "closed")
        .order_by(HandoffTicket.id.desc())
        .limit(1)
    )
    return ticket_of(row) if row is not None else None


def state_of(ticket: Ticket | None) -> HandoffState | None:
    """Return where the conversation stands: ``waiting``, ``with_person`` or None."""
    if ticket is None or ticket.status == "closed":
        return None
    return "with_person" if ticket.held else "waiting"


def _iso(stamp: Any) -> str | None:
    if not isinstance(stamp, int | float):
        return None
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat()


def lines_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the conversation in tracker ``events`` as the operator's view shows it.

    Each line is ``{"role": "user"|"bot"|"operator", "text", "at"}`` plus
    ``"operator"`` (the name) on an operator's line; lines without text are left out.
    """
    lines: list[dict[str, Any]] = []
    for event in events:
        kind, text = event.get("event"), event.get("text")
        if kind not in ("user", "bot") or not isinstance(text, str) or not text.strip():
            continue
        metadata = event.get("metadata") or {}
        line: dict[str, Any] = {"role": kind, "text": text, "at": _iso(event.get("timestamp"))}
        if kind == "bot" and metadata.get("from") == FROM_OPERATOR:
            line["role"] = "operator"
            line["operator"] = metadata.get("operator")
        lines.append(line)
    return lines


def notice_text(ticket: Ticket, public_url: str = "") -> str:
    """Return the office channel's notice of a new ticket."""
    who = f"partner {ticket.partner_id}" if ticket.partner_id else "an anonymous visitor"
    where = "Slack" if ticket.channel == "slack" else "the web chat"
    question = (ticket.last_user_message or "(no question)")[:SLACK_NOTICE_TEXT_LIMIT]
    text = f"*New handoff ticket #{ticket.id}* from {who} in {where}. Last question: “{question}”"
    if public_url:
        text += f"\nClaim it in the console: {public_url.rstrip('/')}/ops/"
    return text


def notify_office(settings: Settings, ticket: Ticket) -> SlackResult | None:
    """Post a new ticket's notice to the office's Slack channel, if one is configured.

    Failures are logged, never raised: the ticket is stored and the console shows it.
    """
    channel = settings.handoff_slack_channel.strip()
    if not channel:
        return None
    if not settings.slack_token:
        logger.error(
            "ticket #%s: PA_HANDOFF_SLACK_CHANNEL is set but SLACK_TOKEN is not", ticket.id
        )
        return SlackResult("failed", "no SLACK_TOKEN")
    text = notice_text(ticket, settings.public_url)
    result = post_direct_message(settings.slack_api_base_url, settings.slack_token, channel, text)
    if result.outcome != "sent":
        logger.error("ticket #%s: the office's Slack notice failed: %s", ticket.id, result.error)
    return result


def post_to_partner_thread(settings: Settings, ticket: Ticket, text: str) -> SlackResult | None:
    """Post ``text`` into the Slack thread of a Slack conversation's ticket; None if not Slack."""
    if not ticket.slack_channel:
        return None
    return post_direct_message(
        settings.slack_api_base_url,
        settings.slack_token,
        ticket.slack_channel,
        text,
        thread_ts=ticket.slack_thread_ts,
    )
