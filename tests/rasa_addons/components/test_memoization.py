"""rasa_addons.components.memoization: Rasa's predictions, without the unread deep copy.

The trained model's memoization policy is loaded twice from the same persisted
resource: as config.yml names it and as Rasa's own ``MemoizationPolicy``. Both
predict the next action at every step of every training and test conversation (the
stories and rules of data/, tests/test_stories.yml), with the rule-only data the
model hands them in the server, and must agree. Rasa's deep-copies the dialogue's
states for its debug line on every prediction; ours only when that line is written.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy
from rasa.core.training import load_data
from rasa.engine.graph import ExecutionContext, SchemaNode
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.graph_components.providers.rule_only_provider import RuleOnlyDataProvider
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from rasa_addons.components import memoization
from rasa_addons.components.memoization import LazyDebugMemoizationPolicy
from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory
from tests.rasa_env import ROOT


class TrainedModel:
    """The trained model's domain, memoization node and rule-only data."""

    def __init__(self, model_path: str, storage_dir: Path) -> None:
        self.storage, metadata = LocalModelStorage.from_model_archive(storage_dir, Path(model_path))
        self.domain: Domain = metadata.domain
        self.schema = metadata.predict_schema
        self.context = ExecutionContext(self.schema, metadata.model_id)
        (self.memoization,) = self._nodes(LazyDebugMemoizationPolicy)
        (provider_node,) = self._nodes(RuleOnlyDataProvider)
        provider = self._load(provider_node, RuleOnlyDataProvider)
        assert isinstance(provider, RuleOnlyDataProvider)
        self.rule_only_data = provider.provide()

    def _nodes(self, uses: type) -> list[SchemaNode]:
        return [node for node in self.schema.nodes.values() if node.uses is uses]

    def _load(self, node: SchemaNode, as_class: type[Any]) -> Any:
        config = {**as_class.get_default_config(), **node.config}  # as Rasa's GraphNode
        return as_class.load(config, self.storage, node.resource, self.context)

    def policy(self, as_class: type[Policy]) -> Policy:
        """The trained memoization policy, loaded as ``as_class``."""
        policy = self._load(self.memoization, as_class)
        assert type(policy) is as_class
        return policy


@pytest.fixture(scope="module")
def model(model_path: str, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    return TrainedModel(model_path, tmp_path_factory.mktemp("model"))


def conversation_steps(domain: Domain) -> Iterator[DialogueStateTracker]:
    """Each conversation of data/ and the test stories, just before each of its actions."""
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / "data"), str(ROOT / "tests" / "test_stories.yml")],
    )
    for story in load_data(importer, domain, augmentation_factor=0):
        events = list(story.events)
        for index, event in enumerate(events):
            if isinstance(event, ActionExecuted) and index:
                yield DialogueStateTracker.from_events(
                    story.sender_id, events[:index], domain.slots
                )


def prediction(policy: Policy, tracker: DialogueStateTracker, model: TrainedModel) -> Any:
    predicted = policy.predict_action_probabilities(
        tracker, model.domain, rule_only_data=model.rule_only_data
    )
    return {key: value for key, value in vars(predicted).items() if key != "policy_name"}


def test_predicts_what_rasas_memoization_predicts(model: TrainedModel) -> None:
    ours = model.policy(LazyDebugMemoizationPolicy)
    rasas = model.policy(MemoizationPolicy)
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
    assert len(deep_copies_made(model.policy(MemoizationPolicy), model, False, monkeypatch)) == 1

    assert deep_copies_made(ours, model, False, monkeypatch) == []
    ((states, debug_copy),) = deep_copies_made(ours, model, True, monkeypatch)
    assert debug_copy == states
    assert debug_copy is not states
    assert debug_copy[-1] is not states[-1]


def long_conversation_steps(domain: Domain, steps: int = 150) -> list[DialogueStateTracker]:
    """The stories of data/ one after another in one dialogue, before some of its actions."""
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain.yml"), training_data_paths=[str(ROOT / "data" / "stories")]
    )
    stories = load_data(importer, domain, augmentation_factor=0)
    events = [event for story in stories for event in story.events]
    ends = [n for n, event in enumerate(events) if n and isinstance(event, ActionExecuted)]
    return [
        DialogueStateTracker.from_events("long", events[:end], domain.slots)
        for end in ends[:: max(1, len(ends) // steps)]
    ]


def test_a_dialogue_longer_than_every_memorised_key_is_not_encoded(
    model: TrainedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = model.policy(LazyDebugMemoizationPolicy)
    assert isinstance(ours, LazyDebugMemoizationPolicy)
    rasas = model.policy(MemoizationPolicy)
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
    longest = ours._longest_key()
    assert 1 < longest < max(encoded)
    assert all(count <= longest for count in ours_encoded)
    assert len(ours_encoded) < len(encoded)
    # Each dialogue whose key Rasa found in the lookup is within the bound.
    memorised = [
        count
        for count, found in zip(encoded, theirs, strict=True)
        if max(found["probabilities"]) == 1.0
    ]
    assert memorised
    assert all(count <= longest for count in memorised)


def test_a_long_dialogue_of_a_kept_tracker_is_counted_not_copied(
    model: TrainedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = model.policy(LazyDebugMemoizationPolicy)
    assert isinstance(ours, LazyDebugMemoizationPolicy)
    rasas = model.policy(MemoizationPolicy)
    steps = [
        TrackerWithCachedHistory.from_events("long", list(t.events), model.domain.slots)
        for t in long_conversation_steps(model.domain)
    ]
    theirs = [prediction(rasas, tracker, model) for tracker in steps]
    copied: list[int] = []
    past_states = TrackerWithCachedHistory.past_states

    def counting(self: TrackerWithCachedHistory, *args: Any, **kwargs: Any) -> list[Any]:
        states = past_states(self, *args, **kwargs)
        copied.append(len(states))
        return states

    monkeypatch.setattr(TrackerWithCachedHistory, "past_states", counting)
    mine = [prediction(ours, tracker, model) for tracker in steps]

    assert mine == theirs
    longest = ours._longest_key()
    assert copied and all(count <= longest for count in copied)
    assert len(copied) < len(steps) / 2  # most of this dialogue is longer than any key
