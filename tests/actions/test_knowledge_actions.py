"""Knowledge actions on tracker fixtures (tests/actions/fixtures/*.json), real index."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.knowledge import (
    ActionAnswerFollowup,
    ActionAnswerQuestion,
    ActionListCourses,
)
from knowledge import live
from knowledge.catalogue import load_catalogue
from partners.messages import KNOWLEDGE_UNAVAILABLE as UNAVAILABLE
from tests.knowledge.building import ensure_index

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module", autouse=True)
def real_index() -> None:
    ensure_index()


def tracker_state(name: str) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return state


def run(action: Any, fixture: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run an action's ``run`` on a fixture tracker; return its messages and events."""
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict(tracker_state(fixture))
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_answer_question_answers_cites_and_remembers_the_competency() -> None:
    messages, events = run(ActionAnswerQuestion(), "ask_competency")
    (message,) = messages
    name = load_catalogue().competency_by_id["C-SECURITY"].name
    assert message["text"].startswith(f"{name} (C-SECURITY) is a competency")
    assert f"Source: C-SECURITY {name}" in message["text"]
    assert message["buttons"] == []
    assert slots(events) == {
        "last_doc_id": "C-SECURITY",
        "last_doc_kind": "competency",
        "competency": "C-SECURITY",
    }


def test_button_payload_is_answered_from_its_entities() -> None:
    messages, events = run(ActionAnswerQuestion(), "button_payload")
    assert "Source: C-SECURITY" in messages[0]["text"]
    assert slots(events)["last_doc_id"] == "C-SECURITY"


def test_unknown_competency_gets_did_you_mean_buttons() -> None:
    messages, events = run(ActionAnswerQuestion(), "unknown_competency")
    (message,) = messages
    assert message["text"].startswith("I don't know that one (no competency is called Quantum")
    assert len(message["buttons"]) == 3
    for button in message["buttons"]:
        assert button["payload"] == f"What does the {button['title']} competency require?"
    assert events == []  # nothing to follow up on


def test_out_of_scope_question_sets_no_slots() -> None:
    messages, events = run(ActionAnswerQuestion(), "out_of_scope")
    assert messages[0]["text"].startswith("I don't know that one")
    assert events == []


def test_empty_message_asks_for_a_question() -> None:
    messages, events = run(ActionAnswerQuestion(), "empty_message")
    assert "What would you like to know?" in messages[0]["text"]
    assert events == []


def test_followup_uses_the_last_document() -> None:
    messages, events = run(ActionAnswerFollowup(), "followup_duration")
    course = load_catalogue().course_by_id["U-CTR-201"]
    assert f"({course.id}) takes {course.duration_hours:g} hours" in messages[0]["text"]
    assert slots(events) == {"last_doc_id": "U-CTR-201", "last_doc_kind": "course",
                             "course": "U-CTR-201"}  # fmt: skip


def test_list_courses_uses_the_competency_slot() -> None:
    messages, events = run(ActionListCourses(), "list_courses_from_slot")
    courses = load_catalogue().courses_by_competency["C-CONTAINERS"]
    text = messages[0]["text"]
    assert all(course.id in text for course in courses)
    assert slots(events)["competency"] == "C-CONTAINERS"


def test_actions_run_through_the_executor_as_rasa_calls_them() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    call = {
        "next_action": "action_answer_question",
        "sender_id": "web-1",
        "tracker": tracker_state("ask_competency"),
        "domain": {},
        "version": "3.6.21",
    }
    result = asyncio.run(executor.run(call))
    assert result is not None
    assert "Source: C-SECURITY" in result.responses[0]["text"]
    assert {"event": "slot", "timestamp": None, "name": "last_doc_id", "value": "C-SECURITY"} in (
        result.events
    )


def test_a_broken_index_gets_a_polite_message_and_a_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PA_INDEX_DIR", str(tmp_path))  # an empty directory: no index there
    live.reset()
    try:
        with caplog.at_level(logging.ERROR, logger="actions.knowledge"):
            messages, events = run(ActionAnswerQuestion(), "ask_competency")
    finally:
        monkeypatch.undo()
        live.reset()
    assert messages == [{**messages[0], "text": UNAVAILABLE}]
    assert events == []
    # The details go to the log, with the traceback, for whoever runs the service.
    (record,) = [r for r in caplog.records if r.name == "actions.knowledge"]
    assert record.getMessage().startswith("action_answer_question failed")
    assert record.exc_info is not None and "no index at" in str(record.exc_info[1])
