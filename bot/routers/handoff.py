"""Handoff API: conversations handed over to a person of the program office.

Tickets hold transcripts, so every call needs a verified identity:

- a partner's signed-in user opens tickets for its own partner (the bearer token binds
  the ticket, nothing in the body can) and reads only its own partner's tickets;
- an operator account (a JWT with the ``operator`` or ``program_manager`` role) reads
  and changes every ticket.

An anonymous chat user asks for a person in the chat (``action_human_handoff``), not
here. The rules live in ``partners.handoff``, shared with the chat action. The live
handoff (claim, reply, hand back, the live streams) is ``bot/routers/handoff_live.py``;
an operator's read of a ticket is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, Field

from bot.deps import Caller, Context
from partners import handoff, handoff_live
from partners.handoff import Role, TicketStatus
from partners.identity import Identity

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/handoff", tags=["human handoff"])

# Ids and offsets beyond a 32-bit integer cannot exist: 422, not a database overflow.
MAX_ID = 2**31 - 1
TicketId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[1])]


class TranscriptLineIn(BaseModel):
    """One message of the conversation."""

    role: Role
    text: str = Field(max_length=handoff.TEXT_LIMIT)
    timestamp: dt.datetime | None = Field(
        default=None, description="ISO 8601 or seconds since the epoch."
    )


class TicketIn(BaseModel):
    """A request for a person. Any ``partner_id`` in the body is ignored."""

    sender_id: str = Field(min_length=1, max_length=handoff.SENDER_LIMIT)
    channel: str = Field(min_length=1, max_length=handoff.CHANNEL_LIMIT)
    transcript: list[TranscriptLineIn] = Field(
        default_factory=list,
        max_length=500,
        description=f"Oldest first; the last {handoff.TRANSCRIPT_LIMIT} lines are kept.",
    )


class StatusIn(BaseModel):
    """A ticket's new status."""

    status: TicketStatus


class TranscriptLineOut(BaseModel):
    """One message of a ticket's conversation."""

    role: str
    text: str
    timestamp: dt.datetime | None


class TicketSummaryOut(BaseModel):
    """A ticket in a list."""

    id: int
    partner_id: str | None
    sender_id: str
    channel: str
    status: str
    created_at: dt.datetime
    lines: int
    last_user_message: str | None
    claimed_by: str | None = Field(description="The holder's e-mail, or null.")
    claimed_by_name: str | None = Field(description="The holder's name, as the partner sees it.")
    claimed_at: dt.datetime | None
    updated_at: dt.datetime | None
    held: bool = Field(description="Whether a person holds the conversation now.")


class TicketOut(TicketSummaryOut):
    """A ticket with its conversation."""

    transcript: list[TranscriptLineOut]


class TicketPageOut(BaseModel):
    """One page of tickets, newest first, and how many match in all."""

    items: list[TicketSummaryOut]
    total: int


def operator(identity: Caller) -> Identity:
    """FastAPI dependency: only operator accounts (any role) pass.

    Raises:
        HTTPException: 403 with the reason for a partner's token.

    """
    if not identity.is_operator:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only operators of the program office may read or change handoff tickets",
        )
    return identity


Operator = Annotated[Identity, Depends(operator)]


def _visible_partner(identity: Identity) -> str | None:
    """Return the partner whose tickets ``identity`` may read; None means every ticket."""
    if identity.is_operator:
        return None
    if identity.partner_id is None:  # no such identity today; refuse rather than show all
        raise HTTPException(status.HTTP_403_FORBIDDEN, "these tickets are not yours to read")
    return identity.partner_id


def _summary(ticket: handoff.Ticket) -> TicketSummaryOut:
    return TicketSummaryOut(
        id=ticket.id,
        partner_id=ticket.partner_id,
        sender_id=ticket.sender_id,
        channel=ticket.channel,
        status=ticket.status,
        created_at=ticket.created_at,
        lines=len(ticket.transcript),
        last_user_message=ticket.last_user_message,
        claimed_by=ticket.claimed_by,
        claimed_by_name=ticket.claimed_by_name,
        claimed_at=ticket.claimed_at,
        updated_at=ticket.updated_at,
        held=ticket.held,
    )


def _full(ticket: handoff.Ticket) -> TicketOut:
    lines = [TranscriptLineOut(**line.as_dict()) for line in ticket.transcript]
    return TicketOut(**_summary(ticket).model_dump(), transcript=lines)


@router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": TicketOut, "description": "Added to the open ticket."}},
)
def create_ticket(
    body: TicketIn,
    response: Response,
    context: Context,
    identity: Caller,
) -> TicketOut:
    """Open a ticket for a conversation (201), or add to its open ticket (200).

    The ticket belongs to the partner of the bearer token; an operator's belongs to
    no partner. An open ticket is only ever extended, and shown, to the identity it
    belongs to.

    Raises:
        HTTPException: 401 without a valid sign-in; 422 for a bad request.

    """
    partner_id = identity.partner_id
    lines = [
        handoff.TranscriptLine(line.role, line.text, line.timestamp) for line in body.transcript
    ]
    try:
        with context.session() as session:
            ticket = handoff.open_ticket(session, partner_id, body.sender_id, body.channel, lines)
            session.commit()
    except handoff.HandoffError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    if ticket.already_open:
        response.status_code = status.HTTP_200_OK
    return _full(ticket)


@router.get("/tickets")
def list_tickets(
    identity: Caller,
    context: Context,
    ticket_status: Annotated[TicketStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> TicketPageOut:
    """List tickets, newest first, optionally only those with one status.

    Operators see every ticket; a partner's user sees its own partner's.
    """
    with context.session() as session:
        page = handoff.list_tickets(
            session, ticket_status, limit, offset, partner_id=_visible_partner(identity)
        )
    return TicketPageOut(items=[_summary(ticket) for ticket in page.items], total=page.total)


@router.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: TicketId, identity: Caller, context: Context) -> TicketOut:
    """Return one ticket with its conversation.

    Raises:
        HTTPException: 404 when there is no such ticket, or it is another partner's
            (whose existence is not revealed).

    """
    partner_id = _visible_partner(identity)
    with context.session() as session:
        ticket = handoff.get_ticket(session, ticket_id)
        if ticket is not None and identity.is_operator:
            ticket = handoff_live.read_ticket(session, ticket_id, identity.subject)
            session.commit()
    if ticket is None or (partner_id is not None and ticket.partner_id != partner_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no handoff ticket {ticket_id}")
    return _full(ticket)


@router.patch("/tickets/{ticket_id}")
def update_ticket(
    ticket_id: TicketId, body: StatusIn, operator_: Operator, context: Context
) -> TicketOut:
    """Change a ticket's status (``open``, ``assigned``, ``closed``).

    Raises:
        HTTPException: 404 when there is no such ticket; 409 while an operator holds
            it (hand it back instead).

    """
    try:
        with context.session() as session:
            ticket = handoff.update_status(session, ticket_id, body.status)
            session.commit()
    except handoff.TicketNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except handoff.TicketHeldError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    logger.info("operator %s set ticket #%s to %s", operator_.subject, ticket_id, body.status)
    return _full(ticket)
