"""rasa_addons.server.speedups: the same verdicts, events and predictions as Rasa's own code.

Each replacement (installed as rasa_addons/server/patches.py lists them) takes over a
step of Rasa 3.6 that was costly per turn; these tests run Rasa's original next to it
in the Rasa environment and compare what a user would get: which action replies are
accepted, which events come back from storage, what the action server receives, and
which intent, entities and next action a message gets from the trained model (loaded
again after the patches, so that its graphs run on rasa_addons/server/graph_runner.py).
"""

from __future__ import annotations

import ast
import asyncio
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, cast

import jsonschema
import numpy
import pytest
import rasa.core.processor
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from rasa_addons.server import graph_runner, patches, speedups
from rasa_addons.server.graph_runner import DirectGraphRunner

# Rasa's own, taken before the module's fixture installs the replacements
RASAS_DOMAIN_IS_EMPTY = Domain.is_empty

# (reply from an action server, whether Rasa must accept it)
REPLIES: list[tuple[dict[str, Any], bool]] = [
    ({}, True),
    ({"events": [], "responses": []}, True),
    (
        {
            "events": [{"event": "slot", "name": "tier", "value": "Gold"}],
            "responses": [{"text": "hi"}],
        },
        True,
    ),
    (
        {
            "events": [
                {"event": "bot", "text": "hello", "data": {}, "timestamp": None},
                {"event": "followup", "name": "action_listen"},
                {"event": "session_started"},
                {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
                {"event": "active_loop", "name": None},
                {"event": "reset_slots"},
            ]
        },
        True,
    ),
    (
        {
            "events": [
                {
                    "event": "user",
                    "text": "hi",
                    "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": []},
                }
            ]
        },
        True,
    ),
    ({"events": [{"event": "no_such_event"}]}, False),
    ({"events": [{"name": "tier", "value": "Gold"}]}, False),
    ({"events": "slot"}, False),
    ({"events": [42]}, False),
    ({"events": [{"event": "bot", "text": "hi", "timestamp": "yesterday"}]}, False),
    ({"events": [{"event": "action", "name": 3}]}, False),
    # one bad event among good ones
    ({"events": [{"event": "slot", "name": "tier"}, {"event": "user", "text": 5}]}, False),
    ({"responses": "hello"}, False),
]

MESSAGES = [
    "hi",
    "what does the Security competency require?",
    "how far r we from platnum",
    "recommend courses to get into AI",
    "xqz blorp vvv",
    "can I talk to a real person please",
    "bye",
]


def accepted(check: Callable[[dict[str, Any]], object], reply: dict[str, Any]) -> bool:
    try:
        check(reply)
        return True
    except jsonschema.ValidationError:
        return False


def resolved(name: str) -> str | None:
    found = Event.resolve_by_type(name)
    return found.__name__ if found else None


def unknown_name_error() -> str | None:
    try:
        Event.resolve_by_type("no_such_event")
    except ValueError as error:
        return str(error)
    return None


def conversation(agent: Agent, sender: str) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        processor = agent.processor
        assert processor is not None
        turns = []
        for text in MESSAGES:
            tracker = await processor.log_message(UserMessage(text, sender_id=sender))
            action, prediction = processor.predict_next_with_tracker_if_should(tracker)
            message = tracker.latest_message
            assert message is not None
            # Rasa's NLUPredictionData lists neither "intent" nor "entities".
            parse = cast(dict[str, Any], message.parse_data)
            turns.append(
                {
                    "intent": parse["intent"]["name"],
                    "confidence": round(parse["intent"]["confidence"], 6),
                    "entities": sorted(f"{e['entity']}={e['value']}" for e in parse["entities"]),
                    "next_action": action.name(),
                    "policy": prediction.policy_name,
                }
            )
        return turns

    return asyncio.run(run())


class Recorder(BaseHTTPRequestHandler):
    """An action endpoint that keeps each request body it receives."""

    received: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def bodies_received(bodies: list[dict[Any, Any]]) -> list[str]:
    """Send each body with Rasa's ``EndpointConfig.request``; return the texts received."""
    Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for body in bodies:
            url = f"http://127.0.0.1:{server.server_port}/webhook"
            asyncio.run(EndpointConfig(url).request(json=body, method="post"))
    finally:
        server.shutdown()
    return Recorder.received


@pytest.fixture(scope="module")
def compared(model_path: str) -> dict[str, dict[str, Any]]:
    replies = [reply for reply, _ in REPLIES]
    schema = RemoteAction.action_response_format_spec()
    names = sorted({cls.type_name for cls in all_subclasses(Event)}) + ["topic"]
    rasas_agent = Agent.load(model_path)

    rasa_run = {
        "verdicts": [accepted(lambda r: jsonschema.validate(r, schema), r) for r in replies],
        "events": {name: resolved(name) for name in names},
        "unknown": unknown_name_error(),
        "turns": conversation(rasas_agent, "rasa"),
    }
    patches.install(speedups, graph_runner)
    agent = Agent.load(model_path)
    assert agent.processor is not None
    assert isinstance(agent.processor.graph_runner, DirectGraphRunner)
    remote = RemoteAction("action_answer_question", None)
    message: str | None
    try:
        remote._validate_action_result({"events": [{"event": "no_such_event"}]})
        message = None
    except jsonschema.ValidationError as error:
        message = error.message
    bodies: list[dict[Any, Any]] = [
        {
            "tracker": {
                "events": [{"event": "user", "text": "réponse — ✓", "confidence": 0.1 + 0.2}]
            }
        },
        {"intent": {"confidence": numpy.float64(0.8099407816411076)}},
        {"big": 2**70, 1: "a key that is not a string"},
    ]
    received = bodies_received(bodies)
    ours = {
        "bodies_sent": [
            json.loads(text) == json.loads(json.dumps(body))
            for text, body in zip(received, bodies, strict=True)
        ],
        # encoded by orjson, not json.dumps (whose separators have spaces)
        "compact_bodies": [", " not in text for text in received],
        "verdicts": [accepted(speedups.validate_action_reply, r) for r in replies],
        "events": {name: resolved(name) for name in names},
        "unknown": unknown_name_error(),
        "turns": conversation(agent, "ours"),
        "rejection_message": message,
    }
    return {"rasa": rasa_run, "ours": ours}


