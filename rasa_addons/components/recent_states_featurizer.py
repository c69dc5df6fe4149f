"""A tracker featurizer that hands a lookup policy only the states a learned key can match.

Rasa's RulePolicy (and MemoizationPolicy, which config.yml does not use) predict by
looking the dialogue up in what they learned from the training conversations: rules and
memorised stories, each stored as a list of states. Their featurizer (Rasa's
``MaxHistoryTrackerFeaturizer``, whose ``max_history`` is unbounded by default) hands
them every state of the conversation at each prediction, copied; RulePolicy then encodes
them all as one key when no rule applies, up to twice per prediction. In a conversation
that never ends (a Slack user's) that grew with every turn: 26 of the 37 samples that
turns 241-300 cost more than a new conversation's turns (docs/benchmarks.md, "One long
conversation").

No learned key holds more states than the longest training example. So
``RecentStatesTrackerFeaturizer`` records that length while its policy trains
(``longest_example``, stored in the model with the featurizer), and once loaded with the
trained model hands out only the latest ``longest_example + 1`` states. The policies'
predictions stay Rasa's:

- RulePolicy matches each rule against the states back from the latest, and once that
  walk has passed a rule's length the rule is applicable by definition
  (rasa/core/policies/rule_policy.py lines 884-887): every rule is shorter than what is
  kept.
- A key the policies look up (a rule, a memorised story, or the key of all states that
  RulePolicy checks against its rules absent from the stories when no rule applies) has
  at most ``longest_example`` states; a dialogue of more matches none, cut to
  ``longest_example + 1`` or not.
- States after ``action_unlikely_intent`` are left out before the cut where the policy
  asks for that (ML data: memoization), as Rasa's featurizer leaves them out before
  slicing.

A featurizer that is training hands out every state, as Rasa's: RulePolicy's training
runs predictions on the training conversations to find which rules the stories do not
contain. One with a ``max_history`` takes Rasa's path: that is already bounded.

With a tracker of our stores (``TrackerWithCachedHistory``) only the kept states are
copied; any other tracker gives all of its states first, as in Rasa. Policies name the
featurizer in config.yml (a policy's ``featurizer`` option), and a loaded model finds
it in Rasa's featurizer registry: ``rasa_addons.components`` imports this module, and
Rasa imports that package with the first of our components the model names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa.core.featurizers.single_state_featurizer import SingleStateFeaturizer
from rasa.core.featurizers.tracker_featurizers import (
    MaxHistoryTrackerFeaturizer,
    TrackerFeaturizer,
    _is_prev_action_unlikely_intent_in_state,
)
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory, copied_states


@TrackerFeaturizer.register("RecentStatesTrackerFeaturizer")
class RecentStatesTrackerFeaturizer(MaxHistoryTrackerFeaturizer):
    """Rasa's ``MaxHistoryTrackerFeaturizer``; trained, it predicts from the latest states only."""

    def __init__(
        self,
        state_featurizer: SingleStateFeaturizer | None = None,
        max_history: int | None = None,
        remove_duplicates: bool = True,
        longest_example: int | None = None,
    ) -> None:
        """Create the featurizer; ``longest_example`` is the trained one's, when loaded.

        Args:
            state_featurizer: As Rasa's (lookup policies use none).
            max_history: As Rasa's; with one, predictions take Rasa's path.
            remove_duplicates: As Rasa's.
            longest_example: The most states of a training example seen so far.

        """
        super().__init__(state_featurizer, max_history, remove_duplicates)
        self.longest_example = longest_example
        # How many of the latest states a prediction gets: only once loaded trained.
        self.kept_states: int | None = None

    def training_states_labels_and_entities(
        self,
        trackers: list[DialogueStateTracker],
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_action_unlikely_intent: bool = False,
    ) -> tuple[list[list[State]], list[list[str]], list[list[dict[str, Any]]]]:
        """Return Rasa's training examples, remembering the longest one's length."""
        self.kept_states = None  # training: every state, as Rasa's
        states, labels, entities = super().training_states_labels_and_entities(
            trackers, domain, omit_unset_slots, ignore_action_unlikely_intent
        )
        self.longest_example = max([self.longest_example or 0, *map(len, states)])
        return states, labels, entities

    def prediction_states(
        self,
        trackers: list[DialogueStateTracker],
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
        ignore_action_unlikely_intent: bool = False,
    ) -> list[list[State]]:
        """Return Rasa's prediction states, only the latest ``kept_states`` once trained."""
        kept = self.kept_states
        if kept is None or self.max_history is not None:
            return super().prediction_states(
                trackers,
                domain,
                use_text_for_last_user_input,
                ignore_rule_only_turns,
                rule_only_data,
                ignore_action_unlikely_intent,
            )
        trackers_as_states = [
            self._latest_states(
                tracker,
                domain,
                kept,
                ignore_rule_only_turns,
                rule_only_data,
                ignore_action_unlikely_intent,
            )
            for tracker in trackers
        ]
        self._choose_last_user_input(trackers_as_states, use_text_for_last_user_input)
        return trackers_as_states

    def _latest_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        count: int,
        ignore_rule_only_turns: bool,
        rule_only_data: dict[str, Any] | None,
        ignore_action_unlikely_intent: bool,
    ) -> list[State]:
        """Return the last ``count`` of Rasa's states (left-out states skipped), the caller's."""
        if isinstance(tracker, TrackerWithCachedHistory):  # kept on the tracker: copy ours
            kept = tracker.past_states_as_kept(
                domain, ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data
            )
            return copied_states(_last(kept, count, ignore_action_unlikely_intent))
        states = self._create_states(  # Rasa's copies, made for this call
            tracker,
            domain,
            ignore_rule_only_turns=ignore_rule_only_turns,
            rule_only_data=rule_only_data,
        )
        return _last(states, count, ignore_action_unlikely_intent)

    def to_dict(self) -> dict[str, Any]:
        """Return Rasa's persisted form, with the longest training example's length."""
        data = super().to_dict()
        data["longest_example"] = self.longest_example
        return data

    @classmethod
    def create_from_dict(cls, data: dict[str, Any]) -> RecentStatesTrackerFeaturizer:
        """Load the trained featurizer: from now on it keeps the latest states only."""
        featurizer = cls(
            SingleStateFeaturizer.create_from_dict(data["state_featurizer"]),
            data["max_history"],
            data["remove_duplicates"],
            data.get("longest_example"),
        )
        if featurizer.longest_example is not None:
            featurizer.kept_states = featurizer.longest_example + 1
        return featurizer


def _last(states: Sequence[State], count: int, skip_unlikely_intent: bool) -> list[State]:
    """Return the last ``count`` states, those after ``action_unlikely_intent`` skipped."""
    latest: list[State] = []
    for state in reversed(states):
        if skip_unlikely_intent and _is_prev_action_unlikely_intent_in_state(state):
            continue
        latest.append(state)
        if len(latest) == count:
            break
    latest.reverse()
    return latest
