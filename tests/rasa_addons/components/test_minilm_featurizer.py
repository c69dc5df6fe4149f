"""rasa_addons.components.minilm_featurizer: the features, and the embedding kept for the action.

A message Rasa parses keeps its MiniLM sentence embedding in the parse data (the
processor keeps a message's output properties: ``Message.as_dict(only_output_properties
=True)``), so the knowledge action searches with it instead of embedding the text
again. tests/knowledge/test_nlu_vectors.py shows, through a trained model, that it is
exactly the app's own embedding of the text.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT, TEXT_TOKENS
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.minilm_onnx import EMBEDDING_PROPERTY, unpack_vector
from rasa_addons.components.minilm_featurizer import MiniLMFeaturizer
from tests.rasa_env import ROOT

ONNX_DIR = ROOT / "var" / "onnx"
QUESTION = "what does the sec competency require?"
# Far longer than the featurizer's 128 word pieces.
LONG_TEXT = "what does the security competency require " * 20


@pytest.fixture(scope="module")
def components(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[WhitespaceTokenizer, MiniLMFeaturizer]:
    if not (ONNX_DIR / "model-int8.onnx").is_file():
        pytest.fail("no var/onnx/model-int8.onnx: run `.venv/bin/python -m knowledge.build`")
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("minilm")))
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer.create(
        WhitespaceTokenizer.get_default_config(), storage, Resource("tokenizer"), context
    )
    config = {
        "model_path": str(ONNX_DIR / "model-int8.onnx"),
        "tokenizer_path": str(ONNX_DIR / "tokenizer.json"),
    }
    featurizer = MiniLMFeaturizer.create(config, storage, Resource("minilm"), context)
    return tokenizer, featurizer


def _incoming(text: str) -> Message:
    # As Rasa's NLUMessageConverter makes a message it parses.
    return Message(
        data={TEXT: text, "message_id": "m-1", "metadata": {}}, output_properties={TEXT_TOKENS}
    )


def _parse(components: tuple[WhitespaceTokenizer, MiniLMFeaturizer], *texts: str) -> list[Message]:
    tokenizer, featurizer = components
    messages = [_incoming(text) for text in texts]
    featurizer.process(tokenizer.process(messages))
    return messages


def test_a_parsed_message_keeps_its_embedding_in_the_parse_data(
    components: tuple[WhitespaceTokenizer, MiniLMFeaturizer],
) -> None:
    (message,) = _parse(components, QUESTION)

    parse_data = message.as_dict(only_output_properties=True)

    packed = parse_data[EMBEDDING_PROPERTY]
    vectors_id = components[1]._encoder.vectors_id
    vector = unpack_vector(packed, vectors_id, 384)
    assert vector is not None
    # The sentence feature is the same embedding (renormalised, in float32).
    _, sentence = message.get_dense_features(TEXT)
    assert sentence is not None
    assert np.allclose(vector, sentence.features, atol=1e-3)
    # Compact: about 2 KB of JSON, where a list of floats would take 8.
    assert len(json.dumps(packed)) < 2100
    assert set(parse_data) == {TEXT, TEXT_TOKENS, EMBEDDING_PROPERTY}


def test_only_a_whole_message_parsed_alone_keeps_one(
    components: tuple[WhitespaceTokenizer, MiniLMFeaturizer],
) -> None:
    # Training examples: features, but nothing kept for the parse data.
    example = Message(data={TEXT: QUESTION, "intent": "ask_competency"})
    components[0].process_training_data(TrainingData([example]))
    components[1].process_training_data(TrainingData([example]))
    assert example.features_present(TEXT) and example.get(EMBEDDING_PROPERTY) is None
    # Truncated (the app would embed the whole text), encoded together with another
    # message (int8 activations are scaled over the batch), a button's payload: none.
    for message in (
        *_parse(components, LONG_TEXT),
        *_parse(components, QUESTION, "hi"),
        *_parse(components, '/ask_program{"competency": "C-SECURITY"}'),
    ):
        assert message.features_present(TEXT)
        assert message.get(TOKENS_NAMES[TEXT])
        assert EMBEDDING_PROPERTY not in message.as_dict(only_output_properties=True)
