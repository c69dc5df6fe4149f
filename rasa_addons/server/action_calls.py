"""What Rasa sends with each action call: the latest turn's events, not the whole dialogue.

Rasa 3.6.21 sends every custom-action call the tracker with ``EventVerbosity.ALL``
(``RemoteAction._action_call_format``, rasa/core/actions/action.py lines 651-674):
every event of the conversation, each turned into a dict, encoded, sent and parsed by
the app again. A conversation never ends on Slack, so that cost grew without bound:
at 300 turns the call carried about 1.6 MB (every user message's parse data, its
2 KB MiniLM embedding included), a quarter of what the Rasa server's turn had grown
by and all of what the app's had (profiled: docs/benchmarks.md, "One long
conversation").

``action_call_format`` builds the same request, with ``tracker.events`` holding the
events from the latest user message on. Everything else the action reads is unchanged:
the slots, ``latest_message`` (its embedding and entities), the active loop, the latest
action and input channel are fields of their own, and rasa-sdk's ``Tracker`` methods
that walk the events (``get_latest_input_channel``, ``slots_to_validate``) stop at the
latest user message. An action that reads the history itself gets all of it: it is
listed in ``HISTORY_ACTIONS`` (today the handoff, whose ticket keeps the transcript).
A conversation without a user message yet sends all its events (a few).
"""

from __future__ import annotations

from typing import Any

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

# Actions that read ``tracker.events`` beyond the latest user message (actions/): they
# get every event, as Rasa sends them. A new action that reads the history goes here.
HISTORY_ACTIONS = frozenset({"action_human_handoff"})


def latest_turn(tracker: DialogueStateTracker) -> list[Event]:
    """Return the events from the latest user message on; all of them where there is none."""
    turn: list[Event] = []
    for event in reversed(tracker.events):
        turn.append(event)
        if isinstance(event, UserUttered):
            turn.reverse()
            return turn
    return list(tracker.events)


def action_call_format(
    self: RemoteAction, tracker: DialogueStateTracker, domain: Domain
) -> dict[str, Any]:
    """Drop-in for ``RemoteAction._action_call_format``: the latest turn's events only."""
    tracker_state = tracker.current_state(EventVerbosity.NONE)
    events = list(tracker.events) if self.name() in HISTORY_ACTIONS else latest_turn(tracker)
    tracker_state["events"] = [event.as_dict() for event in events]

    result = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": tracker_state,
        "version": rasa.__version__,
    }
    # Rasa's rule for the domain, unchanged (endpoints.yml: enable_selective_domain).
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(
        self.name()
    ):
        result["domain"] = domain.as_dict()
    return result
