"""One tagging per message: Rasa's NLU tags the catalogue's names as the app would.

The trained model's catalogue entity extractor tags each message with the vocabulary
the knowledge build wrote, with the tagger the app uses (``knowledge.entity_tagger``)
but under the Rasa environment's spaCy. Here the model parses the questions of
tests/knowledge and every NLU example in the Rasa environment
(``tests/rasa_addons/components/nlu_embeddings.py``, Rasa's own parsing path) and the
app, in its own environment, checks that:

- every message carries the live release's vocabulary id, and the matches it carries
  are exactly the app's own tagging of the text (values, ids, offsets, typo marks);
- the answers are the same with the NLU's matches as when the app tags the text;
- a button's payload is not tagged (its entities come with it).
"""

from __future__ import annotations

from typing import Any

import pytest

from knowledge.answers import AnswerContext, answer_question
from knowledge.entities import extract_entities, recognizer
from knowledge.entity_tagger import VOCABULARY_PROPERTY, tagged_message
from tests.conftest import model_path
from tests.knowledge.question_sets import all_questions
from tests.nlu.nlu_files import HELDOUT_FILE, TRAINING_FILES, annotated, intent_examples, nlu_blocks
from tests.rasa_env import run_rasa_module

PAYLOAD = '/ask_competency{"competency": "C-SECURITY"}'
TYPOS = "what do platnum partners get in germny? and the sec competency?"


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict[str, Any]]:
    """The parse data the trained model's NLU gives each text."""
    examples = intent_examples(nlu_blocks(*TRAINING_FILES, HELDOUT_FILE)).values()
    plain = [annotated(example)[0] for texts in examples for example in texts]
    texts = list(dict.fromkeys([*all_questions(), *plain, TYPOS, PAYLOAD]))
    module = "tests.rasa_addons.components.nlu_embeddings"
    results: list[dict[str, Any]] = run_rasa_module(module, model_path(), *texts)
    return {result["text"]: result for result in results}


def test_the_nlu_tags_every_message_exactly_as_the_app_would(
    parsed: dict[str, dict[str, Any]],
) -> None:
    vocabulary_id = recognizer().vocabulary.id
    texts = [text for text in parsed if text != PAYLOAD]
    assert len(texts) > 1000
    named = 0
    for text in texts:
        tagged = tagged_message(parsed[text])
        assert tagged is not None, text
        assert tagged.vocabulary_id == vocabulary_id, (
            "the model was trained with another catalogue vocabulary than the live "
            "release's: `make train` after `make index`"
        )
        assert list(tagged.matches) == extract_entities(text), text
        named += bool(tagged.matches)
    assert named > 300
    typos = tagged_message(parsed[TYPOS])
    assert typos is not None
    assert [(m.label, m.id, m.fuzzy) for m in typos.matches] == [
        ("tier", "Platinum", True),
        ("country", "DE", True),
        ("competency", "C-SECURITY", False),  # "sec" is an alias
    ]


def test_the_slots_get_catalogue_ids_and_names(parsed: dict[str, dict[str, Any]]) -> None:
    entities = parsed[TYPOS]["entities"]
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("tier", "Platinum"),
        ("country", "Germany"),
        ("competency", "C-SECURITY"),
    ]


def test_answers_with_the_nlus_tags_are_the_answers_as_before(
    parsed: dict[str, dict[str, Any]],
) -> None:
    for question in all_questions():
        tagged = tagged_message(parsed[question])
        assert answer_question(question, AnswerContext(tagged=tagged)) == answer_question(
            question
        ), question


def test_a_button_payload_is_not_tagged(parsed: dict[str, dict[str, Any]]) -> None:
    payload = parsed[PAYLOAD]
    assert VOCABULARY_PROPERTY not in payload
    assert tagged_message(payload) is None
    assert [(e["entity"], e["value"]) for e in payload["entities"]] == [
        ("competency", "C-SECURITY")
    ]
