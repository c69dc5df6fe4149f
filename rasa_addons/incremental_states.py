"""Dialogue history work per turn that does not grow with the conversation.

Rasa's dialogue policies ask a tracker for its applied events and its past states
several times per turn, and Rasa rebuilds both from the first event every time: it
replays the whole session into a fresh tracker and computes a state before each
action. In a long conversation that was most of the server's time per turn
(docs/benchmarks.md). Events are only ever appended to a tracker, so the work done for
the events seen before can be kept on the tracker and continued from there.

The same goes for ``DialogueStateTracker.copy()``, which Rasa makes before every action
call by replaying every event into a new tracker.

The drop-ins below keep Rasa's own loops, statement for statement, and carry them
forward over the new events only. Whenever the history is not a plain continuation of
what was cached (a revert or restart changed the applied events, a new form appeared,
the event list was cut), they recompute from the start exactly as Rasa does. A copy is
a clone of a replay that nothing but the replay ever changes, so it holds what Rasa's
own replay would give (the live tracker may differ: Rasa clears its follow-up action
directly, without an event). Trackers with a bounded event history and Rasa's training
trackers (subclasses) always take Rasa's own path.

``tests/rasa_addons/test_incremental_states.py`` compares both paths over generated
conversations with reverts, restarts, new sessions, forms and slot changes.
"""

from __future__ import annotations

import copy
import itertools
import json
import operator
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

_APPLIED_ATTRIBUTE = "_rasa_addons_applied_events"
_STATES_ATTRIBUTE = "_rasa_addons_states"
_REPLAY_ATTRIBUTE = "_rasa_addons_replay"
_ATTRIBUTE_PREFIX = "_rasa_addons_"


@dataclass
class _AppliedEvents:
    """``applied_events()`` of a tracker's first ``count`` events."""

    count: int
    last_event: Event | None
    loop_names: set[str]
    applied: list[Event]


@dataclass
class _States:
    """Rasa's states loop, stopped after ``applied`` (the replay tracker is there)."""

    domain: Domain
    applied: list[Event]
    replay: DialogueStateTracker
    states: list[State] = field(default_factory=list)
    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False
    # The user messages the states were computed from, with their featurization flag
    # then: a later DefinePrevUserUtteredFeaturization event changes the flag on the
    # message itself, and with it Rasa's state for that message.
    messages: dict[int, tuple[UserUttered, bool | None]] = field(default_factory=dict)

    def continues_into(self, domain: Domain, applied: list[Event]) -> bool:
        """Whether these states are still the start of ``applied``'s states."""
        return (
            self.domain is domain
            and len(self.applied) <= len(applied)
            and all(map(operator.is_, self.applied, applied))
            and all(
                message.use_text_for_featurization == flag
                for message, flag in self.messages.values()
            )
        )


def _cacheable(tracker: DialogueStateTracker) -> bool:
    # Rasa's training trackers subclass DialogueStateTracker and cache on their own;
    # a bounded history drops events from the front, so a prefix would not hold.
    return type(tracker) is DialogueStateTracker and tracker._max_event_history is None


def _apply(
    tracker: DialogueStateTracker, event: Event, applied: list[Event], loop_names: set[str]
) -> list[Event]:
    """One step of ``DialogueStateTracker.applied_events``' loop; returns ``applied``."""
    if isinstance(event, (Restarted, SessionStarted)):
        return []
    if isinstance(event, ActionReverted):
        tracker._undo_till_previous(ActionExecuted, applied)
    elif isinstance(event, UserUtteranceReverted):
        tracker._undo_till_previous(UserUttered, applied)
        tracker._undo_till_previous(ActionExecuted, applied)
    elif (
        isinstance(event, ActionExecuted)
        and event.action_name in loop_names
        and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
    ):
        tracker._undo_till_previous_loop_execution(event.action_name, applied)
    else:
        applied.append(event)
    return applied


def _loop_names(events: Any) -> set[str]:
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """Drop-in for ``DialogueStateTracker.applied_events``, continued from the last call."""
    if not _cacheable(self):
        return _rasa_applied_events(self)
    events = self.events
    count = len(events)
    cached: _AppliedEvents | None = self.__dict__.get(_APPLIED_ATTRIBUTE)
    if cached and cached.count <= count:
        new_events = list(itertools.islice(events, cached.count, None))
        continues = cached.count == 0 or events[cached.count - 1] is cached.last_event
        if continues and not _loop_names(new_events) - cached.loop_names:
            applied = list(cached.applied)
            for event in new_events:
                applied = _apply(self, event, applied, cached.loop_names)
            cached = _AppliedEvents(
                count, events[-1] if count else None, cached.loop_names, applied
            )
            self.__dict__[_APPLIED_ATTRIBUTE] = cached
            return list(applied)
    loop_names = _loop_names(events)
    applied = []
    for event in events:
        applied = _apply(self, event, applied, loop_names)
    last_event = events[-1] if count else None
    self.__dict__[_APPLIED_ATTRIBUTE] = _AppliedEvents(count, last_event, loop_names, applied)
    return list(applied)


