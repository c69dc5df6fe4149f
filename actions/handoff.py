"""``action_human_handoff``: hand the conversation to a person of the program office.

Thin glue over ``partners.handoff`` (the same function ``POST /v1/handoff/tickets``
uses): the transcript is the tracker's user and bot messages, the partner is the
verified identity of the latest message (``partners.identity``) or none.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from partners import handoff
from partners.context import default_context
from partners.identity import SLACK_CHANNEL, verified_identity

logger = logging.getLogger(__name__)

UNAVAILABLE = (
    "Sorry, I couldn't open a ticket for a person just now: our records are not "
    "reachable. Please try again in a few minutes."
)
NOT_SIGNED_IN_WEB = (
    " You aren't signed in, so the ticket doesn't say which company you're with: "
    "sign in and ask again if you'd like them to see your partner record."
)
NOT_LINKED_SLACK = (
    " This Slack account isn't linked to a company yet, so the ticket doesn't say "
    "which one you're with: say \"link my account\" if you'd like them to see your "
    "partner record."
)
# What happens, and no more: the ticket is stored for the program office, which
# reviews its tickets; nothing alerts a person, so no reply time is promised.
TICKET_OPENED = (
    "I've opened ticket #{id} for the program office, with our conversation so far, so "
    "you won't need to repeat yourself. The office reviews its tickets; nobody is "
    "alerted right away, so please don't wait here for an answer."
)
TICKET_EXTENDED = (
    "Your ticket #{id} is still open, and I've added our latest messages to it. The "
    "program office reviews its tickets; nobody is alerted right away."
)
_EVENT_ROLES: dict[str, handoff.Role] = {"user": "user", "bot": "bot"}


def _moment(stamp: Any) -> dt.datetime | None:
    if not isinstance(stamp, int | float):
        return None
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc)


def transcript_of(events: list[dict[str, Any]]) -> list[handoff.TranscriptLine]:
    """Return the user and bot messages among ``events``: the last ones, oldest first.

    Only texts are kept (no metadata, so no access token ends up in a ticket);
    cards and buttons without text are left out.
    """
    lines = []
    for event in events:
        role = _EVENT_ROLES.get(str(event.get("event")))
        text = event.get("text")
        if role is None or not isinstance(text, str) or not text.strip():
            continue
        lines.append(handoff.TranscriptLine(role, text, _moment(event.get("timestamp"))))
    return lines[-handoff.TRANSCRIPT_LIMIT :]


def confirmation(ticket: handoff.Ticket, channel: str | None) -> str:
    """Return what the user is told once their ticket is open."""
    template = TICKET_EXTENDED if ticket.already_open else TICKET_OPENED
    text = template.format(id=ticket.id)
    if ticket.partner_id is None:
        text += NOT_LINKED_SLACK if channel == SLACK_CHANNEL else NOT_SIGNED_IN_WEB
    return text


def _open(tracker: Tracker) -> str:
    context = default_context()
    channel = tracker.get_latest_input_channel()
    with context.session() as session:
        identity = verified_identity(tracker, channel, settings=context.settings, session=session)
        ticket = handoff.open_ticket(
            session,
            identity.partner_id if identity else None,
            tracker.sender_id,
            channel or "unknown",
            transcript_of(tracker.events),
        )
        session.commit()
    return confirmation(ticket, channel)


class ActionHumanHandoff(Action):
    """``action_human_handoff``: open a handoff ticket with the conversation so far."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Open (or extend) the conversation's ticket and tell the user its number."""
        try:
            text = await asyncio.to_thread(_open, tracker)
        except Exception:  # the store failing: a polite answer, the details in the log
            logger.exception("action_human_handoff failed for %s", tracker.sender_id)
            text = UNAVAILABLE
        dispatcher.utter_message(text=text)
        return []
