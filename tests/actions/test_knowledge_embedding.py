"""The knowledge action searches with the embedding Rasa's NLU sent, never a stale one.

Rasa's MiniLM featurizer keeps the message's embedding in the parse data
(``text_embedding``); tests/knowledge/test_nlu_vectors.py shows it equals the app's own.
Here it is shown to be what the search uses, by sending the embedding of another text:
the answer follows the embedding. A button payload made a question, or an embedding
made by another model or runtime, is not used.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import ActionAnswerQuestion
from knowledge.embedder import query_embedder
from knowledge.minilm_onnx import EMBEDDING_PROPERTY, pack_vector, vectors_id
from tests.actions.test_knowledge_actions import tracker_state
from tests.knowledge.building import ensure_index

QUESTION = "what does the sec competency require?"
OTHER_TEXT = "can you recommend a good pizza place nearby"


@pytest.fixture(scope="module", autouse=True)
def real_index() -> None:
    ensure_index()


def _answer(fixture: str, embedding: dict[str, str] | None) -> str:
    state = tracker_state(fixture)
    if embedding is not None:
        state["latest_message"][EMBEDDING_PROPERTY] = embedding
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerQuestion().run(dispatcher, Tracker.from_dict(state), {}))
    text: Any = dispatcher.messages[0]["text"]
    return str(text)


def test_the_search_uses_the_nlus_embedding_of_the_message() -> None:
    embedder = query_embedder()
    own = pack_vector(embedder.embed_one(QUESTION), embedder.vectors_id)
    other = pack_vector(embedder.embed_one(OTHER_TEXT), embedder.vectors_id)

    plain = _answer("ask_competency", None)

    assert "Source: C-SECURITY" in plain
    assert _answer("ask_competency", own) == plain
    # The embedding decides: another text's embedding makes it an unknown question.
    assert _answer("ask_competency", other).startswith("I don't know that one")


def test_an_embedding_of_another_text_or_model_is_not_used() -> None:
    embedder = query_embedder()
    vector = embedder.embed_one(OTHER_TEXT)
    # A button payload is answered as a question of its own, embedded by the search.
    assert "Source: C-SECURITY" in _answer(
        "button_payload", pack_vector(vector, embedder.vectors_id)
    )
    # Computed by another ONNX export (or onnxruntime): embedded again, answered as usual.
    stale = pack_vector(vector, vectors_id("0" * 64))
    assert "Source: C-SECURITY" in _answer("ask_competency", stale)
