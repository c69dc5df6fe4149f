"""rasa_addons.server.action_failures: a failed or slow action call becomes an apology.

A real HTTP server stands in for the app and answers each custom-action call with a
chosen status, or too late; a closed port stands for an app that is down. The action
runs through Rasa's own ``RemoteAction`` with the apology installed as
rasa_addons/server/patches.py lists it. A rejection stays a rejection, and a Rasa
server whose action timeout is not shorter than the conversation lock's lifetime
refuses to start.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from rasa_addons.server import action_failures, patches
from tests.ports import closed_port
from tests.rasa_env import ROOT

TROUBLE = "I'm having trouble right now, please try again in a minute."

ANSWERS: dict[str, tuple[int, dict[str, Any]]] = {
    "/ok": (200, {"events": [], "responses": [{"text": "the app's answer"}]}),
    "/error": (500, {"error": "boom"}),
    "/rejects": (400, {"error": "no", "action_name": "action_answer_question"}),
    "/slow": (200, {"events": [], "responses": [{"text": "the app's late answer"}]}),
}


class App(BaseHTTPRequestHandler):
    """The app's action endpoint, answering each path as ``ANSWERS`` says."""

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = ANSWERS[self.path]
        if self.path == "/slow":
            time.sleep(4)  # longer than the 1 s timeout set below
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def outcomes(app_url: str, domain: Domain) -> dict[str, Any]:
    action_failures.set_timeout({"PA_ACTION_TIMEOUT": "1"})
    patches.install(action_failures)

    def outcome(url: str) -> list[str | None] | str:
        action = RemoteAction("action_answer_question", EndpointConfig(url))
        tracker = DialogueStateTracker("partner", domain.slots)
        try:
            events = asyncio.run(
                action.run(
                    CollectingOutputChannel(),
                    TemplatedNaturalLanguageGenerator(domain.responses),
                    tracker,
                    domain,
                )
            )
        except ActionExecutionRejection:
            return "rejected"
        return [e.text for e in events if isinstance(e, BotUttered)]

    return {
        "ok": outcome(app_url + "/ok"),
        "error": outcome(app_url + "/error"),
        "rejects": outcome(app_url + "/rejects"),
        "down": outcome(f"http://127.0.0.1:{closed_port()}/webhook"),
        "slow": outcome(app_url + "/slow"),
    }


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
    return subprocess.run(
        [sys.executable, "-m", "rasa_addons.server", "run", "--help"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PA_ACTION_TIMEOUT": action_timeout},
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
