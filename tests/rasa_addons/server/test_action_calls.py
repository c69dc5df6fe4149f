"""rasa_addons.server.action_calls: an action call carries the latest turn, the rest as Rasa's.

Each case compares the request with the one Rasa 3.6's own ``_action_call_format``
builds for the same tracker: equal but for ``tracker.events``, which holds the events
from the latest user message on (all of them for ``HISTORY_ACTIONS``), and rasa-sdk's
``Tracker`` reads the same latest message, input channel, slots and slots to validate
from both.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Tracker

from rasa_addons.server import action_calls
from rasa_addons.server.action_calls import HISTORY_ACTIONS, action_call_format

DOMAIN = Domain.from_yaml(
    """
intents: [greet, ask_course]
slots:
  course:
    type: text
    mappings: [{type: from_text}]
actions: [action_answer_question, action_human_handoff]
"""
)
RASA_FORMAT = RemoteAction._action_call_format  # before any module installs the patch


def user(text: str, channel: str = "rest") -> UserUttered:
    intent: dict[str, Any] = {"name": "ask_course", "confidence": 0.9}
    parse: Any = {"intent": intent, "entities": [], "text": text}  # Rasa's NLUPredictionData
    return UserUttered(text, intent, [], parse, input_channel=channel)


def turns(count: int) -> list[Event]:
    events: list[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    for n in range(count):
        events += [
            ActionExecuted("action_listen"),
            user(f"question {n}", channel="slack" if n % 2 else "rest"),
            SlotSet("course", f"C-{n}"),
            ActionExecuted("action_answer_question"),
            BotUttered(f"answer {n}"),
        ]
    return events


def tracker_with(events: list[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("someone", events, DOMAIN.slots)


def both(action: str, tracker: DialogueStateTracker) -> tuple[dict[str, Any], dict[str, Any]]:
    remote = RemoteAction(action, EndpointConfig("http://127.0.0.1:9/webhook"))
    return RASA_FORMAT(remote, tracker, DOMAIN), action_call_format(remote, tracker, DOMAIN)


def without_events(call: dict[str, Any]) -> dict[str, Any]:
    return {**call, "tracker": {k: v for k, v in call["tracker"].items() if k != "events"}}


@pytest.mark.parametrize("count", [1, 2, 30])
def test_an_action_gets_the_latest_turn_and_everything_else_as_rasa_sends_it(
    count: int,
) -> None:
    tracker = tracker_with(turns(count))
    rasa_call, ours = both("action_answer_question", tracker)

    assert without_events(ours) == without_events(rasa_call)
    assert ours["tracker"]["events"] == rasa_call["tracker"]["events"][-4:]
    assert ours["tracker"]["events"][0]["event"] == "user"
    sdk_rasa, sdk_ours = Tracker.from_dict(rasa_call["tracker"]), Tracker.from_dict(ours["tracker"])
    assert sdk_ours.latest_message == sdk_rasa.latest_message
    assert sdk_ours.get_latest_input_channel() == sdk_rasa.get_latest_input_channel()
    assert sdk_ours.current_slot_values() == sdk_rasa.current_slot_values()
    assert sdk_ours.slots_to_validate() == sdk_rasa.slots_to_validate()


def test_the_handoff_gets_the_whole_history() -> None:
    assert "action_human_handoff" in HISTORY_ACTIONS
    rasa_call, ours = both("action_human_handoff", tracker_with(turns(30)))
    assert ours == rasa_call


def test_a_conversation_without_a_user_message_sends_all_its_events() -> None:
    rasa_call, ours = both("action_answer_question", tracker_with(turns(0)))
    assert ours == rasa_call


def test_the_slot_candidates_after_the_latest_message_are_sent() -> None:
    events = [*turns(3), SlotSet("course", "C-9"), SlotSet("course", "C-10")]
    rasa_call, ours = both("action_answer_question", tracker_with(events))
    sdk_rasa, sdk_ours = Tracker.from_dict(rasa_call["tracker"]), Tracker.from_dict(ours["tracker"])
    assert sdk_ours.slots_to_validate() == sdk_rasa.slots_to_validate() == {"course": "C-10"}


def test_the_domain_is_sent_as_rasa_decides() -> None:
    selective = RemoteAction(
        "action_answer_question",
        EndpointConfig("http://127.0.0.1:9/webhook", enable_selective_domain=True),
    )
    tracker = tracker_with(turns(2))
    assert "domain" not in action_call_format(selective, tracker, DOMAIN)
    assert "domain" in both("action_answer_question", tracker)[1]


def test_the_patch_is_listed() -> None:
    from rasa_addons.server.patches import PATCHES

    (patch,) = [p for p in PATCHES if p.attribute == "_action_call_format"]
    assert patch.replacement is action_calls.action_call_format
