"""Replacements for Rasa 3.6's costliest steps per turn, measured rather than guessed.

Profiled under load (py-spy on the Rasa server, 16 conversations; figures in
docs/benchmarks.md), these took most of the Rasa process's time per turn, doing the
same work again and again. Each replacement keeps Rasa's behaviour and its error
messages; rasa_addons/server/patches.py lists them, with the Rasa code each replaces,
and installs them before Rasa starts.

1. Action server replies (``validate_action_result``): ``jsonschema.validate()``
   re-checked the large events schema against the JSON Schema meta-schema on every
   custom action (40-60 ms each). The validator is now built once, and each event is
   checked against the one branch of the schema's ``oneOf`` that its ``event`` name
   selects (the names are distinct, so the result is the same); an event with an
   unknown name gets the full schema and Rasa's own error.
2. Event deserialisation (``resolve_by_type``): ``Event.resolve_by_type`` walked every
   subclass of ``Event`` for each event of each stored conversation; the lookup is now
   a dictionary, rebuilt when a name is not in it (an event class defined later is
   still found).
3. Garbage collection (``load_agent_then_freeze``): a full collection walked every
   object of TensorFlow, Rasa and the model, 260-350 ms with the event loop stopped
   and every conversation in flight waiting, once or twice a minute under load. Once
   the model is loaded at start-up, what exists then is frozen out of the collector's
   sight (``gc.freeze()``); newer objects are collected as before. A model loaded later
   over the HTTP API (``PUT /model``) is not frozen: it is collected as Rasa would.
4. Calls to the action server (``endpoint_session``): every action call carried the
   whole tracker (about 300 KB at 60 turns), encoded by the standard library's
   ``json`` in 2-3 ms. Rasa's HTTP sessions now encode request bodies with orjson
   (0.2 ms, ``rasa_addons/json_text.py``), the same JSON text apart from spacing and
   escaping; anything orjson cannot encode goes to ``json.dumps`` as before. (Since
   then a call carries the latest turn's events only, action_calls.py.) And each call
   opened a new session and TCP connection, which the app accepted anew: the
   sessions now share one pool of connections per event loop, each kept idle for
   ``KEEPALIVE_SECONDS`` (1 s), under the app's 5 s (uvicorn's default), so Rasa
   always closes an idle connection before the app does. Measured on a knowledge
   turn: the Rasa server's CPU time 19.6 -> 18.3 ms, the app's 7.0 -> 6.5 ms.
5. RulePolicy's debug line (``format_tracker_states``): RulePolicy formats every past
   state of the dialogue as text for a ``structlog`` debug line once or twice per
   prediction (rasa/core/policies/rule_policy.py lines 1025-1028), and Python builds
   the text before the logger drops the line: 1.7 ms at 300 turns when it got every
   state, 0.1 ms for the 14 states it gets now (rasa_addons/components/
   recent_states_featurizer.py). The text is now built only when that logger writes
   debug lines; otherwise the line gets ``DEBUG_OFF``. RulePolicy's is Rasa 3.6.21's
   only call (a subclass of RulePolicy would fail Rasa's training checks, which
   compare a node's class with ``RulePolicy`` itself).
6. RulePolicy's rule matching (``possible_rule_keys``): ``_get_possible_keys`` walks
   every past state of the dialogue back from the latest, keeping the rules that still
   match, and does not stop when it has passed the end of every rule: there each rule
   is applicable by definition (rasa/core/policies/rule_policy.py lines 884-887), so
   the rest of the walk keeps the set as it is, at a cost that grew with every turn
   (the largest part of what turn 300 still cost more than turn 1, profiled). The walk
   now stops past the longest rule still possible, and at the latest state it matches
   only the rules whose last state asks for that state's previous action (or for none
   in particular): a third of the time per call on the model's rules. The keys are
   the same. (RulePolicy now gets only the latest states, as many as a rule can match,
   from its featurizer: the index at the latest state is what still counts.)
7. The domain's emptiness check (``domain_is_empty``): the processor asks whether the
   model's domain is empty before it checks each parsed message's intent and
   entities against it (rasa/core/processor.py line 672), and ``Domain.is_empty``
   builds a new empty domain from scratch to compare with, every time: 0.1 ms of
   every message, as much as the regex featurizer. The empty domain's data is now
   built once; the comparison is Rasa's.
8. The processor's debug lines (``DebugLineCopies``): rasa/core/processor.py deep-copies
   the message's text and entities, the slots, and each action's events for its
   ``structlog`` debug lines (lines 207, 658, 731, 733, 1040 and 1050), and Python
   makes the copies before the logger drops the line: 18 copies, 0.15 ms of every
   knowledge turn. Its ``copy`` module, used for nothing else there, is replaced by
   one whose ``deepcopy`` copies only while that logger writes debug lines.
9. The form's temporary tracker (``temporary_form_tracker``): at each step a form takes
   (asking for a slot, taking an answer), Rasa's ``FormAction`` builds a tracker of the
   session's events plus the step's new ones, replaying every event of the session from
   the first (rasa/core/actions/forms.py lines 283-297): "recommend courses" cost
   1.53x at turns 300-360 of one conversation what it cost at turns 1-60. The replay is
   now the one our stores' trackers keep between turns (``TrackerWithCachedHistory.
   replay_since_latest_restart``; the copy Rasa's processor runs the form on is lent
   it), continued over the new events, and the step's events are added to it as Rasa
   adds them.

The other steps measured then are done through Rasa's extension points instead: the
model graphs run without dask (rasa_addons/server/graph_runner.py), the dialogue
history is kept between turns (rasa_addons/stores/), and RulePolicy gets only the
latest states its rules can match (rasa_addons/components/recent_states_featurizer.py,
named in config.yml). Memoization's own per-turn deep copy for a debug line went with
the policy: config.yml uses none, the rules carry every story.

A kept connection was tried before with aiohttp's 15 s keep-alive: one that the app
closed as idle (after its 5 s) at the moment Rasa reused it failed the action
("Cannot write to closing transport"). With Rasa's keep-alive under the app's, the app
never closes a connection that Rasa would still reuse.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import gc
import logging
import weakref
from typing import Any, cast

import aiohttp
import rasa.core.run
from jsonschema import Draft4Validator, ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.agent import Agent
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, REQUESTED_SLOT, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT
from rasa.shared.utils.common import all_subclasses
from rasa.shared.utils.schemas.events import EVENT_SCHEMA
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from rasa_addons.json_text import json_dumps
from rasa_addons.stores.cached_tracker import TrackerWithCachedHistory

_DOCS_HINT = (
    ". Failed to validate Action server response from API, "
    "make sure your response from the Action endpoint is valid. "
    f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
)


def _checked_validator(schema: dict[str, Any]) -> Draft4Validator:
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator: Draft4Validator = validator_class(schema)
    return validator


@functools.lru_cache(maxsize=1)
def _reply_validators() -> tuple[Draft4Validator, Draft4Validator, dict[str, Draft4Validator]]:
    """Return validators for a reply's shape, for any event, and for each event name."""
    reply = RemoteAction.action_response_format_spec()
    shape = {**reply, "properties": {**reply["properties"], "events": {"type": "array"}}}
    any_event = _checked_validator(EVENT_SCHEMA)
    # Each branch is part of EVENT_SCHEMA, checked just above: no meta-schema check again.
    common = {key: value for key, value in EVENT_SCHEMA.items() if key != "oneOf"}
    branches = cast(list[dict[str, Any]], EVENT_SCHEMA["oneOf"])
    by_name = {
        branch["properties"]["event"]["const"]: type(any_event)({**common, "allOf": [branch]})
        for branch in branches
    }
    return _checked_validator(shape), any_event, by_name


