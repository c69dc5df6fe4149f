"""rasa_addons.components.catalogue_entity_extractor: the one tagging of a message.

The component copies the knowledge build's vocabulary into the model and tags each
parsed message with it; the parse data carries the matches (valued by catalogue id,
for the slots) and the vocabulary's id, for the knowledge action.
tests/knowledge/test_nlu_entities.py shows, through a trained model, that the matches
are exactly the app's own tagging.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.entity_tagger import VOCABULARY_FILE, VOCABULARY_PROPERTY, Vocabulary
from rasa_addons.components.catalogue_entity_extractor import CatalogueEntityExtractor
from tests.rasa_env import ROOT

BUILT = ROOT / "var" / "index" / VOCABULARY_FILE
CONTEXT = ExecutionContext(GraphSchema({}), "test")


@pytest.fixture
def vocabulary_file(tmp_path: Path) -> Path:
    if not BUILT.is_file():
        pytest.fail(f"no {BUILT}: run `.venv/bin/python -m knowledge.build`")
    return Path(shutil.copyfile(BUILT, tmp_path / VOCABULARY_FILE))


def _trained(storage_dir: Path, vocabulary: Path) -> CatalogueEntityExtractor:
    storage_dir.mkdir()
    storage = LocalModelStorage(storage_dir)
    config = {"vocabulary_path": str(vocabulary)}
    component = CatalogueEntityExtractor.create(config, storage, Resource("tagger"), CONTEXT)
    component.train(TrainingData())
    return CatalogueEntityExtractor.load(config, storage, Resource("tagger"), CONTEXT)


def _parse(component: CatalogueEntityExtractor, text: str) -> dict:
    message = Message(data={TEXT: text}, output_properties={TEXT})
    component.process([message])
    return message.as_dict(only_output_properties=True)


def test_a_parsed_message_carries_catalogue_ids_and_the_vocabulary(
    tmp_path: Path, vocabulary_file: Path
) -> None:
    component = _trained(tmp_path / "model", vocabulary_file)

    parse = _parse(component, "what do platnum partners get in germny?")

    assert parse[ENTITIES] == [
        {
            "entity": "tier",
            "value": "Platinum",
            "start": 8,
            "end": 15,
            "extractor": "CatalogueEntityExtractor",
            "id": "Platinum",
            "name": "Platinum",
            "fuzzy": True,
        },
        {
            "entity": "country",
            "value": "Germany",
            "start": 32,
            "end": 38,
            "extractor": "CatalogueEntityExtractor",
            "id": "DE",
            "name": "Germany",
            "fuzzy": True,
        },
    ]
    assert parse[VOCABULARY_PROPERTY] == Vocabulary.read(BUILT).id


def test_a_button_payload_keeps_only_its_own_entities(
    tmp_path: Path, vocabulary_file: Path
) -> None:
    component = _trained(tmp_path / "model", vocabulary_file)
    payload = '/ask_competency{"competency": "C-SECURITY"}'
    message = Message(data={TEXT: payload, ENTITIES: [{"entity": "competency"}]})

    component.process([message])

    assert message.get(ENTITIES) == [{"entity": "competency"}]
    assert message.get(VOCABULARY_PROPERTY) is None


def test_the_model_tags_with_its_own_copy_of_the_vocabulary(
    tmp_path: Path, vocabulary_file: Path
) -> None:
    # A later build (a catalogue without Germany) does not change a trained model.
    component = _trained(tmp_path / "model", vocabulary_file)
    data = json.loads(vocabulary_file.read_text())
    data["terms"] = [term for term in data["terms"] if term[1] != "DE"]
    vocabulary_file.write_text(json.dumps(data))

    loaded = CatalogueEntityExtractor.load(
        {}, LocalModelStorage(tmp_path / "model"), Resource("tagger"), CONTEXT
    )

    assert [e["id"] for e in _parse(loaded, "benefits in Germany")[ENTITIES]] == ["DE"]
    assert _parse(loaded, "x")[VOCABULARY_PROPERTY] == component.tagger.vocabulary.id


def test_training_without_the_build_says_what_to_run(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path / "model")
    config = {"vocabulary_path": str(tmp_path / "missing.json")}
    component = CatalogueEntityExtractor.create(config, storage, Resource("tagger"), CONTEXT)

    with pytest.raises(InvalidConfigException, match="knowledge.build"):
        component.train(TrainingData())


def test_a_vocabulary_of_another_tagger_version_is_refused(
    tmp_path: Path, vocabulary_file: Path
) -> None:
    data = json.loads(vocabulary_file.read_text())
    vocabulary_file.write_text(json.dumps(data | {"tagger_version": 0}))
    storage = LocalModelStorage(tmp_path / "model")
    config = {"vocabulary_path": str(vocabulary_file)}
    component = CatalogueEntityExtractor.create(config, storage, Resource("tagger"), CONTEXT)

    with pytest.raises(InvalidConfigException, match="tagger version 0"):
        component.train(TrainingData())
