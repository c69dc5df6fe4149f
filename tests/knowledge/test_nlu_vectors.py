"""One embedding per message: the search uses the one Rasa's NLU computed.

Rasa's MiniLM featurizer keeps each message's sentence embedding in the parse data
(``text_embedding``), and the knowledge action searches with it instead of embedding
the text again. Here a trained model parses the questions of tests/knowledge in the
Rasa environment (``tests/rasa_addons/components/nlu_embeddings.py``, Rasa's own
parsing path) and the app, in its own environment, checks that:

- the NLU's vector is bit for bit the app's query embedding of the text (same ONNX
  file, onnxruntime version, pooling and normalisation);
- every question gets the same hits, in the same order, and the same answer with the
  NLU's vector as when the search embeds the text itself;
- a vector computed otherwise (another export or runtime) is never searched with.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from knowledge import onnx_export
from knowledge.answers import AnswerContext, answer_question, ranked_hits
from knowledge.embedder import query_embedder
from knowledge.entities import extract_entities
from knowledge.minilm_onnx import EMBEDDING_PROPERTY, pack_vector, unpack_vector, vectors_id
from knowledge.search import engine
from tests.conftest import model_path
from tests.knowledge.question_sets import all_questions
from tests.rasa_env import run_rasa_module

# Longer than the featurizer's 128 word pieces: the NLU truncates it, the app would
# not, so no embedding travels and the search embeds the text itself.
LONG_TEXT = "what does the security competency require " * 20


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict[str, Any]]:
    """The parse data the trained model's NLU gives each question (and a long text)."""
    texts = [*all_questions(), LONG_TEXT.strip()]
    module = "tests.rasa_addons.components.nlu_embeddings"
    results: list[dict[str, Any]] = run_rasa_module(module, model_path(), *texts)
    return {result["text"]: result for result in results}


def _nlu_vector(parse: dict[str, Any]) -> np.ndarray | None:
    return unpack_vector(
        parse.get(EMBEDDING_PROPERTY), query_embedder().vectors_id, onnx_export.DIMENSION
    )


def test_the_nlu_embeds_a_message_exactly_as_the_search_would(
    parsed: dict[str, dict[str, Any]],
) -> None:
    embedder = query_embedder()
    made_by = {p[EMBEDDING_PROPERTY]["model"] for p in parsed.values() if EMBEDDING_PROPERTY in p}
    assert made_by == {embedder.vectors_id}, (
        "the Rasa environment embeds with another ONNX file or onnxruntime version than "
        "the app (compare `pip show onnxruntime` in .venv and .venv-rasa): one version "
        "in both lets a message be embedded once"
    )
    for question in all_questions():
        vector = _nlu_vector(parsed[question])
        assert vector is not None, question
        own = embedder.embed_one(question).astype(np.float32)
        assert np.array_equal(vector, own), question
    # Compact: about 2 KB of JSON per message. A text the NLU truncates carries none.
    assert (
        max(
            len(json.dumps(p[EMBEDDING_PROPERTY]))
            for p in parsed.values()
            if EMBEDDING_PROPERTY in p
        )
        < 2100
    )
    assert EMBEDDING_PROPERTY not in parsed[LONG_TEXT.strip()]


def test_searching_with_the_nlus_embedding_answers_as_before(
    parsed: dict[str, dict[str, Any]],
) -> None:
    for question in all_questions():
        packed = parsed[question][EMBEDDING_PROPERTY]
        entities = extract_entities(question)
        before, relevance = ranked_hits(question, entities)
        after, nlu_relevance = ranked_hits(question, entities, vector=_nlu_vector(parsed[question]))
        assert [hit.doc_id for hit in after] == [hit.doc_id for hit in before], question
        assert nlu_relevance == pytest.approx(relevance, abs=1e-4), question
        answered = answer_question(question, AnswerContext(text_embedding=packed))
        assert answered == answer_question(question), question


def test_an_embedding_made_otherwise_is_not_used() -> None:
    embedder = query_embedder()
    vector = embedder.embed_one("what does the sec competency require?")
    as_sent = vector.astype(np.float32)
    assert np.array_equal(engine().vector_from(pack_vector(vector, embedder.vectors_id)), as_sent)
    for packed in (
        pack_vector(vector, vectors_id("0" * 64)),  # another ONNX export
        {**pack_vector(vector, embedder.vectors_id), "float32": "AAAA"},  # damaged
        {"model": embedder.vectors_id},
        None,
    ):
        assert engine().vector_from(packed) is None
