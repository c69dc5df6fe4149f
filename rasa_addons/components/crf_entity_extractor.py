"""Rasa's CRF entity extractor, loading the taggers it trained instead of training them again.

Rasa's ``CRFEntityExtractor`` stores its training set and, every time a model is
loaded, fits its taggers on it again (``load`` calls ``train_model``): about 0.5 s of
every server's cold start, and a tagger that only equals the trained one because
CRFsuite's L-BFGS is deterministic. This class also stores each trained tagger's
CRFsuite model (``crf_<tag>.crfsuite``, CRFsuite's own format, read without pickle)
and loads it as it is. A model trained before this class, with no such files, loads
the way Rasa's does.

It also leaves ``rasa.utils.train_utils`` alone: Rasa's ``__init__`` builds its
split-entities setting with that module's ``init_split_entities``, and the module's
first use imports TensorFlow (for training callbacks), which the server otherwise no
longer loads (rasa_addons/server/training_imports.py). And it names its token features
by plain strings: Rasa's configuration lists them as members of a ``str`` enum, and
every token's feature keys are f-strings of them (``_create_features_for_token``), where
``Enum.__format__`` cost about a seventh of the extractor's time per message. The keys
are the same text. Everything else is Rasa's class.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from enum import Enum
from pathlib import Path
from typing import Any

import rasa.shared.utils.io
from pycrfsuite._pycrfsuite import Tagger  # the compiled module; the package re-exports it
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.crf_entity_extractor import (
    CONFIG_FEATURES,
    SPLIT_ENTITIES_BY_COMMA_DEFAULT_VALUE,
    CRFEntityExtractor,
    CRFToken,
)
from rasa.shared.nlu.constants import (
    ENTITY_ATTRIBUTE_GROUP,
    ENTITY_ATTRIBUTE_ROLE,
    ENTITY_ATTRIBUTE_TYPE,
    SPLIT_ENTITIES_BY_COMMA,
)
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn_crfsuite import CRF

logger = logging.getLogger(__name__)


def tagger_file_name(tag_name: str) -> str:
    """Return the file name of one trained tagger in the component's resource."""
    return f"crf_{tag_name}.crfsuite"


def split_entities_setting(configured: bool | dict[str, Any], default: bool) -> dict[str, bool]:
    """Rasa's ``train_utils.init_split_entities``, without importing that module.

    ``True``/``False`` applies to every entity type; a dict names types, and
    ``SPLIT_ENTITIES_BY_COMMA`` takes ``default`` for the others (rasa/utils/train_utils.py
    lines 555-572 in Rasa 3.6.21; tests/rasa_addons/components/test_crf_entity_extractor.py
    compares the two).
    """
    if isinstance(configured, bool):
        return {SPLIT_ENTITIES_BY_COMMA: configured}
    return {**configured, SPLIT_ENTITIES_BY_COMMA: default}


def plain_feature_names(config: dict[str, Any]) -> list[list[Any]]:
    """Return the configured token features ([before, token, after]) as plain strings.

    Each ``CRFEntityExtractorOptions`` member is a ``str`` equal to its value: the same
    key in Rasa's ``function_dict`` and the same text in a feature key.
    """
    return [
        [str(name.value) if isinstance(name, Enum) else name for name in position]
        for position in config[CONFIG_FEATURES]
    ]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class StoredCRFEntityExtractor(CRFEntityExtractor):
    """CRF entity extractor whose trained taggers are stored and loaded, not refitted."""

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        entity_taggers: dict[str, CRF] | None = None,
    ) -> None:
        """Rasa's ``__init__`` (crf_entity_extractor.py lines 202-226), minus train_utils."""
        self.component_config = {**config, CONFIG_FEATURES: plain_feature_names(config)}
        self._model_storage = model_storage
        self._resource = resource
        self.entity_taggers = entity_taggers
        self.crf_order = [ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_ROLE, ENTITY_ATTRIBUTE_GROUP]
        self._validate_configuration()
        self.split_entities_config = split_entities_setting(
            config[SPLIT_ENTITIES_BY_COMMA], SPLIT_ENTITIES_BY_COMMA_DEFAULT_VALUE
        )

    def train(self, training_data: TrainingData) -> Resource:
        """Train as Rasa does, and say why Rasa's validator warned before it."""
        # Rasa's recipe validator (default_recipe_validator.py lines 147-215) knows its
        # CRF extractor by its exact class: for this subclass it warns that no entity
        # extractor is configured and that the lookup tables go unused. Both are false.
        logger.info(
            "%s is Rasa's CRFEntityExtractor with stored taggers: the warnings that no "
            "entity extractor uses the entity examples and lookup tables are not for it",
            type(self).__name__,
        )
        return super().train(training_data)

    def persist(self, dataset: list[list[CRFToken]]) -> None:
        """Store what Rasa stores, plus each trained tagger's CRFsuite model."""
        super().persist(dataset)
        with self._model_storage.write_to(self._resource) as model_dir:
            for tag_name, tagger in (self.entity_taggers or {}).items():
                trained = Path(tagger.modelfile.name).read_bytes()
                (model_dir / tagger_file_name(tag_name)).write_bytes(trained)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CRFEntityExtractor:
        """Load the stored taggers; a model without them loads as Rasa's does (refitted)."""
        try:
            with model_storage.read_from(resource) as model_dir:
                crf_order: list[str] = rasa.shared.utils.io.read_json_file(
                    model_dir / "crf_order.json"
                )
                files = [model_dir / tagger_file_name(tag_name) for tag_name in crf_order]
                if not all(file.is_file() for file in files):
                    logger.info("%s: no stored taggers, fitting them again", resource.name)
                    return super().load(config, model_storage, resource, execution_context)
                taggers: OrderedDict[str, CRF] = OrderedDict(
                    (tag_name, StoredCRF(file.read_bytes()))
                    for tag_name, file in zip(crf_order, files, strict=True)
                )
        except ValueError:  # no resource: an untrained component, as in Rasa's load
            return cls(config, model_storage, resource)
        extractor = cls(config, model_storage, resource, taggers)
        extractor.crf_order = crf_order
        return extractor


class StoredCRF(CRF):
    """A fitted sklearn-crfsuite ``CRF`` around a stored CRFsuite model, held in memory."""

    def __init__(self, model: bytes) -> None:
        """Open ``model`` (a CRFsuite model file's bytes) as this CRF's tagger."""
        super().__init__()
        tagger = Tagger()
        tagger.open_inmemory(model)
        # `CRF.tagger_` hands out `_tagger` when it is set; it opens a file only when not.
        self._tagger = tagger
        # CRFsuite reads the model where it lies in memory: keep those bytes alive with it.
        self.stored_model = model
