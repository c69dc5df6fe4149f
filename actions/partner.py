"""Partner actions: tier status, tier gap, course recommendations and "what if".

Thin glue over ``partners``: verify who asks (``partners.identity``), read that
partner's record, and reply with text (and a tier-progress card on the web). No
partner is ever chosen from what a message says: without a verified identity the
user is asked to sign in (web) or link their Slack account, and sees no data.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import OffLoopAction
from actions.linking import link_offer
from knowledge.entities import message_entities
from knowledge.entity_tagger import tagged_message
from partners import messages
from partners.context import PartnerContext
from partners.identity import verified_identity
from partners.recommender import recommend
from partners.status import PartnerStatus, partner_status, recommendation_sample_figures
from partners.tiers import PartnerSnapshot, tier_gap
from partners.what_if_text import answer_what_if

# Channels whose clients draw the tier-progress card (Slack as blocks with text bars).
CARD_CHANNELS = frozenset({"rest", "socketio", "slack"})
NO_GOAL = frozenset({"", "none", "no", "no particular goal"})


@dataclass
class Reply:
    """What an action sends back."""

    text: str
    card: dict[str, Any] | None = None
    events: list[EventType] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Request:
    """The verified caller's record and what the message asked."""

    context: PartnerContext
    status: PartnerStatus
    tracker: Tracker

    @property
    def snapshot(self) -> PartnerSnapshot:
        """The partner's record the status was computed from."""
        return self.status.snapshot


class PartnerAction(OffLoopAction[Reply]):
    """Verify the caller, load their standing off the event loop, reply or apologise."""

    apology = messages.RECORDS_UNAVAILABLE

    @abstractmethod
    def reply(self, request: Request) -> Reply:
        """Compute the reply for a verified partner (runs in a worker thread)."""

    def work(self, tracker: Tracker) -> Reply:
        """Answer for the verified partner, or ask the user to sign in (or link)."""
        context = self.context()
        channel = tracker.get_latest_input_channel()
        with context.session() as session:
            identity = verified_identity(
                tracker, channel, settings=context.settings, session=session
            )
            partner_id = identity.partner_id if identity else None
            status = (
                partner_status(session, context.catalogue, partner_id, context.today())
                if partner_id
                else None
            )
        if status is None:
            # An unlinked Slack user gets a one-time link to the web page straight away.
            offer = link_offer(tracker, context)
            return Reply(offer or messages.sign_in_message(channel))
        return self.reply(Request(context, status, tracker))

    def send(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, reply: Reply
    ) -> list[EventType]:
        """Send the text, and the tier-progress card where the channel draws it."""
        dispatcher.utter_message(text=reply.text, outcome="answered_partner_data")
        if reply.card and tracker.get_latest_input_channel() in CARD_CHANNELS:
            dispatcher.utter_message(json_message=reply.card, outcome="answered_partner_data")
        return reply.events


def _entity(tracker: Tracker, label: str) -> str | None:
    values = [str(v) for v in tracker.get_latest_entity_values(label) if v]
    return values[0] if values else None


class ActionTierStatus(PartnerAction):
    """``action_tier_status``: the partner's tier, the next one and what is missing."""

    action_name = "action_tier_status"

    def reply(self, request: Request) -> Reply:
        """Tier, next tier, missing items, days left."""
        status = request.status
        return Reply(messages.status_text(status), messages.progress_card(status))


class ActionTierGap(PartnerAction):
    """``action_tier_gap``: every requirement of the tier asked for (default: the next)."""

    action_name = "action_tier_gap"

    def reply(self, request: Request) -> Reply:
        """List the requirements of the named (or next) tier, each met or missing."""
        status, catalogue = request.status, request.context.catalogue
        named = _entity(request.tracker, "tier") or request.tracker.get_slot("tier")
        target = catalogue.tier(str(named)) if named else None
        current = catalogue.tier(status.tier)
        prefix = ""
        if target is not None and current is not None and target.rank <= current.rank:
            prefix = f"You already hold {target.name} (you are {status.tier}). "
            target = None
        if target is None:
            if status.next_tier is None:
                return Reply(prefix + messages.gap_text(status, status.tier, status.tier))
            text = messages.gap_text(status, status.next_tier, status.tier)
            return Reply(prefix + text, messages.progress_card(status))
        gap = tier_gap(catalogue.rules, request.snapshot, target.name)
        aimed = dataclasses.replace(status, next_tier=target.name, items=gap.items)
        text = messages.gap_text(aimed, target.name, status.tier)
        return Reply(text, messages.progress_card(aimed))


class ActionRecommendCourses(PartnerAction):
    """``action_recommend_courses``: courses that close the gap fastest (slot ``goal``)."""

    action_name = "action_recommend_courses"

    def reply(self, request: Request) -> Reply:
        """Ranked courses with explanations; the goal slot is cleared for next time."""
        goal = str(request.tracker.get_slot("goal") or "").strip()
        if goal.lower() in NO_GOAL:
            goal = ""
        result = recommend(request.context.catalogue, request.snapshot, limit=3, goal=goal or None)
        sample = recommendation_sample_figures(request.context.catalogue, request.status)
        text = messages.recommendations_text(result, request.status.next_tier, sample)
        return Reply(text, events=[SlotSet("goal", None)])


class ActionWhatIf(PartnerAction):
    """``action_what_if``: a hypothetical change to the partner's own record, explained.

    Competencies, certified people, the satisfaction score and revenue, alone or
    combined (``partners.what_if_text.answer_what_if``); computed on a copy of the
    record, never written.
    """

    action_name = "action_what_if"

    def reply(self, request: Request) -> Reply:
        """Read the question, compute it with the tier engine, explain the outcome."""
        catalogue = request.context.catalogue
        hints = []
        for value in request.tracker.get_latest_entity_values("competency"):
            found = catalogue.competencies.get(str(value)) or catalogue.find_competency(str(value))
            if found:
                hints.append(found.id)
        tagged = tagged_message(request.tracker.latest_message)
        answer = answer_what_if(
            catalogue,
            request.snapshot,
            str(request.tracker.latest_message.get("text") or ""),
            recorded_tier=request.status.recorded_tier,
            today=request.context.today(),
            extract=lambda text: message_entities(text, tagged),  # the NLU's tags, if current
            hinted_competencies=hints,
        )
        if answer.outcome is None:
            return Reply(answer.text)
        card = messages.progress_card(answer.outcome.after) | {"what_if": True}
        return Reply(answer.text, card)
