"""Account-linking actions: ``action_link_account`` and ``action_unlink_account``.

Thin glue over ``partners.linking``. In Slack, a user proves only their Slack
identity (the ``slack`` input channel, see ``partners.identity``); linking it to a
partner happens on the web page, where the partner signs in. On the web the partner is
already signed in, so there is nothing to link there.

The one-time link is a credential: whoever redeems it decides which company the Slack
user speaks for. So it never travels as a bot message, which would be stored in the
conversation's tracker and published to the event broker. The action posts it to the
Slack user alone, out of band, through Slack's Web API (``chat.postEphemeral`` in the
conversation's thread, with ``SLACK_TOKEN`` and ``SLACK_API_BASE_URL`` from the app's
environment); the conversation only records that a private link was sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import httpx
from rasa_sdk import Tracker

from actions.base import TextAction
from partners import linking
from partners.context import PartnerContext
from partners.identity import SLACK_CHANNEL, verified_slack_user
from partners.messages import TROUBLE
from partners.public_url import public_base_url
from settings import Settings

logger = logging.getLogger(__name__)

# Slack's Web API answers in well under a second; the whole action must end long before
# Rasa's action timeout.
SLACK_API_TIMEOUT_S = 5.0
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
    return public_base_url(settings.public_url, settings.port)


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


def link_sent(settings: Settings) -> str:
    """Return what the conversation records instead of the link: that one was sent."""
    return (
        "I've sent you a private one-time link (only you can see it) to link this Slack "
        "account to your company: open it, sign in with your partner id and passcode, "
        f"and confirm. It works once and expires in {_minutes(linking.LINK_CODE_TTL)} "
        "minutes."
    )


class SlackDeliveryError(RuntimeError):
    """Slack's Web API did not take the private message."""


def send_privately(settings: Settings, tracker: Tracker, user: str, text: str) -> None:
    """Show ``text`` to the Slack ``user`` alone, in the thread they wrote in.

    Raises:
        SlackDeliveryError: No bot token configured, or Slack refused or was unreachable.

    """
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    channel, thread = metadata.get("out_channel"), metadata.get("thread_id")
    if not settings.slack_token:
        raise SlackDeliveryError("SLACK_TOKEN is not set in the app's environment")
    if not isinstance(channel, str) or not channel:
        raise SlackDeliveryError("the message names no Slack channel to answer in")
    body: dict[str, Any] = {"channel": channel, "user": user, "text": text}
    if isinstance(thread, str) and thread:
        body["thread_ts"] = thread
    url = settings.slack_api_base_url.rstrip("/") + "/chat.postEphemeral"
    try:
        response = httpx.post(
            url,
            json=body,
            headers={"Authorization": f"Bearer {settings.slack_token}"},
            timeout=SLACK_API_TIMEOUT_S,
        )
        response.raise_for_status()
        answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise SlackDeliveryError(f"{type(error).__name__}: {error}") from error
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        reason = answer.get("error") if isinstance(answer, dict) else answer
        raise SlackDeliveryError(f"Slack answered {reason!r}")


def _slack_user_of(tracker: Tracker) -> tuple[str, str | None] | None:
    if tracker.get_latest_input_channel() != SLACK_CHANNEL:
        return None
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return verified_slack_user(metadata)


def link_offer(tracker: Tracker, context: PartnerContext) -> str | None:
    """Send a verified, unlinked Slack user a one-time link; return what to say.

    Partner actions call this when they cannot answer for want of an identity, so an
    unlinked Slack user asking "what's my tier?" gets the link straight away. The link
    goes to the user privately (``send_privately``); the returned text only says so,
    or is ``TROUBLE`` when Slack did not take it. None: not a verified Slack user, or
    one already linked.
    """
    settings = context.settings
    slack_user = _slack_user_of(tracker)
    if slack_user is None:
        return None
    user, team = slack_user
    with context.session() as session:
        if linking.linked_partner_id(session, SLACK_CHANNEL, user) is not None:
            return None
        code = linking.issue_link_code(session, SLACK_CHANNEL, user, team)
        session.commit()
    try:
        send_privately(settings, tracker, user, link_invitation(settings, code))
    except SlackDeliveryError as error:
        logger.error("one-time link for Slack user %s not delivered: %s", user, error)
        return TROUBLE
    logger.info("one-time link sent privately to Slack user %s", user)
    return link_sent(settings)


def _link_reply(context: PartnerContext, tracker: Tracker) -> str:
    channel = tracker.get_latest_input_channel()
    if channel != SLACK_CHANNEL:
        return NOT_FROM_SLACK
    slack_user = _slack_user_of(tracker)
    if slack_user is None:
        return UNVERIFIED_SLACK
    with context.session() as session:
        partner_id = linking.linked_partner_id(session, SLACK_CHANNEL, slack_user[0])
    if partner_id is not None:
        return (
            f"This Slack account is already linked to partner {partner_id}. "
            'To link it to another company, say "unlink my account" first.'
        )
    return link_offer(tracker, context) or UNVERIFIED_SLACK


def _unlink_reply(context: PartnerContext, tracker: Tracker) -> str:
    if tracker.get_latest_input_channel() != SLACK_CHANNEL:
        return NOT_FROM_SLACK
    slack_user = _slack_user_of(tracker)
    if slack_user is None:
        return UNVERIFIED_SLACK
    with context.session() as session:
        partner_id = linking.unlink_identity(session, SLACK_CHANNEL, slack_user[0])
        session.commit()
    if partner_id is None:
        return "This Slack account isn't linked to any partner, so there is nothing to unlink."
    logger.info("Slack user %s unlinked from %s", slack_user[0], partner_id)
    return (
        f"Done: this Slack account is no longer linked to partner {partner_id}. "
        'Say "link my account" whenever you want to link it again.'
    )


class ActionLinkAccount(TextAction):
    """``action_link_account``: send a Slack user a one-time link to the web page."""

    action_name = "action_link_account"

    def work(self, tracker: Tracker) -> str:
        """Return what to say of the one-time link, or why there is none."""
        return _link_reply(self.context(), tracker)


class ActionUnlinkAccount(TextAction):
    """``action_unlink_account``: remove this Slack user's link to a partner."""

    action_name = "action_unlink_account"

    def work(self, tracker: Tracker) -> str:
        """Confirm the unlinking, or say there was no link."""
        return _unlink_reply(self.context(), tracker)
