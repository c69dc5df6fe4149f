"""A conversation tracker that keeps the history it computed between turns.

Rasa's dialogue policies ask a tracker for its applied events and its past states
several times per turn, and Rasa's ``DialogueStateTracker`` rebuilds both from the first
event every time: it replays the whole session into a fresh tracker and computes a
state before each action. It does the same for ``copy()``, which Rasa's processor calls
before every action. In a long conversation that was most of the server's time per turn
(docs/benchmarks.md). Events are only ever appended to a tracker, so the work done for
the events seen before can be kept on the tracker and continued from there, as Rasa's
own ``TrackerWithCachedStates`` (rasa/shared/core/generator.py) does for training.

``TrackerWithCachedHistory`` is that tracker for serving: our tracker stores
(tracker_store.py, sql_tracker_store.py) build the trackers they hand out from it, and
keep them between turns (kept_trackers.py). Its three methods keep Rasa's own loops,
statement for statement, and carry them forward over the new events only. When a
revert took the last user turns out of the applied events (Rasa's two-stage fallback
does when the user rephrases), the past states resume from a checkpoint kept before
each of the last four user turns. Whenever the history is not a continuation of what
was kept otherwise (a restart, a new form, a changed featurization flag, the event list
cut), they recompute from the start as Rasa does:

- ``applied_events()``: ``DialogueStateTracker.applied_events``;
- ``past_states()``: ``Domain.states_for_tracker_history``, the only code behind Rasa's
  ``past_states``; in Rasa 3.6.21 nothing else calls it (policies, featurizers and
  ``TrackerWithCachedStates`` go through ``tracker.past_states``);
  ``past_states_as_kept()`` hands out the same states uncopied, for a caller that
  copies only what it needs (the policies' featurizer copies the latest few,
  rasa_addons/components/recent_states_featurizer.py);
- ``copy()``: ``travel_back_in_time(inf)``, Rasa's replay into a fresh tracker. A copy is
  a clone of a replay that nothing but the replay ever changes, so it holds what Rasa's
  replay would give (the live tracker may differ: Rasa clears its follow-up action
  directly, without an event).

A ``copy()`` is of this class too, lent the replay it was cloned from: Rasa's processor
runs each action on a copy, and a form copies that copy again and builds a tracker of
its events at each step (rasa_addons/server/speedups.py), so those continue the replay
as well (the copy clones the lent replay the first time it copies, unless the replay has
moved on since). The other trackers derived from one (``init_copy``,
``travel_back_in_time``) are plain ``DialogueStateTracker`` objects, as Rasa makes them:
they serve one truncated prediction, with nothing to continue. ``from_dict`` and
``from_events`` build this class. A bounded event history (``max_event_history``) drops
events from the front, so there is no prefix to continue: such a tracker takes Rasa's
own path.

``tests/rasa_addons/stores/test_cached_tracker.py`` compares both paths over generated
conversations with reverts, restarts, new sessions, forms and slot changes.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from rasa.shared.core.constants import ACTION_LISTEN_NAME, PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

# How many user turns back the states can be resumed after a revert (each checkpoint
# holds a copy of the replay tracker).
_CHECKPOINTS = 4


@dataclass
class _AppliedEvents:
    """``applied_events()`` of a tracker's first ``count`` events."""

    count: int
    last_event: Event | None
    loop_names: set[str]
    applied: list[Event]


