"""Retrieval quality over the question sets: recall, scope, and the brief's facts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge.answers import DONT_KNOW, answer_question, ranked_hits
from knowledge.entities import extract_entities
from knowledge.search import search

HERE = Path(__file__).parent
QUESTIONS = yaml.safe_load((HERE / "retrieval_questions.yaml").read_text())
BRIEF_FACTS = yaml.safe_load((HERE / "brief_facts.yaml").read_text())
OUT_OF_SCOPE = yaml.safe_load((HERE / "out_of_scope_questions.yaml").read_text())

pytestmark = pytest.mark.usefixtures("real_index")


def recall_at(k: int, ranked: list[list[str]]) -> float:
    hits = [
        any(doc in entry["expected"] for doc in ids[:k])
        for entry, ids in zip(QUESTIONS, ranked, strict=True)
    ]
    return sum(hits) / len(hits)


def test_question_set_is_large_enough() -> None:
    assert len(QUESTIONS) >= 170


def test_answer_ranking_recall_at_3() -> None:
    ranked = [
        [hit.doc_id for hit in ranked_hits(e["question"], extract_entities(e["question"]))[0]]
        for e in QUESTIONS
    ]
    assert recall_at(3, ranked) >= 0.95


def test_plain_search_recall_at_3() -> None:
    ranked = [[hit.doc_id for hit in search(e["question"], k=3)] for e in QUESTIONS]
    assert recall_at(3, ranked) >= 0.95


def test_in_scope_questions_get_answers() -> None:
    unanswered = [e["question"] for e in QUESTIONS if not answer_question(e["question"]).known]
    assert len(unanswered) <= len(QUESTIONS) * 0.01, unanswered


def test_out_of_scope_questions_get_i_dont_know() -> None:
    answered = [q for q in OUT_OF_SCOPE if answer_question(q).known]
    # Questions that name a country ("who is the president of France?") may look
    # like country rules; the NLU's out_of_scope intent catches those earlier.
    assert len(answered) <= len(OUT_OF_SCOPE) * 0.05, answered
    assert all(DONT_KNOW in answer_question(q).text for q in OUT_OF_SCOPE if q not in answered)


@pytest.mark.parametrize("entry", BRIEF_FACTS, ids=lambda entry: entry["question"])
def test_brief_fact_answers_contain_key_phrases(entry: dict) -> None:
    answer = answer_question(entry["question"])
    text = answer.text.lower()
    missing = [phrase for phrase in entry["key_phrases"] if phrase not in text]
    assert not missing, f"{missing} not in answer citing {answer.citations}"
    assert "source: " in text
