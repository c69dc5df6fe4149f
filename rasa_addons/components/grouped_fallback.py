"""A FallbackClassifier that treats intents with the same outcome as one.

The program questions (``ask_program``, ``ask_competency``, ``ask_benefits`` ...) are
separate intents, but the dialogue answers every one of them with the same action,
from the index. When a question sits between two of them ("which competency do we
need before anything else?": ask_competency 0.30, ask_program 0.23) Rasa's
FallbackClassifier sees low confidence and near-equal scores and asks "did you mean
...?", a question whose answer changes nothing. Here the threshold and the ambiguity
margin apply to *groups* (the summed confidence of the intents in a group), so the
two-stage fallback only starts when the choice leads to a different reply. Intents in
no group form a group of their own, which gives Rasa's behaviour back.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import (
    AMBIGUITY_THRESHOLD_KEY,
    THRESHOLD_KEY,
    FallbackClassifier,
)
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class GroupedFallbackClassifier(FallbackClassifier):
    """Predict ``nlu_fallback`` when the top *outcome* is unsure or ambiguous."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return Rasa's defaults plus ``groups``: lists of intents with one outcome."""
        return {**FallbackClassifier.get_default_config(), "groups": []}

    def __init__(self, config: dict[str, Any]) -> None:
        """Index the groups by intent; an intent may belong to one group only."""
        super().__init__({**self.get_default_config(), **config})
        self._group_of: dict[str, int] = {}
        for number, group in enumerate(self.component_config["groups"]):
            for intent in group:
                if intent in self._group_of:
                    raise InvalidConfigException(f"intent {intent} is in two fallback groups")
                self._group_of[intent] = number

    def _group_confidences(self, message: Message) -> tuple[float, float | None]:
        """Return the summed confidence of the top intent's group and of the best other."""
        top = message.data[INTENT].get(INTENT_NAME_KEY)
        sums: dict[Any, float] = {}
        for entry in message.data.get(INTENT_RANKING_KEY) or []:
            key = self._group_of.get(entry[INTENT_NAME_KEY], entry[INTENT_NAME_KEY])
            sums[key] = sums.get(key, 0.0) + float(entry.get(PREDICTED_CONFIDENCE_KEY, 0.0))
        mine = sums.pop(self._group_of.get(top, top), None)
        if mine is None:  # no ranking: fall back to the intent's own confidence
            mine = float(message.data[INTENT].get(PREDICTED_CONFIDENCE_KEY, 0.0))
        return mine, max(sums.values()) if sums else None

    def _nlu_confidence_below_threshold(self, message: Message) -> tuple[bool, float]:
        mine, _ = self._group_confidences(message)
        return mine < self.component_config[THRESHOLD_KEY], mine

    def _nlu_prediction_ambiguous(self, message: Message) -> tuple[bool, float | None]:
        mine, other = self._group_confidences(message)
        if other is None:
            return False, None
        difference = mine - other
        return difference < self.component_config[AMBIGUITY_THRESHOLD_KEY], difference
