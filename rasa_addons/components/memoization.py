"""Rasa's MemoizationPolicy without a deep copy of the dialogue for a debug line not written.

Rasa 3.6.21's ``MemoizationPolicy.predict_action_probabilities``
(rasa/core/policies/memoization.py, lines 236-269) passes
``copy.deepcopy(states)`` to a ``structlogger.debug`` line on every prediction. Python
evaluates the argument before the logger decides to drop the line, so every turn
copied every past state (a fifth of the Rasa server's time in a 60-turn conversation,
docs/benchmarks.md) although nobody reads it unless debug logging is on.
``LazyDebugMemoizationPolicy`` (config.yml's ``policies``) overrides that one method
and makes the copy only when the line will be written; its lookup, training,
persistence and predictions are Rasa's.

RulePolicy gets no such variant: its debug line (``_find_action_from_rules``,
rasa/core/policies/rule_policy.py lines 1025-1028) deep-copies the string
``format_tracker_states`` returns, and ``copy.deepcopy`` of a string returns the string.
That string is still built from the whole dialogue, up to twice per prediction (1.7 ms at
300 turns); a RulePolicy subclass would skip Rasa's training checks that compare a
node's class with ``RulePolicy`` itself (rasa/graph_components/validators/
default_recipe_validator.py, lines 393 and 434).

Its memory has a second cost that grows with the conversation: Rasa's default
``max_history`` is unbounded, so each prediction encodes every past state of the
session as one lookup key (``json.dumps``, then zlib) although no memorised example is
longer than the longest training story (13 states today). ``_recall_states`` skips
the encoding when the dialogue has more states than any memorised key holds: such a
key cannot be in the lookup, so the answer (nothing memorised) is the one Rasa's
lookup gives, minus 3-4 ms per turn at 300 turns (docs/benchmarks.md). With a tracker
of our stores (``TrackerWithCachedHistory``) it does not even ask for the states then:
it counts the ones the tracker keeps (``_longer_than_every_key``), sparing the copy of
every state that ``past_states`` makes for callers that may edit them, which was the
larger part of what turn 300 still cost more than turn 1 (profiled).

The class has its own name because Rasa's component registry keys classes by
``__name__`` (``DefaultV1Recipe._from_registry``): a second ``MemoizationPolicy`` would
replace Rasa's. So an action it predicts is recorded with the policy name
``LazyDebugMemoizationPolicy`` (``ActionExecuted.policy``, in the tracker store and the
event broker's stream); nothing in this project reads that name.
"""

from __future__ import annotations

import base64
import copy
import logging
import zlib
from typing import Any

import structlog
from rasa.core.featurizers.tracker_featurizers import (
    MaxHistoryTrackerFeaturizer,
    _is_prev_action_unlikely_intent_in_state,
)
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction, SupportedData
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory

logger = logging.getLogger(__name__)
# Under Rasa's logging set-up (rasa.utils.log_utils.configure_structlog) this writes
# through ``logger``, and structlog's ``filter_by_level`` drops the line unless
# ``logger.isEnabledFor(logging.DEBUG)``: the same check decides whether to copy.
structlogger = structlog.get_logger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class LazyDebugMemoizationPolicy(MemoizationPolicy):
    """Rasa's ``MemoizationPolicy``; the states are copied for the debug line only if written."""

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Predict as Rasa's method does, line for line, minus the unread deep copy."""
        result = self._default_predictions(domain)
        if not logger.isEnabledFor(logging.DEBUG) and self._longer_than_every_key(
            tracker, domain, rule_only_data
        ):
            return self._prediction(result)  # nothing memorised, as below, without the copy

        states = self._prediction_states(tracker, domain, rule_only_data=rule_only_data)
        # Rasa: tracker_states=copy.deepcopy(states), for a line usually dropped.
        logged = copy.deepcopy(states) if logger.isEnabledFor(logging.DEBUG) else states
        structlogger.debug("memoization.predict.actions", tracker_states=logged)
        predicted_action_name = self.recall(states, tracker, domain, rule_only_data=rule_only_data)
        if predicted_action_name is not None:
            logger.debug(f"There is a memorised next action '{predicted_action_name}'")
            result = self._prediction_result(predicted_action_name, tracker, domain)
        else:
            logger.debug("There is no memorised next action")

        return self._prediction(result)

    def _longer_than_every_key(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None,
    ) -> bool:
        """Whether the states ``_prediction_states`` would give outnumber every key's.

        Counted on the states a ``TrackerWithCachedHistory`` keeps, without the copy
        of them all that ``past_states`` makes for callers that edit (0.5 ms per call at
        300 turns). Any other tracker, or a bounded ``max_history``: not counted.
        """
        if not isinstance(tracker, TrackerWithCachedHistory):
            return False
        featurizer = self.featurizer
        if (
            not isinstance(featurizer, MaxHistoryTrackerFeaturizer)
            or featurizer.max_history is not None
        ):
            return False  # the featurizer would cut the states: count them as they come
        # What Policy._prediction_states asks the featurizer for (policy.py lines 282-290).
        ml_data = self.supported_data() == SupportedData.ML_DATA
        states = tracker.past_states_as_kept(
            domain, ignore_rule_only_turns=ml_data, rule_only_data=rule_only_data
        )
        # Counted back from the latest state, only as far as the longest key: with
        # ML data the featurizer leaves out states after action_unlikely_intent.
        needed = self._longest_key() + 1
        counted = 0
        for state in reversed(states):
            counted += not (ml_data and _is_prev_action_unlikely_intent_in_state(state))
            if counted >= needed:
                return True
        return False

    def _recall_states(self, states: list[State]) -> str | None:
        """Rasa's lookup; a dialogue longer than every memorised key is not encoded."""
        if len(states) > self._longest_key():
            return None
        return super()._recall_states(states)

    def _longest_key(self) -> int:
        """Return the most states a key of the lookup can hold (an upper bound), once."""
        lookup = self.lookup
        if self._longest is None or self._longest[0] is not lookup:
            self._longest = (lookup, max(map(self._states_in_key, lookup), default=0))
        return self._longest[1]

    _longest: tuple[dict[str, Any], int] | None = None

    def _states_in_key(self, key: str) -> int:
        # A key is ``json.dumps(states)`` without its quotes (``_create_feature_key``),
        # maybe compressed: states are separated by "}, {", which nothing inside a
        # state contains; a name that did would count one more, never one less.
        if self.config["enable_feature_string_compression"]:
            key = zlib.decompress(base64.b64decode(key)).decode()
        return key.count("}, {") + 1