@dataclass
class _Checkpoint:
    """Where Rasa's states loop stood before ``applied[count]`` (an ``action_listen``)."""

    count: int
    replay: DialogueStateTracker
    states: int
    last_ml_action_sub_state: Any
    turn_was_hidden: bool
    messages: int  # how many of ``_States.messages`` were recorded then


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
    # A message's flag changed between two of its states: the earlier one is not Rasa's.
    flag_changed: bool = False
    # The loop before the last few user turns, to go back to when a revert (a fallback
    # that asked the user to rephrase, for one) cut them from the applied events.
    checkpoints: list[_Checkpoint] = field(default_factory=list)

    def computed_for(self, domain: Domain) -> bool:
        """Whether these states hold for ``domain`` and the messages as they are now."""
        return self.domain is domain and not self.flag_changed and _flags_unchanged(self.messages)

    def continues_into(self, applied: list[Event]) -> bool:
        """Whether these states are still the start of ``applied``'s states.

        Applied events grow only at their end, lose events (a revert, a loop's undo) or
        start afresh (a restart); nothing is inserted before an event, and each event
        object is in them once. So if the last event these states were computed from
        still has its place, nothing before it was taken out: one comparison instead
        of one per event, a cost that grew with the conversation (as
        ``applied_events()`` checks its own continuation).
        """
        count = len(self.applied)
        return count <= len(applied) and (count == 0 or self.applied[-1] is applied[count - 1])

    def checkpoint(self, count: int) -> None:
        """Remember the loop as it is before ``applied[count]`` (the last few only)."""
        if self.checkpoints and self.checkpoints[-1].count == count:
            return  # kept from before a rewind to it
        self.checkpoints.append(
            _Checkpoint(
                count,
                _clone(self.replay, events=()),  # they are applied[:count]: not copied
                len(self.states),
                self.last_ml_action_sub_state,
                self.turn_was_hidden,
                len(self.messages),
            )
        )
        del self.checkpoints[:-_CHECKPOINTS]

    def rewind_into(self, applied: list[Event]) -> bool:
        """Go back to the last checkpoint that ``applied`` still starts with, if any."""
        same = 0
        for old, new in zip(self.applied, applied, strict=False):
            if old is not new:
                break
            same += 1
        for index in reversed(range(len(self.checkpoints))):
            point = self.checkpoints[index]
            if point.count <= same:
                del self.checkpoints[index + 1 :]
                self.applied = self.applied[: point.count]
                self.replay = _clone(point.replay, events=self.applied)  # it stays as it was
                del self.states[point.states :]
                self.last_ml_action_sub_state = point.last_ml_action_sub_state
                self.turn_was_hidden = point.turn_was_hidden
                self.messages = dict(itertools.islice(self.messages.items(), point.messages))
                return True
        return False


@dataclass
class _Replay:
    """A tracker that has replayed the first ``count`` events, and nothing else."""

    count: int
    last_event: Event | None
    tracker: DialogueStateTracker


@dataclass
class _Lent:
    """Another tracker's replay, lent to a copy made from it (``copy()``)."""

    replay: _Replay
    count: int  # how far it had replayed then

    def taken(self) -> _Replay | None:
        """Return the replay as it was lent, the copy's own (None if it replayed on since).

        It is only ever changed by replaying further, which moves its count.
        """
        if self.replay.count != self.count:
            return None
        return _Replay(self.count, self.replay.last_event, _clone(self.replay.tracker))


class _Options(NamedTuple):
    """The arguments of ``past_states`` after the domain."""

    omit_unset_slots: bool
    ignore_rule_only_turns: bool
    rule_only_data: dict[str, Any] | None


