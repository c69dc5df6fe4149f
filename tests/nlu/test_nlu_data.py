"""Checks of the NLU training data, the held-out set and the dialogue files.

These run in the app environment (plain YAML, no Rasa): a partner would notice a
held-out score inflated by training sentences, a competency alias the bot does not
map to its id, or a flow that the domain does not declare.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from knowledge import live
from knowledge.entities import extract_entities
from knowledge.names import resolve_competency, resolve_course
from tests.nlu.nlu_files import (
    ANNOTATION,
    HELDOUT_FILE,
    ROOT,
    TRAINING_FILES,
    annotated,
    block_examples,
    intent_examples,
    nlu_blocks,
)


def _plain(text: str) -> str:
    return " ".join(ANNOTATION.sub(r"\1", text).lower().split())


@pytest.fixture(scope="module")
def training() -> list[dict[str, Any]]:
    return nlu_blocks(*TRAINING_FILES)


@pytest.fixture(scope="module")
def heldout() -> dict[str, list[str]]:
    return intent_examples(nlu_blocks(HELDOUT_FILE))


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


def test_enough_intents_with_variedblock_examples(training: list[dict[str, Any]]) -> None:
    intents = intent_examples(training)
    assert len(intents) >= 22
    for intent, examples in intents.items():
        assert len({_plain(e) for e in examples}) >= 25, intent


def test_heldout_covers_every_intent_and_never_repeats_training(
    training: list[dict[str, Any]], heldout: dict[str, list[str]]
) -> None:
    intents = intent_examples(training)
    assert set(heldout) == set(intents)
    assert sum(len(v) for v in heldout.values()) >= 220
    seen = {_plain(e) for examples in intents.values() for e in examples}
    leaked = [e for examples in heldout.values() for e in examples if _plain(e) in seen]
    assert leaked == []


def _story_texts() -> list[str]:
    """The user texts of tests/test_stories.yml, the end-to-end test conversations."""
    stories = yaml.safe_load((ROOT / "tests" / "test_stories.yml").read_text())["stories"]
    return [_plain(step["user"]) for story in stories for step in story["steps"] if "user" in step]


def test_test_conversations_never_repeat_training_or_heldout_sentences(
    training: list[dict[str, Any]], heldout: dict[str, list[str]]
) -> None:
    # A test conversation that says what the model was trained on tests its memory, not
    # its understanding; one that repeats a held-out sentence measures nothing new.
    texts = _story_texts()
    assert len(texts) >= 80
    trained = {_plain(e) for examples in intent_examples(training).values() for e in examples}
    held = {_plain(e) for examples in heldout.values() for e in examples}
    assert [text for text in texts if text in trained] == []
    assert [text for text in texts if text in held] == []


def _lookup(training: list[dict[str, Any]], name: str) -> set[str]:
    blocks = [block for block in training if block.get("lookup") == name]
    return {_plain(text) for block in blocks for text in block_examples(block)}


def test_lookup_tables_list_every_competency_and_country(training: list[dict[str, Any]]) -> None:
    # The intent classifier's lookup features (RegexFeaturizer) know the catalogue's names.
    catalogue = yaml.safe_load((ROOT / "knowledge" / "data" / "competencies.yaml").read_text())
    assert len(catalogue) >= 44
    competencies = _lookup(training, "competency")
    for competency in catalogue:
        for text in [competency["name"], *competency["aliases"]]:
            assert _plain(text) in competencies, text
    rules = yaml.safe_load((ROOT / "knowledge" / "data" / "tiers.yaml").read_text())
    assert {_plain(country["name"]) for country in rules["countries"]} <= _lookup(
        training, "country"
    )
    assert {_plain(tier["name"]) for tier in rules["tiers"]} <= _lookup(training, "tier")


def test_every_competency_name_and_alias_is_tagged_as_its_id() -> None:
    # What the NLU data's synonyms promised before the tagger replaced them.
    catalogue = yaml.safe_load((ROOT / "knowledge" / "data" / "competencies.yaml").read_text())
    assert len(catalogue) >= 44
    for competency in catalogue:
        for text in [competency["name"], *competency["aliases"]]:
            found = [(m.label, m.id) for m in extract_entities(f"what about {text}?")]
            assert found == [("competency", competency["id"])], text


def test_the_tagger_finds_every_annotated_catalogue_name(training: list[dict[str, Any]]) -> None:
    # The annotations are the catalogue tagger's test set (it replaced the CRF trained on
    # them): each annotated span is tagged with its label, unless it names nothing in
    # the catalogue ("the Quantum Computing competency"), which the answers handle.
    catalogue = live.current().catalogue
    missed = []
    spans_seen = 0
    for block in training:
        for example in block_examples(block) if "intent" in block else []:
            text, spans = annotated(example)
            found = {(m.label, m.start, m.end) for m in extract_entities(text)}
            for label, start, end in spans:
                spans_seen += 1
                name = text[start:end]
                known = resolve_competency(name, catalogue) or resolve_course(name, catalogue)
                if (label, start, end) not in found and (known or label in ("tier", "country")):
                    missed.append((text, label, name))
    assert spans_seen >= 250
    assert missed == []


def test_the_tagger_knows_every_country_of_the_lookup_table(
    training: list[dict[str, Any]],
) -> None:
    # One list of how partners name countries: the tagger's aliases and the intent
    # classifier's lookup table say the same.
    for block in training:
        if block.get("lookup") == "country":
            for phrase in block_examples(block):
                assert [m.label for m in extract_entities(f"benefits in {phrase}?")] == [
                    "country"
                ], phrase


def test_annotations_use_only_contract_entities(training: list[dict[str, Any]]) -> None:
    entities = {
        entity
        for block in training
        if "intent" in block
        for example in block_examples(block)
        for _, entity in ANNOTATION.findall(example)
    }
    assert entities == {"competency", "course", "tier", "country"}


def test_domain_declares_every_contract_action_and_intent(
    training: list[dict[str, Any]], domain: dict[str, Any]
) -> None:
    contract = {
        "action_answer_question",
        "action_answer_followup",
        "action_list_courses",
        "action_tier_status",
        "action_tier_gap",
        "action_recommend_courses",
        "action_what_if",
        "action_link_account",
        "action_unlink_account",
        "action_human_handoff",
    }
    assert contract <= set(domain["actions"])
    assert set(domain["intents"]) == set(intent_examples(training))
    slots = {"competency", "course", "tier", "country", "goal", "last_doc_id", "last_doc_kind"}
    assert slots <= set(domain["slots"])
    assert domain["forms"]["recommend_form"]["required_slots"] == ["goal"]


def test_rules_and_stories_use_only_declared_intents_and_actions(domain: dict[str, Any]) -> None:
    known_actions = set(domain["actions"]) | set(domain["responses"]) | set(domain["forms"])
    known_actions |= {"action_two_stage_fallback", "action_deactivate_loop", "action_listen"}
    known_intents = set(domain["intents"]) | {"nlu_fallback"}
    files = [*sorted((ROOT / "data").glob("*/*.yml")), ROOT / "tests" / "test_stories.yml"]
    for path in files:
        document = yaml.safe_load(path.read_text())
        for flow in document.get("rules", []) + document.get("stories", []):
            for step in flow["steps"]:
                assert step.get("action", "action_listen") in known_actions, (path, step)
                assert step.get("intent", "greet") in known_intents, (path, step)


def test_end_to_end_test_conversations_cover_every_flow(domain: dict[str, Any]) -> None:
    stories = yaml.safe_load((ROOT / "tests" / "test_stories.yml").read_text())["stories"]
    assert len(stories) >= 40
    intents = {step["intent"] for s in stories for step in s["steps"] if "intent" in step}
    actions = {step["action"] for s in stories for step in s["steps"] if "action" in step}
    assert set(domain["intents"]) <= intents
    # Overrides of Rasa's default actions (action_default_*) run inside Rasa's own
    # flows, such as the two-stage fallback, never as a story step.
    custom = {action for action in domain["actions"] if not action.startswith("action_default_")}
    assert custom <= actions
    assert all("user" in step for s in stories for step in s["steps"] if "intent" in step)
