"""Fixes for Rasa 3.6's costliest steps per turn, measured rather than guessed.

Profiled under load (py-spy on the Rasa server, 16 conversations; figures in
docs/benchmarks.md), these took most of the Rasa process's time per turn, doing the
same work again and again. Each fix keeps Rasa's behaviour and its error
messages; ``apply()`` installs them and ``rasa_addons.server`` calls it before Rasa
starts.

1. Action server replies: ``jsonschema.validate()`` re-checked the large events schema
   against the JSON Schema meta-schema on every custom action (40-60 ms each). The
   validator is now built once, and each event is checked against the one branch of
   the schema's ``oneOf`` that its ``event`` name selects (the names are distinct, so
   the result is the same); an event with an unknown name gets the full schema and
   Rasa's own error.
2. Event deserialisation: ``Event.resolve_by_type`` walked every subclass of ``Event``
   for each event of each stored conversation; the lookup is now a dictionary, rebuilt
   when a name is not in it (an event class defined later is still found).
3. Graph runs: NLU and each policy prediction ran their graph through dask's scheduler,
   whose bookkeeping cost more than some of the components. The graph is a small tree
   run in one thread; it is now evaluated directly, each node once, in dependency order.
4. Garbage collection: a full collection walked every object of TensorFlow, Rasa and
   the model, 260-350 ms with the event loop stopped and every conversation in flight
   waiting, once or twice a minute under load. Once the model is loaded, what exists
   then is frozen out of the collector's sight (``gc.freeze()``); newer objects are
   collected as before.
5. Dialogue history: the policies' applied events and past states, and the tracker copy
   made before each action, were rebuilt from the session's first event several times
   per turn, so a turn cost more the longer the conversation;
   ``rasa_addons/incremental_states.py`` continues them from the last call instead.
6. Memoization's debug lines: ``MemoizationPolicy`` deep-copied the whole list of past
   states for a debug log line on every prediction, also when debug logging is off and
   the line is dropped (a fifth of the server's time in a 60-turn conversation). The
   copy is now made only when the line will be written.
7. JSON to the action server: every action call carries the whole tracker (about 300 KB
   at 60 turns), encoded by the standard library's ``json`` in 2-3 ms. Rasa's HTTP
   sessions now encode request bodies with orjson (0.2 ms), the same JSON text apart
   from spacing and escaping; anything orjson cannot encode goes to ``json.dumps`` as
   before.

Tried and left out: keeping one HTTP session per action endpoint (Rasa opens one per
action call). It saved about 0.5 ms per call, but a kept connection that the app closes
as idle at the moment Rasa reuses it fails the action ("Cannot write to closing
transport"), and a partner gets no answer.
"""

from __future__ import annotations

import copy
import functools
import gc
import json
import logging
from typing import Any, cast

import aiohttp
import orjson
import rasa.core.policies.memoization
import rasa.core.run
from jsonschema import Draft4Validator, ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.shared.utils.schemas.events import EVENT_SCHEMA
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from rasa_addons import incremental_states

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


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Drop-in for ``RemoteAction._validate_action_result``."""
    try:
        validate_action_reply(result)
    except ValidationError as error:
        error.message += _DOCS_HINT
        raise
    return True


_event_classes: dict[str, type[Event]] = {}


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
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


def _run_graph(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """Drop-in for ``DaskGraphRunner.run``: the same graph, evaluated directly."""
    run_targets = targets if targets else self._graph_schema.target_names
    schema = self._graph_schema.minimal_graph_schema(run_targets)
    outputs: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in schema.nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        outputs[name] = (name, value)

    def output_of(name: str) -> Any:
        if name not in outputs:
            if name not in schema.nodes:
                return name  # what dask passes for a key it cannot resolve
            needs = [output_of(parent) for parent in schema.nodes[name].needs.values()]
            outputs[name] = self._instantiated_nodes[name](*needs)
        return outputs[name]

    try:
        return dict(output_of(target) for target in run_targets)
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error


_load_agent_on_start = rasa.core.run.load_agent_on_start


async def _load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
    """Drop-in for ``rasa.core.run.load_agent_on_start``: load, then freeze the heap."""
    agent = await _load_agent_on_start(*args, **kwargs)
    gc.collect()
    gc.freeze()
    return agent


class _CopyForDebugLines:
    """Stands in for the ``copy`` module in ``rasa.core.policies.memoization``.

    That module uses ``copy`` only for ``copy.deepcopy(...)`` arguments of its debug
    lines, which Rasa's logging (``structlog.stdlib.filter_by_level``) drops unless the
    module's logger is at DEBUG.
    """

    @staticmethod
    def deepcopy(value: Any) -> Any:
        """Return a deep copy when the debug line is written, else ``value`` itself."""
        if _memoization_logger.isEnabledFor(logging.DEBUG):
            return copy.deepcopy(value)
        return value


_memoization_logger = logging.getLogger(rasa.core.policies.memoization.__name__)


def _as_json_base_type(value: Any) -> Any:
    # json.dumps writes subclasses of float, int and str as their base type; orjson
    # asks here (NumPy's float64 in the NLU's confidences is such a subclass).
    for base in (float, int, str):
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def json_dumps(value: Any) -> str:
    """Encode ``value`` as JSON with orjson, or with ``json.dumps`` where orjson cannot."""
    try:
        return orjson.dumps(value, default=_as_json_base_type, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError too: integers over 64 bits, odd types
        return json.dumps(value)


def _endpoint_session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Drop-in for ``EndpointConfig.session``: the same session, bodies by ``json_dumps``."""
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
    )


def apply() -> None:
    """Install the fixes into the running Rasa (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
    DaskGraphRunner.run = _run_graph  # type: ignore[method-assign]
    rasa.core.run.load_agent_on_start = _load_agent_then_freeze
    incremental_states.apply()
    rasa.core.policies.memoization.copy = _CopyForDebugLines  # type: ignore[assignment]
    EndpointConfig.session = _endpoint_session  # type: ignore[method-assign]
