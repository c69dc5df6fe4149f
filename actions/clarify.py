"""Stage one of the two-stage fallback: ask which of the likely meanings was meant.

Rasa's default asks "Did you mean 'ask_tier_gap'?", naming the intent. This action
overrides ``action_default_ask_affirmation`` and offers the two likeliest meanings in
words, as buttons, plus "Something else" (which leads to stage two, a request to
rephrase). A button sends the intent with the message's entities, so "what about sec?"
still knows the competency once the partner picks a meaning.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# Not meanings to offer: the fallback itself, and bare answers ("yes"/"no") that say
# nothing out of context.
NOT_MEANINGS = frozenset({"nlu_fallback", "affirm", "deny"})
CHOICES = 2

# What each intent means, in the partner's words.
INTENT_LABELS = {
    "greet": "Just saying hello",
    "goodbye": "Saying goodbye",
    "thank": "Saying thanks",
    "bot_challenge": "Asking whether I'm a bot",
    "help": "What I can help with",
    "affirm": "Yes",
    "deny": "No",
    "out_of_scope": "Something outside the partner program",
    "ask_program": "A question about the partner program",
    "ask_competency": "What a competency requires",
    "ask_course": "Details of a University course",
    "ask_benefits": "The benefits of a tier",
    "ask_certification_transfer": "Whether old certifications still count",
    "ask_revenue": "Revenue thresholds",
    "ask_transition": "The transition window",
    "list_courses": "Courses that count toward a competency",
    "ask_duration": "How long it takes",
    "ask_prerequisites": "Its prerequisites",
    "ask_credits": "Its credits",
    "ask_tier_status": "Your company's tier",
    "ask_tier_gap": "What your company misses for the next tier",
    "ask_recommendation": "Course recommendations for your company",
    "ask_what_if": "A what-if for your company's tier",
    "inform_goal": "Telling me the area you want to grow in",
    "no_goal": "No particular goal",
    "link_account": "Linking your Slack account",
    "unlink_account": "Unlinking your Slack account",
    "request_human": "Talking to a person",
    "stop_reminders": "Turning reminders off",
    "start_reminders": "Turning reminders back on",
}


def intent_label(intent: str) -> str:
    """Return the partner-facing words for ``intent``."""
    return INTENT_LABELS.get(intent, intent.replace("_", " ").capitalize())


def likely_intents(latest_message: dict[str, Any], count: int = CHOICES) -> list[str]:
    """Return the ``count`` likeliest intents of the message worth offering as meanings."""
    ranking = latest_message.get("intent_ranking") or [latest_message.get("intent") or {}]
    names = [entry.get("name") for entry in ranking]
    return [name for name in names if name and name not in NOT_MEANINGS][:count]


def intent_payload(intent: str, entities: list[dict[str, Any]]) -> str:
    """Return a button payload that sends ``intent`` with the message's entities."""
    values = {entity["entity"]: entity["value"] for entity in entities if entity.get("value")}
    return f"/{intent}{json.dumps(values)}" if values else f"/{intent}"


class ActionAskAffirmation(Action):
    """Offer the likeliest meanings of an unclear message as buttons."""

    def name(self) -> str:
        """Override Rasa's default affirmation step of the two-stage fallback."""
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Ask "Did you mean ...?" with one button per likely meaning."""
        message = tracker.latest_message or {}
        entities = message.get("entities") or []
        buttons = [
            {"title": intent_label(intent), "payload": intent_payload(intent, entities)}
            for intent in likely_intents(message)
        ]
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        dispatcher.utter_message(
            text="I'm not sure I understood. Did you mean:", buttons=buttons, outcome="fallback"
        )
        return []
