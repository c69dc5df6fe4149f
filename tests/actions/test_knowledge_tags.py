"""The knowledge action answers from the names Rasa's NLU tagged, tagging nothing again.

Rasa's catalogue entity extractor tags each message with the vocabulary the knowledge
build wrote, and the parse data carries the matches and the vocabulary's id
(tests/knowledge/test_nlu_entities.py shows they equal the app's own tags). Here the
action is shown to use them: it tags the text itself only when the NLU did not tag
it (a button payload) or tagged it with another catalogue release's names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import ActionAnswerQuestion
from knowledge.entities import recognizer
from knowledge.entity_tagger import VOCABULARY_PROPERTY, EntityRecognizer, rasa_entity
from tests.actions.test_knowledge_actions import tracker_state
from tests.knowledge.building import ensure_index


@pytest.fixture(scope="module", autouse=True)
def real_index() -> None:
    ensure_index()


@pytest.fixture
def taggings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record every text the app's tagger tags."""
    tagged: list[str] = []
    original = EntityRecognizer.extract

    def counting(self: EntityRecognizer, text: str) -> Any:
        tagged.append(text)
        return original(self, text)

    monkeypatch.setattr(EntityRecognizer, "extract", counting)
    yield tagged


def _nlu_tagged(state: dict[str, Any], vocabulary_id: str | None = None) -> dict[str, Any]:
    """A tracker's state, its message tagged as Rasa's NLU tags it."""
    message = state["latest_message"]
    live = recognizer()
    message["entities"] = [rasa_entity(m) for m in live.extract(message["text"])]
    message[VOCABULARY_PROPERTY] = vocabulary_id or live.vocabulary.id
    return state


def _answer(state: dict[str, Any]) -> str:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerQuestion().run(dispatcher, Tracker.from_dict(state), {}))
    return str(dispatcher.messages[0]["text"])


def test_the_answer_uses_the_nlus_tags_and_tags_nothing_again(taggings: list[str]) -> None:
    state = _nlu_tagged(tracker_state("ask_competency"))
    taggings.clear()

    answer = _answer(state)

    assert "Source: C-SECURITY" in answer
    assert taggings == []


def test_tags_of_another_catalogue_release_are_not_used(taggings: list[str]) -> None:
    state = _nlu_tagged(tracker_state("ask_competency"), vocabulary_id="0" * 16)
    taggings.clear()

    answer = _answer(state)

    assert "Source: C-SECURITY" in answer
    assert taggings == ["what does the sec competency require?"]


def test_the_tags_decide_what_the_answer_is_about(taggings: list[str]) -> None:
    # The NLU's matches, not a second tagging, say what the message names: had the NLU
    # found no competency in it, the question would be answered as a general one.
    state = _nlu_tagged(tracker_state("ask_competency"))
    state["latest_message"]["entities"] = []
    taggings.clear()

    answer = _answer(state)

    assert "Source: C-SECURITY" not in answer
    assert "Source: F-PUBLISHED-REQUIREMENTS" in answer
    assert taggings == []


def test_a_guess_inside_an_unknown_name_is_not_kept(taggings: list[str]) -> None:
    # "Baking" is tagged as a typo of Banking; the Quantum Baking competency does not
    # exist, so the answer says so and the slot the guess filled is emptied.
    state = tracker_state("ask_competency")
    state["latest_message"]["text"] = "what does the Quantum Baking competency require?"
    state = _nlu_tagged(state)
    assert state["latest_message"]["entities"][0]["value"] == "C-FINANCIAL-SERVICES"
    state["slots"]["competency"] = "C-FINANCIAL-SERVICES"  # domain.yml: from_entity
    dispatcher = CollectingDispatcher()

    events = asyncio.run(ActionAnswerQuestion().run(dispatcher, Tracker.from_dict(state), {}))

    assert str(dispatcher.messages[0]["text"]).startswith("I don't know that one")
    assert {"event": "slot", "name": "competency", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
