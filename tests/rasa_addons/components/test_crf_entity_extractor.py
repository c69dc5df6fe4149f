"""StoredCRFEntityExtractor: the taggers it loads are the ones Rasa's extractor refits.

Both extractors are loaded from the trained model's own resource: ours reads the
stored CRFsuite models, Rasa's fits its taggers again from the stored training set.
On every stored training sentence they must give the same tags with the same
marginal probabilities.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import rasa.shared.utils.io
import rasa.utils.train_utils
from rasa.engine.graph import ExecutionContext, SchemaNode
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken
from rasa.shared.nlu.constants import SPLIT_ENTITIES_BY_COMMA

from rasa_addons.components.crf_entity_extractor import (
    StoredCRF,
    StoredCRFEntityExtractor,
    split_entities_setting,
    tagger_file_name,
)


@dataclass(frozen=True)
class TrainedCRF:
    """The trained model's storage, its CRF node, and an execution context."""

    storage: LocalModelStorage
    node: SchemaNode
    context: ExecutionContext

    @property
    def resource(self) -> Resource:
        """The CRF's resource in the model."""
        assert self.node.resource is not None
        return self.node.resource

    @property
    def config(self) -> dict:
        """The CRF's configuration as Rasa's graph hands it over: defaults, then the node's."""
        return {**StoredCRFEntityExtractor.get_default_config(), **self.node.config}


@pytest.fixture(scope="module")
def model(model_path: str, tmp_path_factory: pytest.TempPathFactory) -> TrainedCRF:
    """The CRF of the trained model under test."""
    storage, metadata = LocalModelStorage.from_model_archive(
        tmp_path_factory.mktemp("model"), model_path
    )
    [node] = [
        node
        for node in metadata.predict_schema.nodes.values()
        if node.uses is StoredCRFEntityExtractor
    ]
    return TrainedCRF(storage, node, ExecutionContext(metadata.predict_schema, metadata.model_id))


def _load(cls: type[CRFEntityExtractor], model: TrainedCRF) -> CRFEntityExtractor:
    return cls.load(model.config, model.storage, model.resource, model.context)


def _sentences(model: TrainedCRF) -> list[list[CRFToken]]:
    with model.storage.read_from(model.resource) as directory:
        stored = rasa.shared.utils.io.read_json_file(directory / "crf_dataset.json")
    return [[CRFToken.create_from_dict(token) for token in sentence] for sentence in stored]


def test_the_model_stores_one_tagger_per_crf_it_trained(model: TrainedCRF) -> None:
    with model.storage.read_from(model.resource) as directory:
        order = rasa.shared.utils.io.read_json_file(directory / "crf_order.json")
        assert order, "the CRF trained no tagger"
        for tag_name in order:
            assert (directory / tagger_file_name(tag_name)).stat().st_size > 0


def test_stored_taggers_tag_as_the_taggers_rasa_refits(model: TrainedCRF) -> None:
    ours = _load(StoredCRFEntityExtractor, model)
    rasas = _load(CRFEntityExtractor, model)
    assert ours.crf_order == rasas.crf_order
    assert ours.entity_taggers is not None and rasas.entity_taggers is not None
    sentences = _sentences(model)
    assert len(sentences) > 100
    config = model.config
    for tag_name in ours.crf_order:
        with_tags = tag_name != "entity"
        for sentence in sentences:
            features = CRFEntityExtractor._crf_tokens_to_features(sentence, config, with_tags)
            ours_tags = ours.entity_taggers[tag_name].predict_single(features)
            assert ours_tags == rasas.entity_taggers[tag_name].predict_single(features)
            ours_marginals = ours.entity_taggers[tag_name].predict_marginals_single(features)
            rasas_marginals = rasas.entity_taggers[tag_name].predict_marginals_single(features)
            for our_token, rasa_token in zip(ours_marginals, rasas_marginals, strict=True):
                assert our_token == pytest.approx(rasa_token, abs=1e-9)
    assert ours.split_entities_config == rasas.split_entities_config


def test_the_token_features_are_rasas(model: TrainedCRF) -> None:
    ours = _load(StoredCRFEntityExtractor, model)
    names = [name for position in ours.component_config["features"] for name in position]
    assert names and all(type(name) is str for name in names)
    for sentence in _sentences(model):
        for with_tags in (False, True):
            assert StoredCRFEntityExtractor._crf_tokens_to_features(
                sentence, ours.component_config, with_tags
            ) == CRFEntityExtractor._crf_tokens_to_features(sentence, model.config, with_tags)


def test_a_model_without_stored_taggers_is_refitted_as_rasa_does(
    model: TrainedCRF, tmp_path: Path
) -> None:
    with model.storage.read_from(model.resource) as directory:
        shutil.copytree(directory, tmp_path / model.resource.name)
    for tagger_file in (tmp_path / model.resource.name).glob("*.crfsuite"):
        tagger_file.unlink()
    older = LocalModelStorage(tmp_path)
    refitted = StoredCRFEntityExtractor.load(model.config, older, model.resource, model.context)
    assert refitted.entity_taggers
    assert not any(isinstance(t, StoredCRF) for t in refitted.entity_taggers.values())
    sentence = _sentences(model)[0]
    features = CRFEntityExtractor._crf_tokens_to_features(sentence, model.config, False)
    stored = _load(StoredCRFEntityExtractor, model)
    assert stored.entity_taggers is not None
    assert all(isinstance(t, StoredCRF) for t in stored.entity_taggers.values())
    assert refitted.entity_taggers["entity"].predict_single(features) == (
        stored.entity_taggers["entity"].predict_single(features)
    )


def test_an_untrained_extractor_loads_empty(model: TrainedCRF, tmp_path: Path) -> None:
    empty = StoredCRFEntityExtractor.load(
        model.config, LocalModelStorage(tmp_path), model.resource, model.context
    )
    assert empty.entity_taggers is None


@pytest.mark.parametrize(
    "configured", [True, False, {}, {"course": False}, {"competency": True, "course": False}]
)
@pytest.mark.parametrize("default", [True, False])
def test_the_split_entities_setting_is_rasas(configured: object, default: bool) -> None:
    # Rasa's function writes into a dict it is given: each gets its own copy.
    ours = split_entities_setting(_copy(configured), default)
    rasas = rasa.utils.train_utils.init_split_entities(_copy(configured), default)
    assert ours == rasas
    assert SPLIT_ENTITIES_BY_COMMA in ours


def _copy(configured: object) -> bool | dict:
    return dict(configured) if isinstance(configured, dict) else bool(configured)