def test_action_replies_accepted_and_rejected_as_rasa_does(compared: dict[str, Any]) -> None:
    expected = [valid for _, valid in REPLIES]
    assert compared["rasa"]["verdicts"] == expected
    assert compared["ours"]["verdicts"] == expected


def test_a_rejected_reply_keeps_rasas_explanation(compared: dict[str, Any]) -> None:
    message = compared["ours"]["rejection_message"]
    assert message is not None
    assert "Failed to validate Action server response" in message
    assert message.endswith("/custom-actions")


def test_stored_events_resolve_to_the_same_classes(compared: dict[str, Any]) -> None:
    assert compared["ours"]["events"] == compared["rasa"]["events"]
    assert compared["ours"]["events"]["slot"] == "SlotSet"
    assert compared["ours"]["events"]["topic"] is None
    assert compared["ours"]["unknown"] == compared["rasa"]["unknown"]
    assert "Unknown event name 'no_such_event'" in compared["ours"]["unknown"]


def test_trained_model_understands_and_answers_the_same(compared: dict[str, Any]) -> None:
    assert compared["ours"]["turns"] == compared["rasa"]["turns"]
    by_text = dict(zip(MESSAGES, compared["ours"]["turns"], strict=True))
    assert by_text["what does the Security competency require?"]["next_action"] == (
        "action_answer_question"
    )
    assert by_text["xqz blorp vvv"]["next_action"] == "action_two_stage_fallback"


def test_action_calls_carry_the_same_json_as_with_rasas_encoder(compared: dict[str, Any]) -> None:
    assert compared["ours"]["bodies_sent"] == [True, True, True]
    # orjson encodes the plain and the NumPy values; a 70-bit integer falls back.
    assert compared["ours"]["compact_bodies"] == [True, True, False]


def test_action_calls_share_a_connection_until_it_idles_past_the_keepalive() -> None:
    patches.install(speedups)

    async def run() -> list[int]:
        client_ports: list[int] = []  # one per connection the endpoint accepted

        async def webhook(request: web.Request) -> web.Response:
            assert request.transport is not None
            client_ports.append(request.transport.get_extra_info("peername")[1])
            return web.json_response({})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app, keepalive_timeout=5.0)  # the app's (uvicorn's) 5 s
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            for _ in range(3):
                assert await endpoint.request(json={"next_action": "x"}, method="post") == {}
            await asyncio.sleep(speedups.KEEPALIVE_SECONDS + 0.5)
            assert await endpoint.request(json={"next_action": "x"}, method="post") == {}
        finally:
            await speedups.close_connections()  # as the server does when it stops
            await runner.cleanup()
        return client_ports

    first, second, third, after_idle = asyncio.run(run())
    assert first == second == third  # one connection for calls in a row (Rasa: three)
    assert after_idle != first  # closed by Rasa once idle, before the app would


@pytest.mark.parametrize(
    "domain",
    [
        Domain.empty(),
        Domain.from_dict({}),
        Domain.from_dict({"intents": ["greet"]}),
        Domain.load("domain.yml"),
    ],
    ids=["empty", "from-empty-dict", "one-intent", "the-assistants"],
)
def test_a_domain_is_empty_exactly_when_rasa_says_so(domain: Domain) -> None:
    assert speedups.domain_is_empty(domain) is RASAS_DOMAIN_IS_EMPTY(domain)


def test_the_processor_copies_only_for_its_debug_lines() -> None:
    # Every use of the copy module in Rasa's processor is a deepcopy passed to a
    # structlog debug line: standing in for the module changes nothing else there.
    tree = ast.parse(Path(rasa.core.processor.__file__).read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    uses = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "copy"
    ]
    assert len(uses) == 6
    for use in uses:
        assert use.attr == "deepcopy"
        node: ast.AST = use
        while not (isinstance(node, ast.Call) and ast.unparse(node.func) == "structlogger.debug"):
            node = parents[node]  # a KeyError here: a copy outside a debug line


def test_debug_line_copies_are_made_only_while_debug_lines_are_written() -> None:
    events = [{"event": "slot", "name": "tier", "value": ["Gold"]}]
    logger = logging.getLogger("rasa.core.processor")
    level = logger.level
    try:
        logger.setLevel(logging.INFO)
        assert speedups.DebugLineCopies.deepcopy(events) is events
        logger.setLevel(logging.DEBUG)
        copied = speedups.DebugLineCopies.deepcopy(events)
        assert copied == events and copied is not events
        assert copied[0]["value"] is not events[0]["value"]
    finally:
        logger.setLevel(level)
