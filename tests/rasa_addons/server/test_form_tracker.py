"""rasa_addons.server.speedups.temporary_form_tracker: Rasa's form tracker, not a replay.

The project's recommendation form is asked for after a conversation of knowledge
questions. The tracker the form builds for its step must hold what Rasa's
``FormAction._temporary_tracker`` builds, with a restart in the conversation or not,
from the tracker our store keeps or from the copy Rasa's processor runs the form on;
and the form's step (its copy and its tracker) must replay as many events at turn 300
as at turn 1.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.actions.forms import FormAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from rasa_addons.server import speedups
from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory
from tests.rasa_addons.replays import counting_replays

FORM = "recommend_form"
STEP_EVENTS: list[Event] = [SlotSet("requested_slot", "goal")]


def _turn(number: int) -> list[Event]:
    return [
        UserUttered(f"question {number}", {"name": "ask_program", "confidence": 1.0}),
        ActionExecuted("action_answer_question"),
        BotUttered(f"answer {number}"),
        SlotSet("last_doc_id", f"doc-{number}"),
        ActionExecuted("action_listen"),
    ]


def _conversation(turns: int, restart_after: int | None = None) -> list[Event]:
    events: list[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    events.append(ActionExecuted("action_listen"))
    for number in range(turns):
        events += _turn(number)
        if number == restart_after:
            events += [Restarted(), ActionExecuted("action_session_start"), SessionStarted()]
            events.append(ActionExecuted("action_listen"))
    return events


def _asking_for_the_form() -> list[Event]:
    return [
        UserUttered("recommend courses", {"name": "ask_recommendation", "confidence": 1.0}),
        ActionExecuted(FORM),
        ActiveLoop(FORM),
    ]


def _held(tracker: DialogueStateTracker) -> dict[str, Any]:
    """Everything the form's step or an action it calls could read.

    The step's own events are made anew by each call, so their times differ.
    """
    state = tracker.current_state(EventVerbosity.ALL)
    for event in state["events"]:
        event.pop("timestamp")
    return {
        "state": state,
        "slots": {name: slot.value for name, slot in tracker.slots.items()},
        "latest_action": tracker.latest_action,
        "active_loop": repr(tracker.active_loop),
        "paused": tracker.is_paused(),
        "followup": tracker.followup_action,
    }


@pytest.fixture(scope="module")
def form() -> FormAction:
    return FormAction(FORM, action_endpoint=None)


@pytest.mark.parametrize(
    ("events", "kind"),
    [
        (_conversation(12) + _asking_for_the_form(), "kept"),
        (_conversation(12) + _asking_for_the_form(), "the processor's copy"),
        (_conversation(12, restart_after=5) + _asking_for_the_form(), "kept"),
        (_conversation(12, restart_after=5) + _asking_for_the_form(), "the processor's copy"),
        (_conversation(3) + [Restarted()], "kept"),  # nothing ran since the restart
        (_conversation(12) + _asking_for_the_form(), "plain"),
    ],
    ids=[
        "no restart",
        "no restart, the action's copy",
        "after a restart",
        "after a restart, the action's copy",
        "right after a restart",
        "Rasa's own tracker",
    ],
)
def test_the_forms_tracker_holds_what_rasas_holds(
    events: list[Event], kind: str, form: FormAction, domain: Domain
) -> None:
    tracker_class = DialogueStateTracker if kind == "plain" else TrackerWithCachedHistory
    tracker = tracker_class.from_events("form-user", events[:-2], domain.slots)
    copied = tracker.copy()  # as the processor does before an action: the replay is kept
    for event in events[-2:]:
        tracker.update(event)
    if kind == "the processor's copy":
        tracker = tracker.copy()
    else:
        copied.update(SlotSet("goal", "changed in an earlier action's copy"))

    ours = speedups.temporary_form_tracker(form, tracker, list(STEP_EVENTS), domain)
    rasas = speedups._rasa_temporary_tracker(form, tracker, list(STEP_EVENTS), domain)

    assert _held(ours) == _held(rasas)
    # The step's tracker is the form's own: the conversation's next one is as before.
    ours.update(SlotSet("goal", "changed by the step"))
    again = speedups.temporary_form_tracker(form, tracker, list(STEP_EVENTS), domain)
    assert _held(again) == _held(rasas)


def test_a_form_step_replays_as_much_at_turn_300_as_at_turn_1(
    form: FormAction, domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    def replayed_for_the_step(turns: int) -> int:
        tracker = TrackerWithCachedHistory.from_events(
            "form-user", _conversation(turns), domain.slots
        )
        tracker.copy()  # made before the previous turn's actions
        for event in _asking_for_the_form()[:1]:
            tracker.update(event)
        with counting_replays(monkeypatch) as replayed:
            # Rasa's processor: a copy to run the form on, the prediction's events added.
            action_copy = tracker.copy()
            action_copy.update_with_events(_asking_for_the_form()[1:], domain)
            action_copy.copy()  # the form's activation (``_activate_loop``)
            speedups.temporary_form_tracker(form, action_copy, list(STEP_EVENTS), domain)
        return replayed[0]

    assert replayed_for_the_step(300) == replayed_for_the_step(1)
