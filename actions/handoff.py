"""``action_human_handoff``: hand the conversation to a person of the program office.

Thin glue over ``partners.handoff`` (the same function ``POST /v1/handoff/tickets``
uses): the transcript is the tracker's user and bot messages, the partner is the
verified identity of the latest message (``partners.identity``) or none. A Slack
conversation's ticket keeps the channel and thread (the Slack channel's message
metadata, ``rasa_addons/channels/slack_channel.py``) where the operator's replies go.

A new ticket is announced at once: the console's queue shows it live, and the
office's Slack channel (``PA_HANDOFF_SLACK_CHANNEL``) gets a notice; a failing
notice is logged and never loses the ticket. The partner is told what happens next,
truthfully: within office hours (``PA_OFFICE_HOURS``) a person joins shortly,
outside them when the office opens next, and without configured hours no time.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Tracker

from actions.base import TextAction
from partners import conversations, handoff, handoff_live, messages, office_hours
from partners.context import PartnerContext
from partners.identity import SLACK_CHANNEL, verified_identity
from settings import Settings

logger = logging.getLogger(__name__)

NOT_SIGNED_IN_WEB = (
    " You aren't signed in, so the ticket doesn't say which company you're with: "
    "sign in and ask again if you'd like them to see your partner record."
)
NOT_LINKED_SLACK = (
    " This Slack account isn't linked to a company yet, so the ticket doesn't say "
    "which one you're with: say \"link my account\" if you'd like them to see your "
    "partner record."
)
# What happens, and no more: the ticket is stored and the program office is alerted
# (its live queue, and its Slack channel when configured); when a person answers
# depends on the office hours, and without them no time is promised.
TICKET_OPENED = (
    "I've opened ticket #{id} with our conversation so far, so you won't need to repeat "
    "yourself, and I've alerted the program office."
)
TICKET_EXTENDED = (
    "Your ticket #{id} is still open, and I've added our latest messages to it; the "
    "program office sees it in its queue."
)
OFFICE_OPEN = " A person will join here shortly."
OFFICE_CLOSED = (
    " The office is closed right now: it opens {when}, so expect a person to answer "
    "here after that."
)
NO_HOURS = " A person will answer here as soon as one is free; I can't say when."
HOURS_UNREADABLE = "PA_OFFICE_HOURS cannot be read (%s): no time is promised"
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


def availability(settings: Settings, now: dt.datetime) -> str:
    """Return when a person answers, as the office hours say (nothing promised without)."""
    try:
        hours = office_hours.parse(settings.office_hours, settings.office_timezone)
    except office_hours.OfficeHoursError as exc:
        logger.error(HOURS_UNREADABLE, exc)
        hours = None
    if hours is None:
        return NO_HOURS
    if hours.is_open(now):
        return OFFICE_OPEN
    return OFFICE_CLOSED.format(when=office_hours.describe(hours.next_opening(now), hours.zone))


def confirmation(
    ticket: handoff.Ticket,
    channel: str | None,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Return what the user is told once their ticket is open."""
    template = TICKET_EXTENDED if ticket.already_open else TICKET_OPENED
    text = template.format(id=ticket.id)
    if settings is not None:
        text += availability(settings, now or dt.datetime.now(dt.timezone.utc))
    if ticket.partner_id is None:
        text += NOT_LINKED_SLACK if channel == SLACK_CHANNEL else NOT_SIGNED_IN_WEB
    return text


def slack_thread(tracker: Tracker, channel: str | None) -> tuple[str | None, str | None]:
    """Return the Slack channel and thread of a Slack conversation's latest message."""
    if channel != SLACK_CHANNEL:
        return None, None
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    out, thread = metadata.get("out_channel"), metadata.get("thread_id")
    return (
        out if isinstance(out, str) and out else None,
        thread if isinstance(thread, str) and thread else None,
    )


def _open(context: PartnerContext, tracker: Tracker) -> str:
    channel = tracker.get_latest_input_channel()
    slack_channel, slack_thread_ts = slack_thread(tracker, channel)
    with context.session() as session:
        identity = verified_identity(tracker, channel, settings=context.settings, session=session)
        ticket = handoff.open_ticket(
            session,
            identity.partner_id if identity else None,
            tracker.sender_id,
            conversations.channel_of(tracker.sender_id, channel),
            transcript_of(tracker.events),
            slack_channel=slack_channel,
            slack_thread_ts=slack_thread_ts,
        )
        session.commit()
    if not ticket.already_open:
        try:
            handoff_live.notify_office(context.settings, ticket)
        except Exception:  # never lose the ticket over its notice
            logger.exception("ticket #%s: the office's Slack notice failed", ticket.id)
    return confirmation(ticket, channel, context.settings)


class ActionHumanHandoff(TextAction):
    """``action_human_handoff``: open a handoff ticket with the conversation so far."""

    action_name = "action_human_handoff"
    apology = messages.HANDOFF_UNAVAILABLE

    def work(self, tracker: Tracker) -> str:
        """Open (or extend) the conversation's ticket and tell the user its number."""
        return _open(self.context(), tracker)