def validate_action_reply(reply: dict[str, Any]) -> None:
    """Raise ``ValidationError`` where Rasa's response schema would reject ``reply``."""
    shape, any_event, by_name = _reply_validators()
    shape.validate(reply)
    for event in reply.get("events") or []:
        name = event.get("event") if isinstance(event, dict) else None
        validator = by_name.get(name) if isinstance(name, str) else None
        (validator or any_event).validate(event)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Drop-in for ``RemoteAction._validate_action_result``."""
    try:
        validate_action_reply(result)
    except ValidationError as error:
        error.message += _DOCS_HINT
        raise
    return True


_event_classes: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Drop-in for ``Event.resolve_by_type`` with a dictionary lookup."""
    if type_name not in _event_classes:
        for cls in all_subclasses(Event):  # first match wins, as in Rasa
            _event_classes.setdefault(cls.type_name, cls)
    if type_name in _event_classes:
        return _event_classes[type_name]
    if type_name == "topic":
        return None  # Rasa's backwards compatibility for old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


_rasa_load_agent_on_start = rasa.core.run.load_agent_on_start


async def load_agent_then_freeze(*args: Any, **kwargs: Any) -> Agent:
    """Drop-in for ``rasa.core.run.load_agent_on_start``: load, then freeze the heap."""
    agent = await _rasa_load_agent_on_start(*args, **kwargs)
    gc.collect()
    gc.freeze()
    return agent


