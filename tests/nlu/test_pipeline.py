"""The chosen NLU pipeline (config.yml, rasa_addons/) trained and asked real questions.

Rasa lives in its own environment (``.venv-rasa``), so the model is trained and queried
through it in subprocesses: one ``rasa train nlu`` per test session (about 20 s on two
cores) and one process that parses every message of this module
(tests/rasa_addons/components/nlu_embeddings.py).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.knowledge.building import ensure_index
from tests.rasa_env import RASA_PYTHON, rasa_env_variables, require_rasa_env, run_rasa_module

ROOT = Path(__file__).resolve().parents[2]
ONNX = ROOT / "var" / "onnx" / "model-int8.onnx"
QUESTION_INTENTS = {
    "ask_program",
    "ask_competency",
    "ask_course",
    "ask_benefits",
    "ask_certification_transfer",
    "ask_revenue",
    "ask_transition",
}
MESSAGES = [
    "what does the Security competency require?",
    "how far r we from platnum",
    "how long is U-SEC-101",
    "what do Gold partners get in Germany?",
    "recommend courses to get into AI",
    "xqz blorp vvv",
    "what does the Quantum Baking competency require?",
    "no particular goal",
    "can I talk to a real person please",
]
# The Rasa half: each message through the trained model, its parse data printed.
PARSE = "tests.rasa_addons.components.nlu_embeddings"


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    require_rasa_env()
    ensure_index()  # the MiniLM export (var/onnx) the pipeline's featurizer loads
    assert ONNX.exists(), f"knowledge.build wrote no {ONNX}"
    out = tmp_path_factory.mktemp("nlu-model")
    train = [str(RASA_PYTHON), "-m", "rasa", "train", "nlu", "--out", str(out)]
    subprocess.run(
        train + ["--fixed-model-name", "nlu"],
        cwd=ROOT,
        env=rasa_env_variables(),
        check=True,
        capture_output=True,
    )
    answers: list[dict[str, Any]] = run_rasa_module(PARSE, str(out / "nlu.tar.gz"), *MESSAGES)
    return {
        answer["text"]: {
            "intent": answer["intent"]["name"],
            "entities": {entity["entity"]: entity["value"] for entity in answer["entities"]},
        }
        for answer in answers
    }


def test_competency_question_names_the_catalogue_id(parsed: dict[str, dict[str, Any]]) -> None:
    answer = parsed["what does the Security competency require?"]
    assert answer == {"intent": "ask_competency", "entities": {"competency": "C-SECURITY"}}


def test_typos_and_short_forms_still_understood(parsed: dict[str, dict[str, Any]]) -> None:
    assert parsed["how far r we from platnum"] == {
        "intent": "ask_tier_gap",
        "entities": {"tier": "Platinum"},
    }
    assert parsed["how long is U-SEC-101"] == {
        "intent": "ask_duration",
        "entities": {"course": "U-SEC-101"},
    }


def test_tier_and_country_both_extracted(parsed: dict[str, dict[str, Any]]) -> None:
    answer = parsed["what do Gold partners get in Germany?"]
    assert answer == {"intent": "ask_benefits", "entities": {"tier": "Gold", "country": "Germany"}}


def test_recommendation_request_carries_its_goal(parsed: dict[str, dict[str, Any]]) -> None:
    answer = parsed["recommend courses to get into AI"]
    assert answer["intent"] == "ask_recommendation"
    assert answer["entities"] == {"competency": "C-MACHINE-LEARNING"}
    assert parsed["no particular goal"]["intent"] == "no_goal"


def test_gibberish_starts_the_two_stage_fallback(parsed: dict[str, dict[str, Any]]) -> None:
    assert parsed["xqz blorp vvv"]["intent"] == "nlu_fallback"


def test_unknown_competency_is_still_a_question_not_a_fallback(
    parsed: dict[str, dict[str, Any]],
) -> None:
    # The answer action says "I don't know that one, did you mean ...?"; a question
    # split between two question intents must reach it (GroupedFallbackClassifier).
    assert parsed["what does the Quantum Baking competency require?"]["intent"] in QUESTION_INTENTS


def test_human_handoff_request(parsed: dict[str, dict[str, Any]]) -> None:
    assert parsed["can I talk to a real person please"]["intent"] == "request_human"
