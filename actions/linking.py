"""Account-linking actions: ``action_link_account`` and ``action_unlink_account``.

Thin glue over ``partners.linking``. In Slack, a user proves only their Slack
identity (the Slack connector's signed assertion, checked by ``partners.identity``);
linking it to a partner happens on the web page, where the partner signs in. On the
web the partner is already signed in, so there is nothing to link there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.settings import Settings, get_settings
from partners import linking
from partners.db import engine_for
from partners.identity import SLACK_CHANNEL, _slack_user

logger = logging.getLogger(__name__)

UNAVAILABLE = (
    "Sorry, I can't reach the partner records right now, so I can't change account links. "
    "Please try again in a few minutes."
)
NOT_FROM_SLACK = (
    "Account linking is for Slack: here on the web you are already signed in as your "
    'company. To link a Slack account, ask me "link my account" in Slack. You can see '
    "and remove linked accounts on the [account screen](/account)."
)
UNVERIFIED_SLACK = (
    "I couldn't verify this Slack message, so I can't link or unlink it. Please try again."
)


def public_url(settings: Settings) -> str:
    """Return the base URL of the web page, for links sent to chat users."""
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def link_invitation(settings: Settings, code: str) -> str:
    """Return the message that hands a Slack user their one-time link."""
    url = f"{public_url(settings)}/link?code={code}"
    return (
        "To link this Slack account to your company, open this link, sign in with your "
        f"partner id and passcode, and confirm: {url}\n\n"
        f"The link works once and expires in {_minutes(linking.LINK_CODE_TTL)} minutes. "
        "Don't share it: whoever confirms it decides which company this Slack account "
        "speaks for."
    )


def _partner_store(settings: Settings) -> Session:
    """Return a session on the partner store, from the process-wide engine and pool."""
    return Session(engine_for(settings.effective_database_url))


def _slack_user_of(tracker: Tracker, settings: Settings) -> tuple[str, str | None] | None:
    if tracker.get_latest_input_channel() != SLACK_CHANNEL:
        return None
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return _slack_user(metadata, settings, dt.datetime.now(dt.timezone.utc))


def link_offer(tracker: Tracker, settings: Settings | None = None) -> str | None:
    """Return a one-time link for a verified, unlinked Slack user; None otherwise.

    Partner actions call this when they cannot answer for want of an identity, so an
    unlinked Slack user asking "what's my tier?" gets the link straight away.
    """
    settings = settings or get_settings()
    slack_user = _slack_user_of(tracker, settings)
    if slack_user is None:
        return None
    user, team = slack_user
    with _partner_store(settings) as session:
        if linking.linked_partner_id(session, SLACK_CHANNEL, user) is not None:
            return None
        code = linking.issue_link_code(session, SLACK_CHANNEL, user, team)
        session.commit()
    logger.info("link code issued for Slack user %s", user)
    return link_invitation(settings, code)


def _link_reply(tracker: Tracker) -> str:
    settings = get_settings()
    channel = tracker.get_latest_input_channel()
    if channel != SLACK_CHANNEL:
        return NOT_FROM_SLACK
    slack_user = _slack_user_of(tracker, settings)
    if slack_user is None:
        return UNVERIFIED_SLACK
    with _partner_store(settings) as session:
        partner_id = linking.linked_partner_id(session, SLACK_CHANNEL, slack_user[0])
    if partner_id is not None:
        return (
            f"This Slack account is already linked to partner {partner_id}. "
            'To link it to another company, say "unlink my account" first.'
        )
    return link_offer(tracker, settings) or UNVERIFIED_SLACK


def _unlink_reply(tracker: Tracker) -> str:
    settings = get_settings()
    if tracker.get_latest_input_channel() != SLACK_CHANNEL:
        return NOT_FROM_SLACK
    slack_user = _slack_user_of(tracker, settings)
    if slack_user is None:
        return UNVERIFIED_SLACK
    with _partner_store(settings) as session:
        partner_id = linking.unlink_identity(session, SLACK_CHANNEL, slack_user[0])
        session.commit()
    if partner_id is None:
        return "This Slack account isn't linked to any partner, so there is nothing to unlink."
    logger.info("Slack user %s unlinked from %s", slack_user[0], partner_id)
    return (
        f"Done: this Slack account is no longer linked to partner {partner_id}. "
        'Say "link my account" whenever you want to link it again.'
    )


class _LinkingAction(Action, ABC):
    """Run the reply off the event loop; apologise and log if the store fails."""

    action_name = ""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return self.action_name

    @abstractmethod
    def reply(self, tracker: Tracker) -> str:
        """Compute the reply text (runs in a worker thread)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Answer the latest message."""
        try:
            text = await asyncio.to_thread(self.reply, tracker)
        except Exception:  # the store failing: a polite answer, the details in the log
            logger.exception("%s failed", self.action_name)
            text = UNAVAILABLE
        dispatcher.utter_message(text=text)
        return []


class ActionLinkAccount(_LinkingAction):
    """``action_link_account``: send a Slack user a one-time link to the web page."""

    action_name = "action_link_account"

    def reply(self, tracker: Tracker) -> str:
        """Return the one-time link, or why there is none."""
        return _link_reply(tracker)


class ActionUnlinkAccount(_LinkingAction):
    """``action_unlink_account``: remove this Slack user's link to a partner."""

    action_name = "action_unlink_account"

    def reply(self, tracker: Tracker) -> str:
        """Confirm the unlinking, or say there was no link."""
        return _unlink_reply(tracker)
