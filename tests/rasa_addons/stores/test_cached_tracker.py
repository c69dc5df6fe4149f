"""rasa_addons.stores.cached_tracker: the same history as Rasa's, at a cost that does not grow.

Generated conversations (user messages with entities, actions, slots of every kind,
forms starting and stopping, reverted messages and actions, restarts, new sessions)
are fed to one ``TrackerWithCachedHistory`` event by event. After each event its
applied events, past states, copy and replay since the latest restart are compared
with what Rasa's own ``DialogueStateTracker`` computes for the same events from
scratch. The states handed
out are then scribbled over, as a caller might, to show that what is kept for the next
call is not affected.
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

from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory
from tests.rasa_addons.replays import counting_replays

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
    """Rasa's own code: a plain tracker rebuilt from the events."""
    tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
    assert type(tracker) is DialogueStateTracker
    applied = [id(e) for e in tracker.applied_events()]
    states = [tracker.past_states(domain, *o) for o in options(domain)]
    return applied, states, snapshot(tracker.copy(), domain)


@pytest.fixture(scope="module")
def report(domain: Domain) -> dict[str, Any]:
    rng = random.Random(20261130)
    report: dict[str, Any] = {
        "steps": 0,
        "mismatches": [],
        "copy_mismatches": [],
        "replay_mismatches": [],
        "replays_after_a_restart": 0,
        "kinds": {},
    }
    for domain_name, test_domain in (("test", TEST_DOMAIN), ("project", domain)):
        for conversation in range(25):
            sender = f"{domain_name}-{conversation}"
            tracker = TrackerWithCachedHistory(sender, test_domain.slots)
            for step in range(90):
                event = random_event(rng, test_domain)
                kind = type(event).__name__
                report["kinds"][kind] = report["kinds"].get(kind, 0) + 1
                tracker.update(event)
                if rng.random() < 0.1:  # as Rasa's processor does, without an event
                    tracker.clear_followup_action()
                applied = [id(e) for e in tracker.applied_events()]
                states = [tracker.past_states(test_domain, *o) for o in options(test_domain)]
                as_kept = [
                    list(tracker.past_states_as_kept(test_domain, *o)) for o in options(test_domain)
                ]
                copied = tracker.copy()
                expected_applied, expected_states, expected_copy = from_scratch(
                    list(tracker.events), test_domain, sender
                )
                report["steps"] += 1
                if applied != expected_applied or not states == as_kept == expected_states:
                    report["mismatches"].append(f"{sender} after event {step}: {event}")
                if snapshot(copied, test_domain) != expected_copy:
                    report["copy_mismatches"].append(f"{sender} after event {step}: {event}")
                replayed = tracker.replay_since_latest_restart(test_domain.slots)
                rasas_replay = DialogueStateTracker.from_events(
                    sender, tracker.events_after_latest_restart(), test_domain.slots
                )
                if snapshot(replayed, test_domain) != snapshot(rasas_replay, test_domain):
                    report["replay_mismatches"].append(f"{sender} after event {step}: {event}")
                report["replays_after_a_restart"] += tracker.idx_after_latest_restart() > 0
                replayed.update(SlotSet(test_domain.slots[0].name, "changed in the replay"))
                replayed.update(LoopInterrupted(True))
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


def test_a_replay_since_the_latest_restart_holds_what_rasas_gives_and_its_changes_stay_in_it(
    report: dict[str, Any],
) -> None:
    assert report["replay_mismatches"] == []
    assert report["replays_after_a_restart"] > 100


def test_the_conversations_exercise_every_kind_of_history_change(
    report: dict[str, Any],
) -> None:
    for kind in ("UserUtteranceReverted", "ActionReverted", "Restarted", "SessionStarted"):
        assert report["kinds"].get(kind, 0) >= 5, kind
    assert report["kinds"].get("ActiveLoop", 0) >= 20


def _conversation(turns: int) -> list[Event]:
    events: list[Event] = [ActionExecuted("action_listen")]
    for turn in range(turns):
        intent = {"name": "inform", "confidence": 1.0}
        events += [
            UserUttered(f"message {turn}", intent),
            SlotSet("note", f"note {turn}"),
            ActionExecuted("action_answer"),
            BotUttered(f"answer {turn}"),
            ActionExecuted("action_listen"),
        ]
    return events


# A turn whose message the bot asked to have rephrased: Rasa's fallback reverts it.
REPHRASED_TURN: list[Event] = [
    UserUttered("unclear", {"name": "inform", "confidence": 0.2}),
    ActionExecuted("action_answer"),
    BotUttered("Could you rephrase that?"),
    ActionExecuted("action_listen"),
    UserUttered("clear now", {"name": "ask_tier", "confidence": 1.0}),
    UserUtteranceReverted(),
    ActionExecuted("action_answer"),
    BotUttered("answer"),
    ActionExecuted("action_listen"),
]


@pytest.mark.parametrize("turn", ["plain", "rephrased"])
def test_a_new_turn_costs_the_same_after_300_turns_as_after_one(
    turn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_events = _conversation(1)[1:] if turn == "plain" else REPHRASED_TURN

    def replayed_events_for_next_turn(turns: int) -> int:
        tracker = TrackerWithCachedHistory.from_events(
            "long", _conversation(turns), TEST_DOMAIN.slots
        )
        tracker.past_states(TEST_DOMAIN)
        tracker.copy()
        with counting_replays(monkeypatch) as replayed:
            for event in new_events:
                tracker.update(event)
                tracker.past_states(TEST_DOMAIN)  # as the policies ask after each action
            tracker.copy()
        expected = DialogueStateTracker.from_events("long", list(tracker.events), TEST_DOMAIN.slots)
        assert tracker.past_states(TEST_DOMAIN) == expected.past_states(TEST_DOMAIN)
        return replayed[0]

    assert replayed_events_for_next_turn(300) == replayed_events_for_next_turn(1)


def test_rasa_builds_this_class_from_stored_events_and_plain_trackers_for_one_off_uses() -> None:
    events = _conversation(3)
    dumped = [event.as_dict() for event in events]
    assert type(TrackerWithCachedHistory.from_dict("p", dumped, TEST_DOMAIN.slots)) is (
        TrackerWithCachedHistory
    )
    tracker = TrackerWithCachedHistory.from_events("p", events, TEST_DOMAIN.slots)
    assert type(tracker) is TrackerWithCachedHistory
    # What Rasa derives for one prediction is Rasa's plain tracker; a copy, which an
    # action runs on, continues the replay it was cloned from.
    for derived in (tracker.init_copy(), tracker.travel_back_in_time(0)):
        assert type(derived) is DialogueStateTracker
    assert type(tracker.copy()) is TrackerWithCachedHistory
    assert tracker.copy().current_state(EventVerbosity.ALL) == DialogueStateTracker.from_events(
        "p", events, TEST_DOMAIN.slots
    ).current_state(EventVerbosity.ALL)


def test_a_bounded_history_is_computed_by_rasa_unchanged() -> None:
    events = _conversation(4)
    ours = TrackerWithCachedHistory.from_events("p", events, TEST_DOMAIN.slots, 7)
    rasas = DialogueStateTracker.from_events("p", events, TEST_DOMAIN.slots, 7)
    assert ours.applied_events() == rasas.applied_events()
    assert ours.past_states(TEST_DOMAIN) == rasas.past_states(TEST_DOMAIN)
    assert ours.copy().current_state(EventVerbosity.ALL) == rasas.copy().current_state(
        EventVerbosity.ALL
    )
