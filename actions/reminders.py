"""Turning reminders off and on in chat: ``action_stop_reminders``, ``action_start_reminders``.

Thin glue over ``partners.reminders.preferences``. The choice belongs to the verified
chat identity that asks (``partners.identity``): a linked Slack user's own direct
messages, or, on the web, the signed-in partner's notices in the widget. Nobody can
switch off another person's reminders from the chat.
"""

from __future__ import annotations

import logging
from abc import abstractmethod

from rasa_sdk import Tracker

from actions.base import TextAction
from partners.context import PartnerContext
from partners.identity import SLACK_CHANNEL, verified_identity, verified_slack_user
from partners.messages import sign_in_message
from partners.models import Partner
from partners.reminders import preferences

logger = logging.getLogger(__name__)

WHAT = (
    "the transition deadline when your tier is at risk, certifications and vouchers about "
    "to expire, and when one course would lift you to the next tier"
)
UNLINKED_SLACK = (
    "This Slack account isn't linked to a company, so it gets no reminders. Say "
    '"link my account" to link it.'
)


def _reply(context: PartnerContext, tracker: Tracker, enabled: bool) -> str:
    channel = tracker.get_latest_input_channel()
    with context.session() as session:
        identity = verified_identity(tracker, settings=context.settings, session=session)
        if identity is None or identity.partner_id is None:
            return UNLINKED_SLACK if channel == SLACK_CHANNEL else sign_in_message(channel)
        partner = session.get(Partner, identity.partner_id)
        if partner is None:
            return sign_in_message(channel)
        if channel == SLACK_CHANNEL:
            metadata = (tracker.latest_message or {}).get("metadata") or {}
            slack_user = verified_slack_user(metadata)
            if slack_user is None:
                return UNLINKED_SLACK
            kind, address, whose = preferences.SLACK, slack_user[0], "this Slack account"
        else:
            kind, address, whose = preferences.WEB, partner.id, f"{partner.id} here in the chat"
        target = preferences.recipient(session, partner, kind, address)
    if target is None:  # the link went away between the two reads
        return UNLINKED_SLACK
    preferences.set_preference(context.engine, kind, address, enabled=enabled)
    logger.info("reminders %s for %s", "on" if enabled else "off", target.key)
    if not enabled:
        return (
            f"Done: reminders are off for {whose}. I won't remind you about {WHAT}. "
            'Say "turn reminders back on" whenever you want them again.'
        )
    hours = target.hours
    return (
        f"Reminders are on for {whose}: I'll remind you about {WHAT}, between {hours.start} "
        f"and {hours.end} ({hours.zone}). You can change the hours on the "
        '[account screen](/account); say "stop reminders" to turn them off.'
    )


class _ReminderChoice(TextAction):
    """Store the asking person's choice: reminders ``enabled`` or not."""

    @property
    @abstractmethod
    def enabled(self) -> bool:
        """Whether the asking person wants reminders."""

    def work(self, tracker: Tracker) -> str:
        """Store the choice and say what it means."""
        return _reply(self.context(), tracker, self.enabled)


class ActionStopReminders(_ReminderChoice):
    """``action_stop_reminders``: the asking person gets no more reminders."""

    action_name = "action_stop_reminders"
    enabled = False


class ActionStartReminders(_ReminderChoice):
    """``action_start_reminders``: the asking person gets reminders again."""

    action_name = "action_start_reminders"
    enabled = True
