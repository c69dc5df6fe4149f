"""rasa_addons.incremental_states: the same history as Rasa's, at a cost that does not grow.

Generated conversations (user messages with entities, actions, slots of every kind,
forms starting and stopping, reverted messages and actions, restarts, new sessions)
are fed to one tracker event by event. After each event the tracker's applied events
and past states, with the fixes installed, are compared with what Rasa's own code
computes for the same events from scratch. The states handed out are then scribbled
over, as a caller might, to show that what is kept for the next call is not affected.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from rasa_addons import incremental_states

TEST_DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, inform, deny, ask_tier]
entities: [tier, competency]
slots:
  tier: {type: categorical, values: [silver, gold], mappings: [{type: from_entity, entity: tier}]}
  flag: {type: bool, mappings: [{type: custom}]}
  amount: {type: float, min_value: 0, max_value: 10, mappings: [{type: custom}]}
  note: {type: text, mappings: [{type: custom}]}
  items: {type: list, mappings: [{type: custom}]}
  goal: {type: text, mappings: [{type: from_entity, entity: competency}]}
forms:
  goal_form: {required_slots: [goal]}
responses:
  utter_greet: [{text: hi}]
actions: [action_answer]
""")
VALUES: dict[str, list[Any]] = {
    "tier": ["silver", "gold", "bronze", None],
    "flag": [True, False, None],
    "amount": [0.0, 3.5, 12, None],
    "note": ["x", None],
    "items": [["a"], [], None],
}
PastStatesOptions = tuple[bool, bool, dict[str, list[str]] | None]


def random_event(rng: random.Random, domain: Domain) -> Event:
    forms = list(domain.form_names)
    kind = rng.choices(
        ["user", "action", "listen", "slot", "bot", "loop", "loop_end", "user_revert",
         "action_revert", "restart", "session", "featurization", "followup", "interrupted",
         "rejected", "paused", "resumed"],
        [14, 12, 12, 8, 6, 2, 2, 2, 2, 0.5, 0.5, 2, 1, 1, 1, 0.3, 0.3])[0]  # fmt: skip
    if kind == "user":
        entities = [
            {"entity": rng.choice(domain.entities), "value": "v", "start": 0, "end": 1}
            for _ in range(rng.choice([0, 0, 1, 2]))
        ]
        intent = {"name": rng.choice(domain.intents), "confidence": 1.0}
        return UserUttered("text", intent, entities)
    if kind == "action":
        return ActionExecuted(
            rng.choice(domain.action_names_or_texts + forms), hide_rule_turn=rng.random() < 0.2
        )
    if kind == "listen":
        return ActionExecuted("action_listen")
    if kind == "slot":
        name = rng.choice([s.name for s in domain.slots])
        return SlotSet(name, rng.choice(VALUES.get(name, ["some value", None])))
    if kind == "bot":
        return BotUttered("reply")
    if kind == "loop":
        return ActiveLoop(rng.choice(forms)) if forms else BotUttered("no forms")
    if kind == "loop_end":
        return ActiveLoop(None)
    if kind == "user_revert":
        return UserUtteranceReverted()
    if kind == "action_revert":
        return ActionReverted()
    if kind == "restart":
        return Restarted()
    if kind == "session":
        return SessionStarted()
    if kind == "featurization":
        return DefinePrevUserUtteredFeaturization(rng.random() < 0.5)
    if kind == "interrupted":
        return LoopInterrupted(rng.random() < 0.5)
    if kind == "rejected":
        return ActionExecutionRejected(rng.choice(domain.action_names_or_texts))
    if kind == "paused":
        return ConversationPaused()
    if kind == "resumed":
        return ConversationResumed()
    return FollowupAction(rng.choice(domain.action_names_or_texts))


def options(domain: Domain) -> list[PastStatesOptions]:
    slots = [s.name for s in domain.slots]
    return [
        (False, False, None),
        (True, False, None),
        (False, True, {"rule_only_slots": slots[:2], "rule_only_loops": list(domain.form_names)}),
        (True, True, {"rule_only_slots": slots[-1:], "rule_only_loops": []}),
    ]