def endpoint_session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Drop-in for ``EndpointConfig.session``: bodies by ``json_dumps``, connections kept."""
    auth = (
        aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        if self.basic_auth
        else None
    )
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        json_serialize=json_dumps,
        connector=_shared_connector(),
        connector_owner=False,  # closing the session leaves the pool open
    )


# Under the app's keep-alive (uvicorn's default, 5 s): Rasa closes an idle connection
# first, so it never writes to one that the app is closing.
KEEPALIVE_SECONDS = 1.0
# One pool of connections per event loop (a connector belongs to the loop it runs on).
_connectors: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector] = (
    weakref.WeakKeyDictionary()
)


def _shared_connector() -> aiohttp.TCPConnector:
    """Return the running loop's pool of kept connections, made on first use."""
    loop = asyncio.get_running_loop()
    connector = _connectors.get(loop)
    if connector is None or connector.closed:
        connector = _connectors[loop] = aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS)
    return connector


async def close_connections() -> None:
    """Close the running loop's kept connections (the server stops)."""
    connector = _connectors.pop(asyncio.get_running_loop(), None)
    if connector is not None:
        await connector.close()


_rasa_close_resources = rasa.core.run.close_resources


async def close_resources_and_connections(app: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Drop-in for ``rasa.core.run.close_resources``: Rasa's, then the kept connections."""
    await _rasa_close_resources(app, loop)
    await close_connections()


# The processor's structlog lines go through this logger (as RulePolicy's, below).
_processor_logger = logging.getLogger("rasa.core.processor")


class DebugLineCopies:
    """Stands in for the ``copy`` module in rasa/core/processor.py (its debug lines' copies)."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        """Return ``copy.deepcopy(value)`` when the processor writes debug lines, else ``value``."""
        if _processor_logger.isEnabledFor(logging.DEBUG):
            return copy.deepcopy(value)
        return value


# RulePolicy's structlog lines go through this logger (``structlog.get_logger()`` in
# rule_policy.py, named after the calling module by Rasa's structlog set-up).
_rule_policy_logger = logging.getLogger("rasa.core.policies.rule_policy")
_rasa_format_tracker_states = Policy.format_tracker_states
DEBUG_OFF = "(dialogue states not formatted: debug logging is off)"


def format_tracker_states(states: list[dict]) -> str:
    """Drop-in for ``Policy.format_tracker_states``: Rasa's text when debug lines are written."""
    if _rule_policy_logger.isEnabledFor(logging.DEBUG):
        return _rasa_format_tracker_states(states)
    return DEBUG_OFF


def possible_rule_keys(self: RulePolicy, lookup: dict[str, str], states: list[State]) -> set[str]:
    """Drop-in for ``RulePolicy._get_possible_keys``: the same keys, with less matching.

    Rasa's loop over the states from the latest back, with two shortcuts:

    - at the latest state, only the keys whose last rule state asks for the previous
      action that state has (or for none in particular) are matched: a rule state that
      names another action fails ``_does_rule_match_state`` on it (rule_policy.py
      lines 832-858), and one that names any fails against a state without one
      (lines 896-906); of those naming that action, only the ones that ask for the
      state's intent (or for none in particular), by the same comparison;
    - once ``index`` reaches the length of every key still possible,
      ``_is_rule_applicable`` is true for each of them at any later state (lines
      884-887): the loop stops.
    """
    if not states:
        return set(lookup.keys())
    by_action = _keys_by_last_action(self, lookup)
    latest_action = _previous_action_name(states[-1])
    by_intent = by_action.get(latest_action, {})  # for no action: the keys of every state
    possible_keys = {
        *by_action.get(None, {}).get(None, ()),
        *by_intent.get(None, ()),
        *by_intent.get(_intent_name(states[-1]), ()),
    }
    for index, state in enumerate(reversed(states)):
        if all(index >= len(self._rule_key_to_state(key)) for key in possible_keys):
            break
        possible_keys = {
            key for key in possible_keys if self._is_rule_applicable(key, index, state)
        }
    return possible_keys


# Rule keys by the previous action, then by the intent, their last state asks for.
KeyIndex = dict[str | None, dict[str | None, list[str]]]
# Per policy, per lookup (a policy has one for rules, one for loops' unhappy paths;
# kept by identity and size, as a loaded policy does not change them): the keys by
# the previous action and the intent their last rule state asks for.
_rule_keys_by_action: weakref.WeakKeyDictionary[
    RulePolicy, dict[int, tuple[dict[str, str], int, KeyIndex]]
] = weakref.WeakKeyDictionary()


def _keys_by_last_action(policy: RulePolicy, lookup: dict[str, str]) -> KeyIndex:
    """Return ``lookup``'s keys by the action name, then the intent, their last state asks for.

    ``None`` gathers the keys that ask for no name in particular (no previous action,
    an action text, or ``SHOULD_NOT_BE_SET``): those are matched at every state, all
    under the intent ``None``. Under an action name, ``None`` gathers the keys that ask
    for no intent in particular.
    """
    kept = _rule_keys_by_action.setdefault(policy, {})
    found = kept.get(id(lookup))
    if found is not None and found[0] is lookup and found[1] == len(lookup):
        return found[2]
    index: KeyIndex = {}
    for key in lookup:
        rule_states = policy._rule_key_to_state(key)
        last = rule_states[-1] if rule_states else {}
        name = _previous_action_name(last)
        name = None if name == SHOULD_NOT_BE_SET else name
        intent = _intent_name(last) if name is not None else None
        index.setdefault(name, {}).setdefault(intent, []).append(key)
    kept[id(lookup)] = (lookup, len(lookup), index)
    return index


def _intent_name(state: State) -> str | None:
    """Return the intent ``state``'s user input names, if it names one to match."""
    name = state.get(USER, {}).get(INTENT)
    return name if isinstance(name, str) and name and name != SHOULD_NOT_BE_SET else None


def _previous_action_name(state: State) -> str | None:
    """Return the name of the action before ``state``, if it names one."""
    name = state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
    return name if isinstance(name, str) and name else None


@functools.cache
def _empty_domain_data() -> dict[str, Any]:
    return Domain.empty().as_dict()


def domain_is_empty(self: Domain) -> bool:
    """Drop-in for ``Domain.is_empty``: Rasa's comparison, the empty domain built once."""
    return bool(self.as_dict() == _empty_domain_data())


_rasa_temporary_tracker = FormAction._temporary_tracker


def temporary_form_tracker(
    self: FormAction,
    current_tracker: DialogueStateTracker,
    additional_events: list[Event],
    domain: Domain,
) -> DialogueStateTracker:
    """Drop-in for ``FormAction._temporary_tracker``: the kept replay, not one from the start."""
    if not isinstance(current_tracker, TrackerWithCachedHistory):
        return _rasa_temporary_tracker(self, current_tracker, additional_events, domain)
    tracker = current_tracker.replay_since_latest_restart(domain.slots)
    # Rasa's events after the session's, in Rasa's order.
    for event in [
        SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)),
        ActionExecuted(self.name()),
        *additional_events,
    ]:
        tracker.update(event)
    return tracker
