"""rasa_addons.action_failures: a failed action call becomes an apology; a rejection does not.

A real HTTP server stands in for the app and answers each custom-action call with a
chosen status; a closed port stands for an app that is down. The action runs through
Rasa's own ``RemoteAction`` with the apology installed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rasa_env import run_in_rasa_env

SCRIPT = r"""
import asyncio, json, socket, threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_addons import action_failures

ANSWERS = {
    "/ok": (200, {"events": [], "responses": [{"text": "the app's answer"}]}),
    "/error": (500, {"error": "boom"}),
    "/rejects": (400, {"error": "no", "action_name": "action_answer_question"}),
}

class App(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = ANSWERS[self.path]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), App)
threading.Thread(target=server.serve_forever, daemon=True).start()
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    closed_port = sock.getsockname()[1]

domain = Domain.from_path("domain.yml")
action_failures.apply()

def outcome(url):
    action = RemoteAction("action_answer_question", EndpointConfig(url))
    tracker = DialogueStateTracker("partner", domain.slots)
    try:
        events = asyncio.run(action.run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
            tracker, domain,
        ))
    except ActionExecutionRejection:
        return "rejected"
    return [e.text for e in events if isinstance(e, BotUttered)]

base = f"http://127.0.0.1:{server.server_port}"
print(json.dumps({
    "ok": outcome(base + "/ok"),
    "error": outcome(base + "/error"),
    "rejects": outcome(base + "/rejects"),
    "down": outcome(f"http://127.0.0.1:{closed_port}/webhook"),
    "apology": action_failures.UNAVAILABLE_MESSAGE,
}))
"""


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Any]:
    result: dict[str, Any] = run_in_rasa_env(SCRIPT)
    return result


def test_the_apps_answer_passes_through(outcomes: dict[str, Any]) -> None:
    assert outcomes["ok"] == ["the app's answer"]


def test_an_app_that_is_down_or_fails_gets_the_partner_an_apology(
    outcomes: dict[str, Any],
) -> None:
    assert outcomes["down"] == [outcomes["apology"]]
    assert outcomes["error"] == [outcomes["apology"]]
    assert "try again" in outcomes["apology"]


def test_a_rejection_stays_rasas_dialogue_mechanism(outcomes: dict[str, Any]) -> None:
    assert outcomes["rejects"] == "rejected"