class _Options(NamedTuple):
    """The arguments of ``Domain.states_for_tracker_history`` after the tracker."""

    omit_unset_slots: bool
    ignore_rule_only_turns: bool
    rule_only_data: dict[str, Any] | None


def _visit(
    domain: Domain,
    loop: _States,
    tracker: DialogueStateTracker,
    hide_rule_turn: bool,
    options: _Options,
) -> None:
    """Run the body of ``Domain.states_for_tracker_history``' loop for one prior tracker."""
    if options.ignore_rule_only_turns:
        if not loop.turn_was_hidden:
            loop.last_ml_action_sub_state = domain._get_prev_action_sub_state(tracker)
        if not tracker.followup_action and tracker.latest_action_name != tracker.active_loop_name:
            loop.turn_was_hidden = hide_rule_turn
        if loop.turn_was_hidden:
            return
    state = domain.get_active_state(tracker, omit_unset_slots=options.omit_unset_slots)
    if options.ignore_rule_only_turns:
        domain._remove_rule_only_features(state, options.rule_only_data)
        if loop.states:
            domain._substitute_rule_only_user_input(state, loop.states[-1])
        if loop.last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = loop.last_ml_action_sub_state
    loop.states.append(domain._clean_state(state))
    message = tracker.latest_message
    assert message is not None  # a tracker starts with UserUttered.empty(), never None
    loop.messages[id(message)] = (message, message.use_text_for_featurization)


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Drop-in for ``Domain.states_for_tracker_history``, continued from the last call."""
    if not _cacheable(tracker):
        return _rasa_states_for_tracker_history(
            self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )
    options = _Options(omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    applied = tracker.applied_events()
    key = (
        omit_unset_slots,
        ignore_rule_only_turns,
        json.dumps(rule_only_data, sort_keys=True, default=str),
    )
    caches: dict[tuple, _States] = tracker.__dict__.setdefault(_STATES_ATTRIBUTE, {})
    loop = caches.pop(key, None)  # put back only once it is consistent again
    if not (loop and loop.continues_into(self, applied)):
        loop = _States(self, [], tracker.init_copy())
    for event in applied[len(loop.applied) :]:
        if isinstance(event, ActionExecuted):
            _visit(self, loop, loop.replay, event.hide_rule_turn, options)
        loop.replay.update(event)
    loop.applied = applied
    caches[key] = loop

    # The last prior tracker (after every event) is not kept: the next event changes it.
    final = _States(self, applied, loop.replay, list(loop.states))
    final.last_ml_action_sub_state = loop.last_ml_action_sub_state
    final.turn_was_hidden = loop.turn_was_hidden
    _visit(self, final, loop.replay, False, options)
    # Callers may edit the states they get (the last user input, for one).
    return [{name: dict(sub_state) for name, sub_state in state.items()} for state in final.states]


@dataclass
class _Replay:
    """A tracker that has replayed the first ``count`` events, and nothing else."""

    count: int
    last_event: Event | None
    tracker: DialogueStateTracker


def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    """Drop-in for ``DialogueStateTracker.copy``: Rasa's replay, continued from the last call."""
    if not _cacheable(self) or type(self.slots) is not dict:
        return _rasa_copy(self)
    events = self.events
    replay: _Replay | None = self.__dict__.pop(_REPLAY_ATTRIBUTE, None)
    if not (
        replay
        and replay.count <= len(events)
        and (replay.count == 0 or events[replay.count - 1] is replay.last_event)
    ):
        replay = _Replay(0, None, self.init_copy())
    for event in itertools.islice(events, replay.count, None):
        replay.tracker.update(event)
    replay.count, replay.last_event = len(events), events[-1] if events else None
    self.__dict__[_REPLAY_ATTRIBUTE] = replay
    return _clone(replay.tracker)


def _clone(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """Return a tracker with ``tracker``'s state, sharing nothing a caller could change."""
    clone: DialogueStateTracker = object.__new__(DialogueStateTracker)
    for name, value in tracker.__dict__.items():
        if not name.startswith(_ATTRIBUTE_PREFIX):
            clone.__dict__[name] = value
    clone.events = deque(tracker.events, tracker.events.maxlen)
    clone.slots = {name: copy.copy(slot) for name, slot in tracker.slots.items()}
    clone.active_loop = copy.copy(tracker.active_loop)  # interrupt_loop() edits it
    latest_action = tracker.latest_action
    clone.latest_action = dict(latest_action) if latest_action is not None else None
    return clone


_rasa_applied_events: Callable[[DialogueStateTracker], list[Event]] = (
    DialogueStateTracker.applied_events
)
_rasa_states_for_tracker_history = Domain.states_for_tracker_history
_rasa_copy: Callable[[DialogueStateTracker], DialogueStateTracker] = DialogueStateTracker.copy


def apply() -> None:
    """Install the drop-ins (idempotent)."""
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
    DialogueStateTracker.copy = copy_tracker  # type: ignore[method-assign]
