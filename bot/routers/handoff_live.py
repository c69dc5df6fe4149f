"""The live handoff API: claim a ticket, reply to the partner, hand back, watch live.

Operators only (``OperatorCaller``). Thin over ``partners.handoff_live`` (the rules,
the audit entries) and Rasa's HTTP API (``bot/rasa_client.py``): a claim sets the
conversation's ``handoff_held`` slot, so the assistant falls silent
(``rasa_addons/components/handoff_policy.py``); a reply is a BotUttered with metadata
``{"from": "operator", "operator": <name>}`` in the conversation (and, for a Slack
conversation, a message in its Slack thread); a hand back clears the slot.

Each change is one database transaction around the Rasa call: when Rasa (or Slack)
cannot take it, the transaction rolls back and the operator gets 503 to try again.
The streams poll (``bot/sse.py``), so they work across app processes.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot import sse
from bot.api_errors import TROUBLE_HEADERS
from bot.deps import Context, OperatorCaller
from bot.rasa_client import RasaClient, RasaUnavailableError, handoff_line, held_slot, operator_line
from bot.routers.chat import Rasa
from bot.routers.handoff import TicketId, TicketOut, _full
from partners import handoff, handoff_live
from partners.clock import utc_now
from partners.handoff import Ticket
from partners.identity import Identity
from partners.messages import TROUBLE
from partners.operators import find_operator
from partners.status import partner_status

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/v1/handoff",
    tags=["human handoff"],
    responses={409: {"description": "Another operator holds the ticket, or it is closed."}},
)
T = TypeVar("T")


class ReplyIn(BaseModel):
    """An operator's reply to the partner."""

    text: str = Field(min_length=1, max_length=handoff.TEXT_LIMIT)


class ReplyOut(BaseModel):
    """The reply as the conversation holds it."""

    id: str
    text: str
    at: dt.datetime
    operator: str


class ConversationOut(BaseModel):
    """A ticket and its conversation, live from Rasa's tracker."""

    ticket: TicketOut
    lines: list[dict[str, Any]] = Field(
        description='Oldest first: {"role": "user"|"bot"|"operator", "text", "at", "operator"?}.'
    )


def _name(session: Session, email: str) -> str:
    account = find_operator(session, email)
    return account.name if account is not None else email


def _refusal(exc: Exception) -> HTTPException:
    if isinstance(exc, handoff.TicketNotFoundError):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


def _unavailable(what: str, exc: Exception) -> HTTPException:
    logger.error("handoff: %s: %s", what, exc)
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, TROUBLE, headers=TROUBLE_HEADERS)


async def _in_transaction(
    context: Context,
    change: Callable[[Session], T],
    then: Callable[[T], Awaitable[None]],
) -> T:
    """Run ``change`` (the store), then ``then`` (Rasa, Slack); commit only if both worked."""
    session = context.session()
    try:
        try:
            result = await run_in_threadpool(change, session)
        except (handoff.HandoffError, handoff.TicketNotFoundError) as exc:
            raise _refusal(exc) from exc
        await then(result)
        await run_in_threadpool(session.commit)
        return result
    finally:
        await run_in_threadpool(session.close)


def _slack(context: Context, ticket: Ticket, text: str) -> None:
    result = handoff_live.post_to_partner_thread(context.settings, ticket, text)
    if result is not None and result.outcome != "sent":
        raise RasaUnavailableError(f"Slack did not take the message: {result.error}")


@router.post("/tickets/{ticket_id}/claim")
async def claim(
    ticket_id: TicketId, operator: OperatorCaller, context: Context, rasa: Rasa
) -> TicketOut:
    """Hold the ticket's conversation: the assistant falls silent, the partner is told.

    Raises:
        HTTPException: 404 no such ticket; 409 another operator holds it, or it is
            closed; 503 Rasa (or Slack) could not take it: try again.

    """

    def change(session: Session) -> Ticket:
        return handoff_live.claim(
            session, ticket_id, operator.subject, _name(session, operator.subject)
        )

    async def then(ticket: Ticket) -> None:
        name = ticket.claimed_by_name or operator.subject
        joined = handoff_live.JOINED.format(name=name)
        try:
            await rasa.append_events(
                ticket.sender_id, [held_slot(True), operator_line(joined, name)]
            )
            await run_in_threadpool(_slack, context, ticket, joined)
        except RasaUnavailableError as exc:
            raise _unavailable(f"claim of ticket {ticket_id} not done", exc) from exc

    return _full(await _in_transaction(context, change, then))


@router.post("/tickets/{ticket_id}/messages", status_code=status.HTTP_201_CREATED)
async def reply(
    ticket_id: TicketId, body: ReplyIn, operator: OperatorCaller, context: Context, rasa: Rasa
) -> ReplyOut:
    """Reply to the partner: live in the web widget, in the thread on Slack.

    Raises:
        HTTPException: 404 no such ticket; 409 you do not hold it (claim it first);
            503 Rasa (or Slack) could not take it: try again.

    """
    line_id, at = uuid.uuid4().hex, utc_now()

    def change(session: Session) -> Ticket:
        return handoff_live.reply(session, ticket_id, operator.subject, body.text, now=at)

    async def then(ticket: Ticket) -> None:
        name = ticket.claimed_by_name or operator.subject
        try:
            await run_in_threadpool(_slack, context, ticket, f"*{name}:* {body.text}")
            await rasa.append_events(ticket.sender_id, [operator_line(body.text, name, line_id)])
        except RasaUnavailableError as exc:
            raise _unavailable(f"reply on ticket {ticket_id} not delivered", exc) from exc

    ticket = await _in_transaction(context, change, then)
    return ReplyOut(id=line_id, text=body.text, at=at, operator=ticket.claimed_by_name or "")


