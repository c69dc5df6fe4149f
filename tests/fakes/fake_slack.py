"""A local fake of Slack's Web API: the only fake in the test suite.

The Slack channel (rasa_addons/channels/slack_channel.py) posts its replies to
``$SLACK_API_BASE_URL/chat.postMessage`` and the linking action (actions/linking.py)
its private one-time links to ``chat.postEphemeral``; the tests point both at this
server and read what "Slack" received. It checks the bot token like Slack does
(``invalid_auth`` otherwise), the arguments each method needs, and answers in Slack's
shape (``{"ok": true, "ts": ...}``). ``fail(method, channel)`` makes it refuse one
method in one channel, as Slack does when it has trouble. ``views.open`` (the
feedback comment modal) needs a ``trigger_id`` and a modal ``view``, as Slack's does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

BOT_TOKEN = "xoxb-fake-test-token"
SIGNING_SECRET = "fake-signing-secret-for-tests"


@dataclass
class FakeSlack:
    """The running fake: its address and every Web API call it received."""

    base_url: str
    token: str = BOT_TOKEN
    signing_secret: str = SIGNING_SECRET
    calls: list[dict[str, Any]] = field(default_factory=list)
    failing: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def stack_env(self) -> dict[str, str]:
        """Environment that points the Slack channel of the stack at this fake."""
        return {
            "SLACK_API_BASE_URL": self.base_url,
            "SLACK_TOKEN": self.token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
        }

    def record(self, method: str, args: dict[str, Any]) -> None:
        """Remember one API call."""
        with self._lock:
            self.calls.append({"method": method, **args})

    def fail(self, method: str, channel: str) -> None:
        """Answer every later call of ``method`` in ``channel`` with an error."""
        with self._lock:
            self.failing.add((method, channel))

    def _refuses(self, method: str, channel: Any) -> bool:
        with self._lock:
            return (method, channel) in self.failing

    def posted(
        self, channel: str | None = None, method: str = "chat.postMessage"
    ) -> list[dict[str, Any]]:
        """The ``method`` calls so far (messages posted), optionally only to ``channel``."""
        with self._lock:
            return [
                call
                for call in self.calls
                if call["method"] == method and (channel is None or call.get("channel") == channel)
            ]

    def ephemeral(self, channel: str | None = None) -> list[dict[str, Any]]:
        """The chat.postEphemeral calls (messages only one user sees) so far."""
        return self.posted(channel, method="chat.postEphemeral")

    def views_opened(self, trigger_id: str | None = None) -> list[dict[str, Any]]:
        """The views.open calls (modals shown) so far, optionally for one click's trigger."""
        return [
            call
            for call in self.posted(method="views.open")
            if trigger_id is None or call.get("trigger_id") == trigger_id
        ]

    def wait_for(
        self,
        channel: str,
        predicate: Callable[[list[dict[str, Any]]], bool] = bool,
        timeout: float = 60,
    ) -> list[dict[str, Any]]:
        """Wait until the messages posted to ``channel`` satisfy ``predicate``; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.posted(channel)
            if predicate(messages):
                return messages
            time.sleep(0.2)
        raise AssertionError(f"Slack got no matching message in {channel}: {self.posted(channel)}")


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass  # keep the test output clean

        def _answer(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            method = self.path.rstrip("/").rsplit("/", 1)[-1]
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if "json" in (self.headers.get("Content-Type") or ""):
                args = json.loads(raw or b"{}")
            else:
                args = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if token != fake.token:
                self._answer({"ok": False, "error": "invalid_auth"})
                return
            if fake._refuses(method, args.get("channel")):
                self._answer({"ok": False, "error": "fatal_error"})
                return
            if method in ("chat.postMessage", "chat.postEphemeral") and not args.get("channel"):
                self._answer({"ok": False, "error": "channel_not_found"})
                return
            if method == "chat.postEphemeral" and not args.get("user"):
                self._answer({"ok": False, "error": "user_not_found"})
                return
            if method == "views.open" and not args.get("trigger_id"):
                self._answer({"ok": False, "error": "invalid_trigger_id"})
                return
            view = args.get("view")
            if isinstance(view, str):  # form-encoded calls send the view as JSON text
                view = args["view"] = json.loads(view)
            if method == "views.open" and (
                not isinstance(view, dict) or view.get("type") != "modal"
            ):
                self._answer({"ok": False, "error": "invalid_arguments"})
                return
            fake.record(method, args)
            if method == "chat.postMessage":
                ts = f"{time.time():.6f}"
                self._answer(
                    {"ok": True, "channel": args.get("channel"), "ts": ts, "message": args}
                )
            elif method == "chat.postEphemeral":
                self._answer({"ok": True, "message_ts": f"{time.time():.6f}"})
            elif method == "views.open":
                self._answer({"ok": True, "view": {**args["view"], "id": f"V{time.time_ns()}"}})
            elif method == "auth.test":
                self._answer({"ok": True, "user_id": "UBOT", "team_id": "TFAKE"})
            else:
                self._answer({"ok": True})

    return Handler


def start_fake_slack() -> tuple[FakeSlack, ThreadingHTTPServer]:
    """Start the fake on 127.0.0.1, on a free port, in a background thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeSlack(base_url=f"http://127.0.0.1:{server.server_address[1]}/api/")
    server.RequestHandlerClass = _handler(fake)
    threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True).start()
    return fake, server


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API for the whole session (the stack posts its replies there)."""
    fake, server = start_fake_slack()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
