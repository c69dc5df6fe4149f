"""rasa_addons.components.handoff_policy and the REST channel's silence while a person holds it.

Runs Rasa's own ensemble (``DefaultPolicyPredictionEnsemble``) over the handoff
policy's and a rule's prediction; and the REST channel's proof of chosen silence over
tracker events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.channels.rest_channel import chosen_silence
from rasa_addons.components.handoff_policy import HandoffPolicy


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> HandoffPolicy:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("handoff-policy")))
    policy = HandoffPolicy.create(
        {**HandoffPolicy.get_default_config()},
        storage,
        Resource("handoff"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    assert isinstance(policy, HandoffPolicy)
    return policy


def _tracker(domain: Domain, held: bool | None) -> DialogueStateTracker:
    events: list[Event] = [
        ActionExecuted("action_listen"),
        UserUttered("what is my tier?", message_id="m1"),
    ]
    if held is not None:
        events.insert(0, SlotSet("handoff_held", held))
    return DialogueStateTracker.from_events("someone", events, domain.slots)


def _prediction(policy: HandoffPolicy, domain: Domain, held: bool | None) -> dict[str, Any]:
    prediction = policy.predict_action_probabilities(_tracker(domain, held), domain)
    probabilities = prediction.probabilities
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    return {
        "action": domain.action_names_or_texts[best] if max(probabilities) else None,
        "confidence": max(probabilities),
        "no_user": prediction.is_no_user_prediction,
    }


def _ensemble_choice(policy: HandoffPolicy, domain: Domain, held: bool) -> str:
    """What Rasa's ensemble picks from the policy and a rule that would answer."""
    # A rule's prediction: RulePolicy, confidence 1.0, priority 6.
    rule = [0.0] * domain.num_actions
    rule[domain.index_for_action("action_human_handoff")] = 1.0
    tracker = _tracker(domain, held)
    mine = policy.predict_action_probabilities(tracker, domain)
    ensemble = DefaultPolicyPredictionEnsemble.__new__(DefaultPolicyPredictionEnsemble)
    best = ensemble.combine_predictions_from_kwargs(
        tracker, domain, a=mine, b=PolicyPrediction(rule, "RulePolicy", 6)
    )
    return domain.action_names_or_texts[best.max_confidence_index]


def _turn(policy_name: str, bot: bool = False) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "hi", "message_id": "m2"},
        {"event": "action", "name": "action_extract_slots", "policy": None},
    ]
    if bot:
        events.append({"event": "bot", "text": "Hello"})
    events.append({"event": "action", "name": "action_listen", "policy": policy_name})
    return events


def test_held_conversations_get_action_listen_and_others_nothing(
    policy: HandoffPolicy, domain: Domain
) -> None:
    held = _prediction(policy, domain, True)
    assert held == {"action": "action_listen", "confidence": 1.0, "no_user": True}
    assert _prediction(policy, domain, False)["action"] is None
    assert _prediction(policy, domain, None)["action"] is None


def test_the_handoff_policy_overrules_a_rule_only_while_held(
    policy: HandoffPolicy, domain: Domain
) -> None:
    assert _ensemble_choice(policy, domain, held=True) == "action_listen"
    assert _ensemble_choice(policy, domain, held=False) == "action_human_handoff"


def test_the_rest_channel_calls_silence_chosen_only_when_the_policy_chose_it() -> None:
    # The policy's silence; a rule's listen; an answer sent; another turn; an unfinished turn.
    assert [
        chosen_silence(_turn("policy_0_HandoffPolicy"), "m2"),
        chosen_silence(_turn("policy_2_RulePolicy"), "m2"),
        chosen_silence(_turn("policy_0_HandoffPolicy", bot=True), "m2"),
        chosen_silence(_turn("policy_0_HandoffPolicy"), "other"),
        chosen_silence([{"event": "user", "text": "hi", "message_id": "m2"}], "m2"),
    ] == [True, False, False, False, False]
