"""The trained model's lookup policies, and conversations to ask them about.

A policy node of the trained model is loaded as config.yml names it, or as Rasa's own
class with Rasa's own featurizer (``MaxHistoryTrackerFeaturizer``, unbounded history),
from the same stored lookup: what the policies would be without rasa_addons.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
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

from tests.rasa_env import ROOT


class TrainedModel:
    """The trained model's domain, policy nodes and rule-only data."""

    def __init__(self, model_path: str, storage_dir: Path) -> None:
        self.storage, metadata = LocalModelStorage.from_model_archive(storage_dir, Path(model_path))
        self.domain: Domain = metadata.domain
        self.schema = metadata.predict_schema
        self.context = ExecutionContext(self.schema, metadata.model_id)
        (provider_node,) = self.nodes(RuleOnlyDataProvider)
        provider = self._load(provider_node, RuleOnlyDataProvider)
        assert isinstance(provider, RuleOnlyDataProvider)
        self.rule_only_data = provider.provide()

    def nodes(self, uses: type) -> list[SchemaNode]:
        """The prediction graph's nodes that run ``uses``."""
        return [node for node in self.schema.nodes.values() if node.uses is uses]

    def _config(self, node: SchemaNode, as_class: type[Any]) -> dict[str, Any]:
        return {**as_class.get_default_config(), **node.config}  # as Rasa's GraphNode

    def _load(self, node: SchemaNode, as_class: type[Any]) -> Any:
        return as_class.load(
            self._config(node, as_class), self.storage, node.resource, self.context
        )

    def policy(self, node_class: type[Policy], as_class: type[Policy] | None = None) -> Any:
        """The trained policy of ``node_class``'s node, as stored (loaded as ``as_class``)."""
        (node,) = self.nodes(node_class)
        policy = self._load(node, as_class or node_class)
        assert type(policy) is (as_class or node_class)
        return policy

    def rasas_policy(self, node_class: type[Policy], as_class: type[MemoizationPolicy]) -> Any:
        """The trained policy's lookup in Rasa's ``as_class`` with Rasa's own featurizer."""
        (node,) = self.nodes(node_class)
        assert node.resource is not None  # a trained policy
        stored = self._load(node, as_class)
        return as_class(
            self._config(node, as_class),
            self.storage,
            node.resource,
            self.context,
            featurizer=MaxHistoryTrackerFeaturizer(state_featurizer=None, max_history=None),
            lookup=stored.lookup,
        )


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


def long_conversation_steps(
    domain: Domain, steps: int = 150, rounds: int = 1
) -> list[DialogueStateTracker]:
    """The stories of data/ one after another in one dialogue, before some of its actions.

    The dialogue goes through all stories ``rounds`` times; about ``steps`` trackers.
    """
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain.yml"), training_data_paths=[str(ROOT / "data" / "stories")]
    )
    stories = load_data(importer, domain, augmentation_factor=0)
    events = [event for _ in range(rounds) for story in stories for event in story.events]
    ends = [n for n, event in enumerate(events) if n and isinstance(event, ActionExecuted)]
    return [
        DialogueStateTracker.from_events("long", events[:end], domain.slots)
        for end in ends[:: max(1, len(ends) // steps)]
    ]


def prediction(policy: Policy, tracker: DialogueStateTracker, model: TrainedModel) -> Any:
    """What ``policy`` predicts for ``tracker``, every field but the policy's name."""
    predicted = policy.predict_action_probabilities(
        tracker, model.domain, rule_only_data=model.rule_only_data
    )
    return {key: value for key, value in vars(predicted).items() if key != "policy_name"}
