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
That string is still built from the states RulePolicy gets, up to twice per prediction
(0.1 ms each for the 14 states its featurizer hands it); a RulePolicy subclass would
skip Rasa's training checks that compare a node's class with ``RulePolicy`` itself
(rasa/graph_components/validators/default_recipe_validator.py, lines 393 and 434), so
rasa_addons/server/speedups.py skips building it instead.

Its other cost that grew with the conversation, encoding every past state of the
session as a lookup key at each prediction although no memorised example is that long,
is gone with its featurizer (config.yml): ``RecentStatesTrackerFeaturizer``
(recent_states_featurizer.py) hands it only as many of the latest states as a
memorised key can match.

The class has its own name because Rasa's component registry keys classes by
``__name__`` (``DefaultV1Recipe._from_registry``): a second ``MemoizationPolicy`` would
replace Rasa's. So an action it predicts is recorded with the policy name
``LazyDebugMemoizationPolicy`` (``ActionExecuted.policy``, in the tracker store and the
event broker's stream); nothing in this project reads that name.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import structlog
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

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