@router.post("/tickets/{ticket_id}/hand-back")
async def hand_back(
    ticket_id: TicketId, operator: OperatorCaller, context: Context, rasa: Rasa
) -> TicketOut:
    """Give the conversation back to the assistant and close the ticket.

    Raises:
        HTTPException: 404 no such ticket; 409 another operator holds it, or it is
            closed already; 503 Rasa (or Slack) could not take it: try again.

    """

    def change(session: Session) -> Ticket:
        return handoff_live.hand_back(session, ticket_id, operator.subject)

    async def then(ticket: Ticket) -> None:
        back = handoff_live.BACK_WITH_ASSISTANT
        try:
            await rasa.append_events(ticket.sender_id, [held_slot(False), handoff_line(back)])
            await run_in_threadpool(_slack, context, ticket, back)
        except RasaUnavailableError as exc:
            raise _unavailable(f"hand back of ticket {ticket_id} not done", exc) from exc

    return _full(await _in_transaction(context, change, then))


def _read(context: Context, ticket_id: int, identity: Identity, action: Any) -> Ticket:
    try:
        with context.session() as session:
            ticket = handoff_live.read_ticket(session, ticket_id, identity.subject, action)
            session.commit()
    except handoff.TicketNotFoundError as exc:
        raise _refusal(exc) from exc
    return ticket


async def _lines(rasa: RasaClient, ticket: Ticket) -> list[dict[str, Any]]:
    try:
        return handoff_live.lines_of(await rasa.events(ticket.sender_id))
    except RasaUnavailableError as exc:
        raise _unavailable(f"conversation of ticket {ticket.id} not read", exc) from exc


@router.get("/tickets/{ticket_id}/conversation")
async def conversation(
    ticket_id: TicketId, operator: OperatorCaller, context: Context, rasa: Rasa
) -> ConversationOut:
    """Return the ticket and its whole conversation, live from Rasa (audited read).

    Raises:
        HTTPException: 404 no such ticket; 503 Rasa cannot be read: try again.

    """
    ticket = await run_in_threadpool(_read, context, ticket_id, operator, "read_ticket")
    return ConversationOut(ticket=_full(ticket), lines=await _lines(rasa, ticket))


@router.get("/tickets/{ticket_id}/partner")
def partner(ticket_id: TicketId, operator: OperatorCaller, context: Context) -> dict[str, Any]:
    """Return the status snapshot of the ticket's partner (audited read).

    Raises:
        HTTPException: 404 no such ticket, or it names no partner (an anonymous visitor).

    """
    ticket = _read(context, ticket_id, operator, "read_partner_status")
    with context.session() as session:
        found = None
        if ticket.partner_id is not None:
            found = partner_status(session, context.catalogue, ticket.partner_id, context.today())
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"ticket {ticket_id} names no partner (not signed in)"
        )
    return found.as_dict(context.catalogue)


@router.get("/stream", response_class=StreamingResponse)
async def queue_stream(
    request: Request, operator: OperatorCaller, context: Context
) -> StreamingResponse:
    """Stream the queue's counts: ``event: tickets`` ``data: {"open", "assigned", "changed_at"}``.

    Sent first, then whenever the queue changes; ``: keepalive`` every 15 s.
    """
    last: list[Any] = []

    def counts() -> handoff_live.QueueCounts:
        with context.session() as session:
            return handoff_live.queue_counts(session)

    async def poll() -> list[tuple[str, Any]]:
        now = await run_in_threadpool(counts)
        data = {
            "open": now.open,
            "assigned": now.assigned,
            "changed_at": now.changed_at.isoformat() if now.changed_at else None,
        }
        if last and last[0] == data:
            return []
        last[:] = [data]
        return [("tickets", data)]

    return sse.stream(request, poll)


@router.get("/tickets/{ticket_id}/stream", response_class=StreamingResponse)
async def ticket_stream(
    request: Request,
    ticket_id: TicketId,
    operator: OperatorCaller,
    context: Context,
    rasa: Rasa,
    since: Annotated[
        int | None,
        Query(
            ge=0,
            description="Lines the client shows already (the conversation's count); the "
            "stream sends the lines after them. Default: only lines said from now on.",
        ),
    ] = None,
) -> StreamingResponse:
    """Stream the conversation's new lines: ``event: line`` ``data: <line>`` (audited read).

    Raises:
        HTTPException: 404 no such ticket.

    """
    ticket = await run_in_threadpool(_read, context, ticket_id, operator, "read_ticket")
    sent: list[int] = [] if since is None else [since]

    async def poll() -> list[tuple[str, Any]]:
        lines = handoff_live.lines_of(await rasa.events(ticket.sender_id))
        if not sent:  # no ``since``: only what is said from now on
            sent.append(len(lines))
        new, sent[0] = lines[sent[0] :], max(sent[0], len(lines))
        return [("line", line) for line in new]

    return sse.stream(request, poll)
