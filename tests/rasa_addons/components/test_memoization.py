"""rasa_addons.components.memoization: Rasa's predictions, without the unread deep copy.

The trained model's memoization policy is loaded twice from the same persisted
lookup: as config.yml names it, and as Rasa's own ``MemoizationPolicy`` with Rasa's
own featurizer. Both predict the next action at every step of every training and test
conversation (the stories and rules of data/, tests/test_stories.yml), with the
rule-only data the model hands them in the server, and must agree. Rasa's deep-copies the dialogue's
states for its debug line on every prediction; ours only when that line is written.
Along one long dialogue ours encodes only as many of the latest states as a memorised
key holds, and one more (its featurizer, tests/rasa_addons/components/
test_recent_states_featurizer.py).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import pytest
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy

from rasa_addons.components import memoization
from rasa_addons.components.memoization import LazyDebugMemoizationPolicy
from tests.rasa_addons.components.trained_policies import (
    TrainedModel,
    conversation_steps,
    long_conversation_steps,
    prediction,
)


@pytest.fixture(scope="module")
def model(model_path: str, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    return TrainedModel(model_path, tmp_path_factory.mktemp("model"))


def test_predicts_what_rasas_memoization_predicts(model: TrainedModel) -> None:
    ours = model.policy(LazyDebugMemoizationPolicy)
    rasas = model.rasas_policy(LazyDebugMemoizationPolicy, MemoizationPolicy)
    steps = list(conversation_steps(model.domain))
    predictions = [(prediction(ours, t, model), prediction(rasas, t, model)) for t in steps]

    assert len(steps) > 100
    assert [mine for mine, _ in predictions] == [theirs for _, theirs in predictions]
    # The stories of data/stories are memorised: some predictions are not empty.
    assert any(max(mine["probabilities"]) == 1.0 for mine, _ in predictions)


def deep_copies_made(
    policy: Policy, model: TrainedModel, debug: bool, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Any, Any]]:
    """Predict once; return each ``copy.deepcopy`` made, as (value, copy)."""
    made: list[tuple[Any, Any]] = []
    deepcopy: Callable[..., Any] = copy.deepcopy

    def recording(value: Any, *args: Any) -> Any:
        made.append((value, deepcopy(value, *args)))
        return made[-1][1]

    tracker = next(t for t in conversation_steps(model.domain) if len(t.events) > 4)
    level = logging.DEBUG if debug else logging.INFO
    monkeypatch.setattr(logging.getLogger(memoization.__name__), "level", level)
    monkeypatch.setattr(logging.getLogger(MemoizationPolicy.__module__), "level", level)
    with monkeypatch.context() as patched:
        patched.setattr(copy, "deepcopy", recording)
        policy.predict_action_probabilities(tracker, model.domain, model.rule_only_data)
    return made


def test_copies_states_for_its_debug_line_only_when_debug_is_on(
    model: TrainedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = model.policy(LazyDebugMemoizationPolicy)
    rasas = model.rasas_policy(LazyDebugMemoizationPolicy, MemoizationPolicy)
    assert len(deep_copies_made(rasas, model, False, monkeypatch)) == 1

    assert deep_copies_made(ours, model, False, monkeypatch) == []
    ((states, debug_copy),) = deep_copies_made(ours, model, True, monkeypatch)
    assert debug_copy == states
    assert debug_copy is not states
    assert debug_copy[-1] is not states[-1]


def test_a_long_dialogue_is_encoded_only_as_far_as_a_memorised_key_can_match(
    model: TrainedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = model.policy(LazyDebugMemoizationPolicy)
    rasas = model.rasas_policy(LazyDebugMemoizationPolicy, MemoizationPolicy)
    steps = long_conversation_steps(model.domain)
    encoded: list[int] = []
    encode = MemoizationPolicy._create_feature_key

    def counting(self: MemoizationPolicy, states: list[Any]) -> str | None:
        encoded.append(len(states))
        return encode(self, states)

    monkeypatch.setattr(MemoizationPolicy, "_create_feature_key", counting)
    mine = [prediction(ours, tracker, model) for tracker in steps]
    ours_encoded, encoded[:] = list(encoded), []
    theirs = [prediction(rasas, tracker, model) for tracker in steps]

    assert mine == theirs
    kept = ours.featurizer.kept_states
    assert kept is not None and 1 < kept < max(encoded)
    assert max(ours_encoded) == kept
    # Each dialogue whose key Rasa found in the lookup was within what is kept.
    memorised = [
        count
        for count, found in zip(encoded, theirs, strict=True)
        if max(found["probabilities"]) == 1.0
    ]
    assert memorised
    assert all(count < kept for count in memorised)
