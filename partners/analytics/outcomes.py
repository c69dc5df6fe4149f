"""What a turn was: the one place that reads Rasa's events for channel and outcome.

Pure functions over Rasa's event dicts (as the event broker publishes them). The
actions mark most answers themselves, ``dispatcher.utter_message(..., outcome=...)``,
which Rasa keeps in the ``BotUttered`` event's ``metadata``; the rest follows from the
intent, the actions Rasa ran and the words of Rasa's own apology.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args

from partners.messages import TROUBLE

Outcome = Literal[
    "answered_citation",
    "answered_partner_data",
    "dont_know",
    "out_of_scope",
    "fallback",
    "handoff",
    "error",
]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# The questions the assistant could not answer (clustered, "top unanswered").
UNANSWERED: frozenset[str] = frozenset({"dont_know", "out_of_scope", "fallback"})
# When one turn carries several marks, the first of these wins.
PRECEDENCE: tuple[Outcome, ...] = (
    "error",
    "handoff",
    "fallback",
    "out_of_scope",
    "dont_know",
    "answered_partner_data",
    "answered_citation",
)
CHANNELS = ("web", "slack", "api")

HANDOFF_ACTIONS = frozenset({"action_human_handoff"})
FALLBACK_ACTIONS = frozenset(
    {
        "action_default_fallback",
        "action_two_stage_fallback",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
        "utter_ask_rephrase",
        "utter_default",
    }
)
FALLBACK_INTENTS = frozenset({"nlu_fallback"})
OUT_OF_SCOPE_ACTIONS = frozenset({"utter_out_of_scope"})
OUT_OF_SCOPE_INTENTS = frozenset({"out_of_scope"})
# Rasa's bookkeeping actions: they say nothing about what the turn was.
QUIET_ACTIONS = frozenset({"action_listen", "action_session_start", "action_restart"})


def intent_of(user_event: Mapping[str, Any]) -> tuple[str | None, float | None]:
    """Return the intent Rasa's NLU gave a user message, and its confidence."""
    parse = user_event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    return (
        str(name) if name else None,
        float(confidence) if isinstance(confidence, int | float) else None,
    )


def mark_of(bot_event: Mapping[str, Any]) -> str | None:
    """Return the outcome an action marked on one of its messages, if a known one."""
    metadata = bot_event.get("metadata") or {}
    mark = metadata.get("outcome") if isinstance(metadata, Mapping) else None
    if mark in OUTCOMES:
        return str(mark)
    if bot_event.get("text") == TROUBLE:  # Rasa's apology for an action that failed
        return "error"
    return None


def resolve(intent: str | None, actions: Iterable[str], marks: Iterable[str]) -> str | None:
    """Return a turn's outcome from its intent, the actions run and the marks sent.

    The handoff action makes a handoff whatever else happened; otherwise a mark an
    action set (the strongest, by ``PRECEDENCE``); otherwise Rasa's fallbacks and the
    out-of-scope reply. Small talk, account steps and reminders have no outcome (None).
    """
    ran = set(actions)
    if ran & HANDOFF_ACTIONS:
        return "handoff"
    marked = set(marks)
    for outcome in PRECEDENCE:
        if outcome in marked:
            return outcome
    if intent in FALLBACK_INTENTS or ran & FALLBACK_ACTIONS:
        return "fallback"
    if intent in OUT_OF_SCOPE_INTENTS or ran & OUT_OF_SCOPE_ACTIONS:
        return "out_of_scope"
    return None


def is_unanswered(outcome: str | None) -> bool:
    """Whether a turn with ``outcome`` belongs in the unanswered questions."""
    return outcome in UNANSWERED


def is_question_text(text: str | None) -> bool:
    """Whether a user text is a typed question (not empty, not a button's ``/intent``)."""
    return bool(text and text.strip() and not text.strip().startswith("/"))