class TrackerWithCachedHistory(DialogueStateTracker):
    """Rasa's tracker, continuing its applied events, past states and copies between calls."""

    def __init__(
        self,
        sender_id: str,
        slots: Iterable[Slot] | None,
        max_event_history: int | None = None,
        sender_source: str | None = None,
        is_rule_tracker: bool = False,
    ) -> None:
        """Create an empty tracker; the arguments are ``DialogueStateTracker``'s."""
        super().__init__(sender_id, slots, max_event_history, sender_source, is_rule_tracker)
        self._kept_applied: _AppliedEvents | None = None
        self._kept_states: dict[tuple[bool, bool, str], _States] = {}
        self._kept_replay: _Replay | _Lent | None = None

    @classmethod
    def from_dict(
        cls,
        sender_id: str,
        events_as_dict: list[dict[str, Any]],
        slots: Iterable[Slot] | None = None,
        max_event_history: int | None = None,
    ) -> TrackerWithCachedHistory:
        """Return Rasa's ``from_dict``, a tracker of this class (typed as one)."""
        tracker = super().from_dict(sender_id, events_as_dict, slots, max_event_history)
        assert isinstance(tracker, TrackerWithCachedHistory)  # Rasa's builds ``cls``
        return tracker

    def applied_events(self) -> list[Event]:
        """Return Rasa's applied events, continued from the last call."""
        if self._max_event_history is not None:
            return super().applied_events()
        events = self.events
        count = len(events)
        kept = self._kept_applied
        if kept and kept.count <= count:
            new_events = list(itertools.islice(events, kept.count, None))
            continues = kept.count == 0 or events[kept.count - 1] is kept.last_event
            if continues and not _loop_names(new_events) - kept.loop_names:
                applied = kept.applied  # only ever handed out as a copy: continued in place
                for event in new_events:
                    applied = self._apply(event, applied, kept.loop_names)
                last_event = events[-1] if count else None
                self._kept_applied = _AppliedEvents(count, last_event, kept.loop_names, applied)
                return list(applied)
        loop_names = _loop_names(events)
        applied = []
        for event in events:
            applied = self._apply(event, applied, loop_names)
        last_event = events[-1] if count else None
        self._kept_applied = _AppliedEvents(count, last_event, loop_names, applied)
        return list(applied)

    def _apply(self, event: Event, applied: list[Event], loop_names: set[str]) -> list[Event]:
        """One step of ``DialogueStateTracker.applied_events``' loop; returns ``applied``."""
        if isinstance(event, (Restarted, SessionStarted)):
            return []
        if isinstance(event, ActionReverted):
            self._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            self._undo_till_previous(UserUttered, applied)
            self._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not self._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            self._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
        return applied

    def past_states(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        """Return Rasa's past states (``Domain.states_for_tracker_history``), continued."""
        if self._max_event_history is not None:
            return super().past_states(
                domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data
            )
        # Callers may edit the states they get (the last user input, for one).
        return copied_states(
            self.past_states_as_kept(
                domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data
            )
        )

    def past_states_as_kept(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> Sequence[State]:
        """Return ``past_states``' states without copying them: to read, never to change.

        For a caller that only needs to look (how many there are, for one): the copy
        ``past_states`` makes grows with the conversation.
        """
        if self._max_event_history is not None:
            return super().past_states(
                domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data
            )
        options = _Options(omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        applied = self.applied_events()
        key = (
            omit_unset_slots,
            ignore_rule_only_turns,
            json.dumps(rule_only_data, sort_keys=True, default=str),
        )
        loop = self._kept_states.pop(key, None)  # put back only once it is consistent again
        if not (
            loop
            and loop.computed_for(domain)
            and (loop.continues_into(applied) or loop.rewind_into(applied))
        ):
            loop = _States(domain, [], self.init_copy())
        for count in range(len(loop.applied), len(applied)):
            event = applied[count]
            if isinstance(event, ActionExecuted):
                if event.action_name == ACTION_LISTEN_NAME:
                    loop.checkpoint(count)
                _visit(domain, loop, loop.replay, event.hide_rule_turn, options)
            loop.replay.update(event)
        loop.applied = applied
        self._kept_states[key] = loop

        # The last prior tracker (after every event) is not kept: the next event changes it.
        final = _States(domain, applied, loop.replay, list(loop.states))
        final.last_ml_action_sub_state = loop.last_ml_action_sub_state
        final.turn_was_hidden = loop.turn_was_hidden
        _visit(domain, final, loop.replay, False, options)
        return final.states

    def copy(self) -> DialogueStateTracker:
        """Return Rasa's copy (a replay of every event), the replay continued from the last."""
        if self._max_event_history is not None or type(self.slots) is not dict:
            return super().copy()  # AnySlotDict makes slots on demand: Rasa's replay
        events = self.events
        replay = self._kept_replay
        self._kept_replay = None  # put back only once it is consistent again
        if isinstance(replay, _Lent):  # a copy's first copy: its own from the lent one
            replay = replay.taken()
        if not (
            replay
            and replay.count <= len(events)
            and (replay.count == 0 or events[replay.count - 1] is replay.last_event)
        ):
            replay = _Replay(0, None, self.init_copy())
        for event in itertools.islice(events, replay.count, None):
            replay.tracker.update(event)
        replay.count, replay.last_event = len(events), events[-1] if events else None
        self._kept_replay = replay
        copied = cast(TrackerWithCachedHistory, _clone(replay.tracker, TrackerWithCachedHistory))
        copied._kept_applied = None
        copied._kept_states = {}
        copied._kept_replay = _Lent(replay, replay.count)  # cloned if it copies in turn
        return copied

    def replay_since_latest_restart(self, slots: Iterable[Slot]) -> DialogueStateTracker:
        """Return ``DialogueStateTracker.from_events`` of the events since the latest restart.

        Rasa's form builds such a tracker at each step it takes
        (``FormAction._temporary_tracker``, rasa_addons/server/speedups.py), a replay of
        the whole session. This is the kept replay of ``copy()`` instead, listing the
        events since the restart only. A ``Restarted`` event resets a tracker to what a
        new one holds but for the follow-up action it asks for (``action_session_start``),
        which the next action executed or follow-up set replaces: once one of those came
        after the restart, both replays hold the same. Otherwise (none came yet, a
        bounded history, slots other than the domain's) this is Rasa's replay.

        Args:
            slots: The domain's slots (Rasa's replay starts from them).

        """
        slots = list(slots)
        start = self.idx_after_latest_restart()
        events = self.events
        replaced = start == 0 or any(
            isinstance(event, (ActionExecuted, FollowupAction))
            for event in itertools.islice(events, start, None)
        )
        continued = (
            self._max_event_history is None
            and type(self.slots) is dict
            and self.slots.keys() == {slot.name for slot in slots}  # the domain's slots
        )
        if not (continued and replaced):
            return DialogueStateTracker.from_events(
                self.sender_id, self.events_after_latest_restart(), slots
            )
        replay = self.copy()
        if start:
            replay.events = deque(itertools.islice(events, start, None), events.maxlen)
            if isinstance(replay, TrackerWithCachedHistory):  # lent for all the events:
                replay._kept_replay = None  # its next copy replays anew
        return replay


def copied_states(states: Iterable[State]) -> list[State]:
    """Return ``states`` copied as deep as a caller of ``past_states`` may edit them."""
    return [{name: dict(sub_state) for name, sub_state in state.items()} for state in states]


def _flags_unchanged(messages: dict[int, tuple[UserUttered, bool | None]]) -> bool:
    return all(message.use_text_for_featurization == flag for message, flag in messages.values())


def _loop_names(events: Any) -> set[str]:
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


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
    flag = message.use_text_for_featurization
    if loop.messages.get(id(message), (message, flag))[1] != flag:
        loop.flag_changed = True
    loop.messages[id(message)] = (message, flag)


def _clone(
    tracker: DialogueStateTracker,
    as_class: type[DialogueStateTracker] = DialogueStateTracker,
    events: Iterable[Event] | None = None,
) -> DialogueStateTracker:
    """Return a tracker with ``tracker``'s state, sharing nothing a caller could change.

    It is a plain tracker, or of ``as_class`` (whose own attributes are the caller's to
    set), and its events are ``tracker``'s, or ``events`` where given.
    """
    clone: DialogueStateTracker = object.__new__(as_class)
    clone.__dict__.update(tracker.__dict__)
    clone.events = deque(tracker.events if events is None else events, tracker.events.maxlen)
    clone.slots = {name: copy.copy(slot) for name, slot in tracker.slots.items()}
    clone.active_loop = copy.copy(tracker.active_loop)  # interrupt_loop() edits it
    latest_action = tracker.latest_action
    clone.latest_action = dict(latest_action) if latest_action is not None else None
    return clone
