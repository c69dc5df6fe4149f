"""Rasa events as its event broker publishes them (copied from a real Rasa 3.6 run).

Sample input for the analytics: ``scripts/bench_analytics.py`` publishes these turns to
RabbitMQ, and the analytics tests (tests/partners/analytics, tests/bot) feed them to the
ingestion as Rasa would.
"""

from __future__ import annotations

import itertools
from typing import Any

from partners.messages import TROUBLE

META = {"model_id": "ebda732618ce4a10a160213a2e9cdaa1", "assistant_id": "partner-assistant"}
_clock = itertools.count()


def action(sender: str, name: str, at: float) -> dict[str, Any]:
    """Rasa's ``action`` event: the policy ran action ``name``."""
    return {
        "sender_id": sender,
        "event": "action",
        "timestamp": at,
        "metadata": META,
        "name": name,
        "policy": "RulePolicy",
        "confidence": 1.0,
        "action_text": None,
        "hide_rule_turn": False,
    }


def user(
    sender: str, text: str, intent: str, at: float, message_id: str, channel: str = "rest"
) -> dict[str, Any]:
    """Rasa's ``user`` event: the message and its parse data, classified as ``intent``."""
    parse = {
        "intent": {"name": intent, "confidence": 0.91},
        "entities": [],
        "text": text,
        "message_id": message_id,
        "metadata": {},
        "intent_ranking": [{"name": intent, "confidence": 0.91}],
    }
    return {
        "sender_id": sender,
        "event": "user",
        "timestamp": at,
        "metadata": META,
        "text": text,
        "parse_data": parse,
        "input_channel": channel,
        "message_id": message_id,
    }


def bot(sender: str, text: str, at: float, outcome: str | None = None) -> dict[str, Any]:
    """Rasa's ``bot`` event: the reply, with the action's ``outcome`` mark when it set one."""
    metadata = dict(META)
    if outcome:
        metadata["outcome"] = outcome
    return {
        "sender_id": sender,
        "event": "bot",
        "timestamp": at,
        "metadata": metadata,
        "text": text,
        "data": {"elements": None, "buttons": None, "custom": None},
    }


# What the assistant does for each kind of turn: (action, bot text, outcome mark).
KINDS: dict[str, tuple[str, str, str | None]] = {
    "citation": ("action_answer_question", "Source: C-SECURITY", "answered_citation"),
    "partner": ("action_tier_status", "You are Silver.", "answered_partner_data"),
    "dont_know": ("action_answer_question", "I don't know that one.", "dont_know"),
    "out_of_scope": ("utter_out_of_scope", "I can only help with the partner program.", None),
    "fallback": ("action_two_stage_fallback", "I'm not sure I understood. Did you mean:", "fallback"),  # noqa: E501
    "handoff": ("action_human_handoff", "I've passed this to the program office.", None),
    "error": ("action_answer_question", TROUBLE, None),
    "greet": ("utter_greet", "Hello! I'm the Partner Assistant.", None),
}  # fmt: skip
INTENTS = {
    "citation": "ask_competency",
    "partner": "ask_tier_status",
    "dont_know": "ask_program",
    "out_of_scope": "out_of_scope",
    "fallback": "nlu_fallback",
    "handoff": "request_human",
    "error": "ask_program",
    "greet": "greet",
}


def turn(
    sender: str,
    text: str,
    kind: str,
    start: float,
    *,
    message_id: str | None = None,
    latency: float = 0.25,
    channel: str = "rest",
) -> list[dict[str, Any]]:
    """Every event of one turn, in Rasa's order."""
    name, reply, mark = KINDS[kind]
    message_id = message_id or f"m{next(_clock)}"
    return [
        user(sender, text, INTENTS[kind], start, message_id, channel),
        {"sender_id": sender, "event": "user_featurization", "timestamp": start + 0.001},
        action(sender, name, start + 0.002),
        bot(sender, reply, start + latency, mark),
        action(sender, "action_listen", start + latency + 0.001),
    ]


def conversation_start(sender: str, at: float) -> list[dict[str, Any]]:
    """Return the events that open a conversation's session, in Rasa's order."""
    return [
        action(sender, "action_session_start", at),
        {"sender_id": sender, "event": "session_started", "timestamp": at},
        action(sender, "action_listen", at),
    ]
