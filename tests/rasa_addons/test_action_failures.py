"""rasa_addons.action_failures: a failed or slow action call becomes an apology.

A real HTTP server stands in for the app and answers each custom-action call with a
chosen status, or too late; a closed port stands for an app that is down. The action
runs through Rasa's own ``RemoteAction`` with the apology installed. A rejection stays
a rejection, and a Rasa server whose action timeout is not shorter than the
conversation lock's lifetime refuses to start.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.rasa_env import (
    RASA_PYTHON,
    ROOT,
    rasa_env_variables,
    require_rasa_env,
    run_in_rasa_env,
)

TROUBLE = "I'm having trouble right now, please try again in a minute."

SCRIPT = r"""
import asyncio, json, os, socket, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    "/slow": (200, {"events": [], "responses": [{"text": "the app's late answer"}]}),
}

class App(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = ANSWERS[self.path]
        if self.path == "/slow":
            time.sleep(4)  # longer than the 1 s timeout set below
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), App)
threading.Thread(target=server.serve_forever, daemon=True).start()
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    closed_port = sock.getsockname()[1]

domain = Domain.from_path("domain.yml")
os.environ["PA_ACTION_TIMEOUT"] = "1"
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
    "slow": outcome(base + "/slow"),
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
    assert outcomes["down"] == [TROUBLE]
    assert outcomes["error"] == [TROUBLE]


def test_an_action_slower_than_the_timeout_gets_the_partner_an_apology(
    outcomes: dict[str, Any],
) -> None:
    # Rasa's own timeout is 300 s, five times the conversation lock's lifetime.
    assert outcomes["slow"] == [TROUBLE]


def test_a_rejection_stays_rasas_dialogue_mechanism(outcomes: dict[str, Any]) -> None:
    assert outcomes["rejects"] == "rejected"


def _rasa_server_help(action_timeout: str) -> subprocess.CompletedProcess[str]:
    require_rasa_env()
    return subprocess.run(
        [str(RASA_PYTHON), "-m", "rasa_addons.server", "run", "--help"],
        cwd=ROOT,
        env={**rasa_env_variables(), "PA_ACTION_TIMEOUT": action_timeout},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_timeout_as_long_as_the_lock_lifetime_stops_rasa_from_starting() -> None:
    refused = _rasa_server_help("60")
    assert refused.returncode != 0
    assert "PA_ACTION_TIMEOUT" in refused.stderr
    assert _rasa_server_help("20").returncode == 0