def snapshot(tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    """Everything a copy holds that Rasa or an action could read."""
    return {
        "state": tracker.current_state(EventVerbosity.ALL),
        "slots": {name: slot.value for name, slot in tracker.slots.items()},
        "latest_action": tracker.latest_action,
        "active_loop": repr(tracker.active_loop),
        "paused": tracker.is_paused(),
        "followup": tracker.followup_action,
        "states": tracker.past_states(domain),
    }


def from_scratch(
    events: list[Event], domain: Domain, sender: str
) -> tuple[list[int], list[Any], dict[str, Any]]:
    """Rasa's own code, with the fixes taken out for the moment."""
    with pytest.MonkeyPatch.context() as unfixed:
        unfixed.setattr(
            DialogueStateTracker, "applied_events", incremental_states._rasa_applied_events
        )
        unfixed.setattr(
            Domain,
            "states_for_tracker_history",
            incremental_states._rasa_states_for_tracker_history,
        )
        unfixed.setattr(DialogueStateTracker, "copy", incremental_states._rasa_copy)
        tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
        applied = [id(e) for e in tracker.applied_events()]
        states = [tracker.past_states(domain, *o) for o in options(domain)]
        return applied, states, snapshot(tracker.copy(), domain)


@pytest.fixture(scope="module")
def report(domain: Domain) -> dict[str, Any]:
    incremental_states.apply()
    rng = random.Random(20261130)
    report: dict[str, Any] = {"steps": 0, "mismatches": [], "copy_mismatches": [], "kinds": {}}
    for domain_name, test_domain in (("test", TEST_DOMAIN), ("project", domain)):
        for conversation in range(25):
            sender = f"{domain_name}-{conversation}"
            tracker = DialogueStateTracker(sender, test_domain.slots)
            for step in range(90):
                event = random_event(rng, test_domain)
                kind = type(event).__name__
                report["kinds"][kind] = report["kinds"].get(kind, 0) + 1
                tracker.update(event)
                if rng.random() < 0.1:  # as Rasa's processor does, without an event
                    tracker.clear_followup_action()
                applied = [id(e) for e in tracker.applied_events()]
                states = [tracker.past_states(test_domain, *o) for o in options(test_domain)]
                copied = tracker.copy()
                expected_applied, expected_states, expected_copy = from_scratch(
                    list(tracker.events), test_domain, sender
                )
                report["steps"] += 1
                if applied != expected_applied or states != expected_states:
                    report["mismatches"].append(f"{sender} after event {step}: {event}")
                if snapshot(copied, test_domain) != expected_copy:
                    report["copy_mismatches"].append(f"{sender} after event {step}: {event}")
                # what an action run does to its copy must not reach the next copy
                copied.update(SlotSet(test_domain.slots[0].name, "changed in the copy"))
                copied.update(LoopInterrupted(True))  # edits the active loop in place
                copied.update(ActiveLoop(rng.choice(list(test_domain.form_names))))
                copied.update(BotUttered("only in the copy"))
                for kept in states:  # a caller editing what it got
                    for state in kept:
                        for sub_state in state.values():
                            sub_state.clear()
    return report


def test_history_matches_rasas_after_every_event(report: dict[str, Any]) -> None:
    assert report["steps"] == 2 * 25 * 90
    assert report["mismatches"] == []


def test_a_copy_holds_what_rasas_replay_gives_and_its_changes_stay_in_it(
    report: dict[str, Any],
) -> None:
    assert report["copy_mismatches"] == []


def test_the_conversations_exercise_every_kind_of_history_change(
    report: dict[str, Any],
) -> None:
    for kind in ("UserUtteranceReverted", "ActionReverted", "Restarted", "SessionStarted"):
        assert report["kinds"].get(kind, 0) >= 5, kind
    assert report["kinds"].get("ActiveLoop", 0) >= 20
