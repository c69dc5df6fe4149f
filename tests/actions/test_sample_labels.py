"""Chat answers say so while a figure they state is sample, and only then.

Knowledge answers run on the real index; partner answers through rasa-sdk's executor
on the seeded store, once with the shipped (sample) rules and once with the same
rules marked as the program office's own (what its import does).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

import actions.base as action_base
from actions.knowledge import ActionAnswerQuestion
from knowledge.catalogue import load_catalogue
from knowledge.models import ProgramRules
from knowledge.provenance import SAMPLE_NOTE
from partners.catalogue import ProgramCatalogue
from partners.context import PartnerContext, default_context
from tests.knowledge.building import ensure_index
from tests.partners.fixtures import Store, action_call, process_settings, seeded_store

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = dt.date(2026, 11, 29)  # inside the shipped transition window


def ask(question: str) -> str:
    """Run ``action_answer_question`` on a fresh tracker asking ``question``."""
    state: dict[str, Any] = json.loads((FIXTURES / "ask_competency.json").read_text())
    state["latest_message"] = {"text": question, "intent": {"name": "ask_program"}}
    state["slots"]["competency"] = None
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerQuestion().run(dispatcher, Tracker.from_dict(state), {}))
    (message,) = dispatcher.messages
    return str(message["text"])


def test_a_knowledge_answer_stating_a_sample_figure_is_labelled() -> None:
    ensure_index()
    text = ask("what revenue does a Gold partner need in Germany?")
    assert "450,000 EUR" in text
    assert text.endswith(SAMPLE_NOTE)


def test_a_knowledge_answer_stating_only_published_facts_is_not() -> None:
    ensure_index()
    text = ask("how many tiers are there now?")
    assert "Registered, Silver, Gold and Platinum" in text
    assert SAMPLE_NOTE not in text


def office_catalogue() -> ProgramCatalogue:
    """The shipped catalogue with every figure marked as the office's own."""
    loaded = load_catalogue()
    content = loaded.rules.model_dump(mode="json")
    content["default_source"] = "office"
    content["figure_sources"] = {"competencies": "office", "courses": "office"}
    rules = ProgramRules.model_validate(content)
    return ProgramCatalogue.build(rules, loaded.competencies, loaded.courses)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return seeded_store(tmp_path_factory)


def executor_with(store: Store, catalogue: ProgramCatalogue | None) -> Iterator[ActionExecutor]:
    def context() -> PartnerContext:
        found = dataclasses.replace(default_context(), clock=lambda: TODAY)
        return dataclasses.replace(found, catalogue=catalogue) if catalogue else found

    with process_settings(store), pytest.MonkeyPatch.context() as patch:
        patch.setattr(action_base, "default_context", context)
        executor = ActionExecutor()
        executor.register_package("actions")
        yield executor


@pytest.fixture
def sample_executor(store: Store) -> Iterator[ActionExecutor]:
    yield from executor_with(store, None)


@pytest.fixture
def office_executor(store: Store) -> Iterator[ActionExecutor]:
    yield from executor_with(store, office_catalogue())


def texts_of(executor: ActionExecutor, fixture: str) -> list[str]:
    result = asyncio.run(executor.run(action_call(fixture)))
    assert result is not None
    return [str(r["text"]) for r in result.responses if r.get("text")]


@pytest.mark.parametrize(
    "fixture", ["partner_tier_status", "partner_tier_gap", "partner_recommend"]
)
def test_partner_answers_on_sample_rules_are_labelled(
    sample_executor: ActionExecutor, fixture: str
) -> None:
    (text,) = texts_of(sample_executor, fixture)
    assert text.endswith(SAMPLE_NOTE), text


@pytest.mark.parametrize(
    "fixture", ["partner_tier_status", "partner_tier_gap", "partner_recommend"]
)
def test_partner_answers_on_the_offices_rules_are_not(
    office_executor: ActionExecutor, fixture: str
) -> None:
    (text,) = texts_of(office_executor, fixture)
    assert SAMPLE_NOTE not in text
    assert "Gold" in text  # the same answer, just without the label
