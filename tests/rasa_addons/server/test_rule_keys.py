"""speedups.possible_rule_keys: the rules RulePolicy finds possible are Rasa's.

The trained model's RulePolicy is loaded, and both its lookups (rules, and rules for a
loop's unhappy path) are matched against dialogues made of its own rules' states:
whole rules and single states of rules in random order, so that some rules match
their end and others match it only in part. Rasa's ``_get_possible_keys`` and ours must give
the same keys, for short dialogues and for dialogues of hundreds of states.
"""

from __future__ import annotations

import json
import random

import pytest
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.domain import State

from rasa_addons.server import speedups
from tests.rasa_addons.components.trained_policies import TrainedModel

RASAS = RulePolicy._get_possible_keys  # before any patch is installed


@pytest.fixture(scope="module")
def rule_policy(model_path: str, tmp_path_factory: pytest.TempPathFactory) -> RulePolicy:
    """The RulePolicy of the trained model under test."""
    policy = TrainedModel(model_path, tmp_path_factory.mktemp("model")).policy(RulePolicy)
    assert isinstance(policy, RulePolicy)
    return policy


def _dialogue(rng: random.Random, rules: list[list[State]], length: int) -> list[State]:
    """``length`` pieces of rules, each a whole rule or one state of one, in random order."""
    states: list[State] = []
    for _ in range(length):
        rule = rng.choice(rules)
        piece = rule if rng.random() < 0.5 else [rng.choice(rule)]
        states.extend(json.loads(json.dumps(piece)))  # a copy
    return states


@pytest.mark.parametrize("lookup_name", [RULES, RULES_FOR_LOOP_UNHAPPY_PATH])
def test_the_possible_keys_are_rasas(rule_policy: RulePolicy, lookup_name: str) -> None:
    lookup = rule_policy.lookup[lookup_name]
    assert lookup, f"the model has no {lookup_name}"
    rules = [RulePolicy._rule_key_to_state(key) for key in lookup]
    rng = random.Random(14)
    found_some = 0
    for trial in range(300):
        length = rng.choice([1, 2, 5, 40, 120])
        states = _dialogue(rng, rules, length)
        ours = speedups.possible_rule_keys(rule_policy, lookup, states)
        assert ours == RASAS(rule_policy, lookup, states), f"trial {trial}, {len(states)} states"
        found_some += bool(ours)
    assert found_some > 100  # most dialogues end in a rule: the comparison is not of empties


def _state(action: str, intent: str) -> State:
    return {"prev_action": {"action_name": action}, "user": {"intent": intent}}


def test_a_longer_rule_ending_alike_is_still_checked_to_its_start(
    rule_policy: RulePolicy,
) -> None:
    # A one-state rule and a three-state rule share their last state: in a dialogue
    # that ends in that state, only the first is possible unless the two states before
    # are the longer rule's too, however long the dialogue before them.
    last = _state("action_listen", "ask_tier")
    longer = [_state("action_listen", "greet"), _state("utter_greet", "greet"), last]
    lookup = {json.dumps([last]): "action_tier_status", json.dumps(longer): "utter_greet"}
    rng = random.Random(3)
    pieces = [[last], longer, [longer[0]], [longer[1]], [_state("action_listen", "thanks")]]
    for _ in range(200):
        states = [state for _ in range(rng.randint(1, 60)) for state in rng.choice(pieces)]
        ours = speedups.possible_rule_keys(rule_policy, lookup, states)
        assert ours == RASAS(rule_policy, lookup, states)
    assert speedups.possible_rule_keys(rule_policy, lookup, [longer[1], longer[1], last]) == {
        json.dumps([last])
    }
    assert speedups.possible_rule_keys(rule_policy, lookup, [longer[1], *longer]) == set(lookup)


def test_rules_that_name_no_previous_action_are_matched_at_every_state(
    rule_policy: RulePolicy,
) -> None:
    # A conversation-start rule (no previous action), one that forbids any action name,
    # and one naming action_listen; dialogues of start states, states after an action
    # text (end to end) and ordinary ones.
    start: State = {"user": {"intent": "greet"}}
    after_text: State = {"prev_action": {"action_text": "hello"}, "user": {"intent": "greet"}}
    not_named: State = {
        "prev_action": {"action_name": "should_not_be_set"},
        "user": {"intent": "greet"},
    }
    listen = _state("action_listen", "greet")
    # Rasa's own states name an action or give its text, never both; a rule is matched
    # on what its state asks for, so this one matches a state that has both.
    named_and_text: State = {
        "prev_action": {"action_name": "utter_greet", "action_text": "hello"},
        "user": {"intent": "greet"},
    }
    lookup = {
        json.dumps([start]): "utter_greet",
        json.dumps([not_named]): "utter_greet",
        json.dumps([listen]): "utter_greet",
        json.dumps([after_text]): "utter_greet",
    }
    rng = random.Random(5)
    pieces = [start, after_text, listen, named_and_text, _state("utter_greet", "greet")]
    found = set()
    for _ in range(200):
        states = [rng.choice(pieces) for _ in range(rng.randint(1, 12))]
        ours = speedups.possible_rule_keys(rule_policy, lookup, states)
        assert ours == RASAS(rule_policy, lookup, states)
        found |= ours
    assert found == set(lookup)  # each kind of rule was found possible somewhere


def test_rules_are_matched_by_the_intent_their_last_state_asks_for(
    rule_policy: RulePolicy,
) -> None:
    # Rules naming the same previous action: one asks for an intent, one forbids any,
    # one asks for none (a form's rule after its own step, for one); dialogues ending
    # in states with each intent, with none, and with the text instead (end to end).
    asks = _state("utter_greet", "greet")
    forbids: State = {
        "prev_action": {"action_name": "utter_greet"},
        "user": {"intent": "should_not_be_set"},
    }
    any_intent: State = {"prev_action": {"action_name": "utter_greet"}}
    lookup = {
        json.dumps([asks]): "action_listen",
        json.dumps([forbids]): "action_listen",
        json.dumps([_state("action_listen", "greet"), any_intent]): "action_listen",
    }
    ends: list[State] = [
        asks,
        _state("utter_greet", "thanks"),
        any_intent,
        {"prev_action": {"action_name": "utter_greet"}, "user": {"text": "hi there"}},
    ]
    rng = random.Random(9)
    for end in ends:
        for _ in range(20):
            states: list[State] = [
                rng.choice([*ends, _state("action_listen", "greet")])
                for _ in range(rng.randint(0, 6))
            ]
            states.append(end)
            assert speedups.possible_rule_keys(rule_policy, lookup, states) == RASAS(
                rule_policy, lookup, states
            )
    everywhere = [_state("action_listen", "greet"), _state("utter_greet", "thanks")]
    assert json.dumps(everywhere[:1] + [any_intent]) in speedups.possible_rule_keys(
        rule_policy, lookup, everywhere
    )


@pytest.mark.parametrize("lookup_name", [RULES, RULES_FOR_LOOP_UNHAPPY_PATH])
def test_every_rule_of_the_model_is_possible_on_its_own_states(
    rule_policy: RulePolicy, lookup_name: str
) -> None:
    lookup = rule_policy.lookup[lookup_name]
    for key in lookup:
        states = RulePolicy._rule_key_to_state(key)
        ours = speedups.possible_rule_keys(rule_policy, lookup, states)
        assert ours == RASAS(rule_policy, lookup, states)
        assert key in ours
