"""The catalogue's names as Rasa entities: the one entity tagger of a message.

The knowledge build writes the shipped catalogue's vocabulary (every competency,
course, tier and country with its phrasings, and the words of the catalogue's texts)
to ``var/index/entity_vocabulary.json``. This component copies the file into the
trained model, so a model always tags with the vocabulary it was trained with, and
tags every parsed message with ``knowledge.entity_tagger``, the tagger the app uses
too:

- each match becomes a Rasa entity whose value is the catalogue id (a tier's name,
  a country's code), which the slots of domain.yml take;
- the parse data names the vocabulary (``VOCABULARY_PROPERTY``), so the knowledge
  action reuses the matches instead of tagging the text again, as long as the live
  catalogue release has the same vocabulary (``knowledge.entities.message_entities``).

It replaces Rasa's CRF extractor and synonym mapper: a CRF learned the same
catalogue names from the annotated examples and lookup tables, and the app then
tagged every message again. The annotations of data/nlu stay as the tagger's test
set (tests/nlu/test_nlu_data.py); ``train`` logs those it does not find.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.entity_tagger import (
    VOCABULARY_FILE,
    VOCABULARY_PROPERTY,
    EntityRecognizer,
    Vocabulary,
    rasa_entity,
)

logger = logging.getLogger(__name__)

BUILD_HINT = "run `.venv/bin/python -m knowledge.build` first: it writes the vocabulary"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class CatalogueEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Tags competencies, courses, tiers and countries with the catalogue's vocabulary."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the component's default config."""
        # The knowledge build's file, relative to the directory Rasa runs in.
        return {"vocabulary_path": f"var/index/{VOCABULARY_FILE}"}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        tagger: EntityRecognizer | None = None,
    ) -> None:
        """Create the component; an untrained one reads the build's file on ``train``."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._tagger = tagger

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CatalogueEntityExtractor:
        """Create an untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CatalogueEntityExtractor:
        """Load the vocabulary stored inside the trained model and build its tagger."""
        with model_storage.read_from(resource) as directory:
            vocabulary = Vocabulary.read(directory / VOCABULARY_FILE)
        return cls(config, model_storage, resource, EntityRecognizer(vocabulary))

    def train(self, training_data: TrainingData) -> Resource:
        """Copy the build's vocabulary into the model; log annotations it does not find."""
        source = Path(self._config["vocabulary_path"]).resolve()
        if not source.is_file():
            raise InvalidConfigException(f"entity vocabulary {source} is missing: {BUILD_HINT}")
        try:
            vocabulary = Vocabulary.read(source)
        except ValueError as error:
            raise InvalidConfigException(f"{source}: {error}") from error
        with self._model_storage.write_to(self._resource) as directory:
            shutil.copyfile(source, directory / VOCABULARY_FILE)
        self._tagger = EntityRecognizer(vocabulary)
        annotated = 0
        missed: list[tuple[str, dict[str, Any]]] = []
        for example in training_data.entity_examples:
            text = str(example.get(TEXT))
            found = {(m.label, m.start, m.end) for m in self.tagger.extract(text)}
            for entity in example.get(ENTITIES) or []:
                annotated += 1
                if (entity[ENTITY_ATTRIBUTE_TYPE], entity["start"], entity["end"]) not in found:
                    missed.append((text, entity))
        logger.info(
            "%s stored vocabulary %s (%d terms); it tags %d of %d annotated entities "
            "(Rasa's warning that no extractor is trained on them is right: none needs to be)",
            type(self).__name__,
            vocabulary.id,
            len(vocabulary.terms),
            annotated - len(missed),
            annotated,
        )
        for text, entity in missed:  # names the catalogue lacks, as a rule ("Quantum Computing")
            span = text[entity["start"] : entity["end"]]
            logger.info("not tagged as %s: %r in %r", entity[ENTITY_ATTRIBUTE_TYPE], span, text)
        return self._resource

    @property
    def tagger(self) -> EntityRecognizer:
        """The tagger of this model's vocabulary (trained or loaded)."""
        if self._tagger is None:
            raise InvalidConfigException(f"{type(self).__name__} is neither trained nor loaded")
        return self._tagger

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the catalogue names each message's text names, and the vocabulary's id."""
        for message in messages:
            text = message.get(TEXT)
            if not text or str(text).startswith(INTENT_MESSAGE_PREFIX):
                continue  # a button's payload carries its entities itself
            found = [rasa_entity(match) for match in self.tagger.extract(str(text))]
            message.set(ENTITIES, [*(message.get(ENTITIES) or []), *found], add_to_output=True)
            message.set(VOCABULARY_PROPERTY, self.tagger.vocabulary.id, add_to_output=True)
        return messages
