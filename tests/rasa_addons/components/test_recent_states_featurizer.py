"""rasa_addons.components.recent_states_featurizer: the latest states only, Rasa's predictions.

The trained model's RulePolicy is loaded as config.yml names it (with
``RecentStatesTrackerFeaturizer``) and as Rasa's class with Rasa's own featurizer, from
the same stored lookup. Every rule must be shorter than what the featurizer keeps; both
must predict the same at every step of the training and test conversations and along
one long dialogue, with Rasa's trackers and with the trackers our stores keep; and a
long dialogue must reach the policy as its latest states only.
"""

from __future__ import annotations

import json

import pytest
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import (
    RULES,
    RULES_FOR_LOOP_UNHAPPY_PATH,
    RULES_NOT_IN_STORIES,
    RulePolicy,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.components.recent_states_featurizer import RecentStatesTrackerFeaturizer
from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory
from tests.rasa_addons.components.trained_policies import (
    TrainedModel,
    conversation_steps,
    long_conversation_steps,
    prediction,
)


@pytest.fixture(scope="module")
def model(model_path: str, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    return TrainedModel(model_path, tmp_path_factory.mktemp("model"))


def _states_in(key: str) -> int | None:
    """How many states a stored key holds, if it is a list of states."""
    if not key.startswith("["):
        return None  # a rule's name ("predicting default action with intent ...")
    return len(json.loads(key))


def test_every_learned_key_is_shorter_than_the_states_kept(model: TrainedModel) -> None:
    rules = model.policy(RulePolicy)
    keys = {
        RULES: list(rules.lookup[RULES]),
        RULES_FOR_LOOP_UNHAPPY_PATH: list(rules.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]),
        RULES_NOT_IN_STORIES: rules.lookup[RULES_NOT_IN_STORIES],
    }
    featurizer = rules.featurizer
    assert isinstance(featurizer, RecentStatesTrackerFeaturizer)
    assert featurizer.longest_example is not None
    kept = featurizer.kept_states
    assert kept == featurizer.longest_example + 1

    for name, stored in keys.items():
        lengths = [n for n in map(_states_in, stored) if n is not None]
        assert lengths, f"no key of {name} read"
        assert max(lengths) < kept, name


def _as_kept(tracker: DialogueStateTracker, model: TrainedModel) -> DialogueStateTracker:
    return TrackerWithCachedHistory.from_events(
        tracker.sender_id, list(tracker.events), model.domain.slots
    )


def test_predictions_are_rasas(model: TrainedModel) -> None:
    ours = model.policy(RulePolicy)
    rasas = model.rasas_policy(RulePolicy, RulePolicy)
    long = long_conversation_steps(model.domain, rounds=5)
    steps = [*conversation_steps(model.domain), *long]
    kept = ours.featurizer.kept_states

    theirs = [prediction(rasas, tracker, model) for tracker in steps]
    assert [prediction(ours, tracker, model) for tracker in steps] == theirs
    assert [prediction(ours, _as_kept(tracker, model), model) for tracker in steps] == theirs
    # Rules apply along the long dialogue, far past what is kept.
    later = [
        found
        for tracker, found in zip(long, theirs[-len(long) :], strict=True)
        if len(tracker.past_states(model.domain)) > 3 * kept
    ]
    assert len(later) > 20
    assert sum(max(found["probabilities"]) == 1.0 for found in later) > 10
    assert any(found["hide_rule_turn"] for found in later)


@pytest.mark.parametrize("as_kept", [False, True])
def test_a_long_dialogue_reaches_the_policy_as_its_latest_states(
    model: TrainedModel, as_kept: bool
) -> None:
    featurizer = model.policy(RulePolicy).featurizer
    rasas = MaxHistoryTrackerFeaturizer(state_featurizer=None, max_history=None)
    kept = featurizer.kept_states
    tracker = max(  # some stories restart the conversation
        long_conversation_steps(model.domain, rounds=5),
        key=lambda step: len(step.past_states(model.domain)),
    )
    if as_kept:
        tracker = _as_kept(tracker, model)
    for use_text in (False, True):
        every_state = rasas.prediction_states([tracker], model.domain, use_text)[0]
        [latest] = featurizer.prediction_states([tracker], model.domain, use_text)

        assert len(every_state) > 5 * kept
        assert latest == every_state[-kept:]
    # The states handed out are the caller's to change: the next call is unchanged.
    latest[-1].clear()
    latest[0]["edited"] = {}
    assert featurizer.prediction_states([tracker], model.domain, True)[0] == every_state[-kept:]


def test_a_featurizer_in_training_hands_out_every_state(model: TrainedModel) -> None:
    trackers = long_conversation_steps(model.domain, steps=10, rounds=2)
    featurizer = RecentStatesTrackerFeaturizer()
    rasas = MaxHistoryTrackerFeaturizer(state_featurizer=None, max_history=None)

    states, _ = featurizer.training_states_and_labels(trackers, model.domain)
    assert featurizer.longest_example == max(map(len, states)) > 50
    assert featurizer.kept_states is None
    assert featurizer.prediction_states(trackers, model.domain) == rasas.prediction_states(
        trackers, model.domain
    )
    stored = RecentStatesTrackerFeaturizer.create_from_dict(
        json.loads(json.dumps(featurizer.to_dict()))
    )
    assert isinstance(stored, RecentStatesTrackerFeaturizer)
    assert stored.kept_states == featurizer.longest_example + 1
