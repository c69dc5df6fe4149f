"""The two-stage fallback's first question, through rasa-sdk's executor."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from rasa_sdk.executor import ActionExecutor

FIXTURES = Path(__file__).parent / "fixtures"


def test_an_unclear_message_gets_its_likely_meanings_in_words_as_buttons() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    tracker = json.loads((FIXTURES / "clarify_ambiguous.json").read_text())
    call = {
        "next_action": "action_default_ask_affirmation",
        "sender_id": tracker["sender_id"],
        "tracker": tracker,
        "domain": {},
        "version": "3.6.21",
    }
    result = asyncio.run(executor.run(call))
    assert result is not None and result.events == []
    (reply,) = result.responses
    assert reply["text"] == "I'm not sure I understood. Did you mean:"
    assert [(b["title"], b["payload"]) for b in reply["buttons"]] == [
        ("What your company misses for the next tier", '/ask_tier_gap{"competency": "C-SECURITY"}'),
        ("What a competency requires", '/ask_competency{"competency": "C-SECURITY"}'),
        ("Something else", "/out_of_scope"),
    ]
    assert "ask_" not in reply["text"], "no intent names shown to partners"


def test_every_intent_of_the_domain_has_words_for_partners() -> None:
    import yaml

    from actions.clarify import INTENT_LABELS

    domain = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text())
    assert set(domain["intents"]) <= set(INTENT_LABELS)


def test_bare_yes_and_no_are_not_offered_as_meanings() -> None:
    from actions.clarify import likely_intents

    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "affirm", "confidence": 0.25},
        {"name": "ask_tier_gap", "confidence": 0.2},
        {"name": "deny", "confidence": 0.1},
        {"name": "ask_benefits", "confidence": 0.05},
    ]
    assert likely_intents({"intent_ranking": ranking}) == ["ask_tier_gap", "ask_benefits"]
