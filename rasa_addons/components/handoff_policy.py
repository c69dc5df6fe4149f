"""A dialogue policy that keeps the assistant silent while a person holds the conversation.

Referenced in config.yml as ``rasa_addons.components.handoff_policy.HandoffPolicy`` with a
priority above RulePolicy's. While the slot ``handoff_held`` (domain.yml; set and
cleared by the app through Rasa's HTTP API when an operator claims and hands back a
ticket, ``partners.handoff``) is true, it predicts ``action_listen`` with confidence
1.0 for every turn, so the partner's messages are still understood and stored in
the tracker (history, review, analytics and the operator's live view see them) but
the assistant answers nothing. Otherwise it predicts nothing (all zeros) and the
other policies decide as before.

Its prediction is marked ``is_no_user_prediction``: Rasa's ensemble lets such
predictions overrule those based on the user's input (a form's happy path among
them), and among them the highest confidence, then priority, wins. So no rule, form
or fallback answers while the conversation is held.

Runs in the Rasa server's Python 3.10 environment.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

HELD_SLOT = "handoff_held"
# RulePolicy's priority is 6 (rasa.core.constants.RULE_POLICY_PRIORITY).
DEFAULT_PRIORITY = 7


def is_held(tracker: DialogueStateTracker) -> bool:
    """Whether a person of the program office holds the conversation now."""
    return tracker.get_slot(HELD_SLOT) is True


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class HandoffPolicy(Policy):
    """Predict ``action_listen`` (silence) while ``handoff_held`` is true."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the defaults: a priority above RulePolicy's."""
        return {"priority": DEFAULT_PRIORITY}

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Learn nothing: the policy reads one slot."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Return ``action_listen`` at 1.0 when the conversation is held, else nothing."""
        probabilities = self._default_predictions(domain)
        if not is_held(tracker):
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)
