"""rasa_addons.handoff_policy and the REST channel's silence: the assistant is quiet while held.

Runs Rasa's own ensemble (``DefaultPolicyPredictionEnsemble``) over the handoff
policy's and a rule's prediction, in the Rasa environment; and the REST channel's
proof of chosen silence over tracker events.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rasa_env import run_in_rasa_env

SCRIPT = r"""
import json, tempfile
from pathlib import Path
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_addons.handoff_policy import HandoffPolicy
from rasa_addons.rest_channel import chosen_silence

domain = Domain.load("domain.yml")
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
policy = HandoffPolicy.create(
    {**HandoffPolicy.get_default_config()}, storage, Resource("handoff"),
    ExecutionContext(GraphSchema({}), "test"),
)

def tracker(held):
    events = [ActionExecuted("action_listen"), UserUttered("what is my tier?", message_id="m1")]
    if held is not None:
        events.insert(0, SlotSet("handoff_held", held))
    return DialogueStateTracker.from_events("someone", events, domain.slots)

out = {}
for name, held in (("held", True), ("not_held", False), ("never_set", None)):
    prediction = policy.predict_action_probabilities(tracker(held), domain)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    out[name] = {
        "action": domain.action_names_or_texts[best] if max(prediction.probabilities) else None,
        "confidence": max(prediction.probabilities),
        "no_user": prediction.is_no_user_prediction,
    }

# Against a rule that would answer (RulePolicy: confidence 1.0, priority 6).
rule = [0.0] * domain.num_actions
rule[domain.index_for_action("action_human_handoff")] = 1.0
held_tracker = tracker(True)
for_rule = PolicyPrediction(rule, "RulePolicy", 6)
mine = policy.predict_action_probabilities(held_tracker, domain)
ensemble = DefaultPolicyPredictionEnsemble.__new__(DefaultPolicyPredictionEnsemble)
best = ensemble.combine_predictions_from_kwargs(held_tracker, domain, a=mine, b=for_rule)
out["ensemble_held"] = domain.action_names_or_texts[best.max_confidence_index]
free_tracker = tracker(False)
mine = policy.predict_action_probabilities(free_tracker, domain)
best = ensemble.combine_predictions_from_kwargs(free_tracker, domain, a=mine, b=for_rule)
out["ensemble_free"] = domain.action_names_or_texts[best.max_confidence_index]

def turn(policy_name, bot=False):
    events = [
        {"event": "user", "text": "hi", "message_id": "m2"},
        {"event": "action", "name": "action_extract_slots", "policy": None},
    ]
    if bot:
        events.append({"event": "bot", "text": "Hello"})
    events.append({"event": "action", "name": "action_listen", "policy": policy_name})
    return events

out["silence"] = [
    chosen_silence(turn("policy_0_HandoffPolicy"), "m2"),
    chosen_silence(turn("policy_2_RulePolicy"), "m2"),
    chosen_silence(turn("policy_0_HandoffPolicy", bot=True), "m2"),
    chosen_silence(turn("policy_0_HandoffPolicy"), "other"),
    chosen_silence([{"event": "user", "text": "hi", "message_id": "m2"}], "m2"),
]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def out() -> Any:
    """What the script found (one Rasa start for the module)."""
    return run_in_rasa_env(SCRIPT)


def test_held_conversations_get_action_listen_and_others_nothing(out: Any) -> None:
    assert out["held"] == {"action": "action_listen", "confidence": 1.0, "no_user": True}
    assert out["not_held"]["action"] is None and out["never_set"]["action"] is None


def test_the_handoff_policy_overrules_a_rule_only_while_held(out: Any) -> None:
    assert out["ensemble_held"] == "action_listen"
    assert out["ensemble_free"] == "action_human_handoff"


def test_the_rest_channel_calls_silence_chosen_only_when_the_policy_chose_it(out: Any) -> None:
    # The policy's silence; a rule's listen; an answer sent; another turn; an unfinished turn.
    assert out["silence"] == [True, False, False, False, False]
