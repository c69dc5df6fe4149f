"""Signed requests shaped like Slack's Events API and interactivity payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

TEAM = "T0TESTTEAM"
BOT_USER = "U0BOTUSER"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: ``v0=`` + HMAC-SHA256 of ``v0:<timestamp>:<body>``."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def new_ts() -> str:
    """A Slack message timestamp (seconds.micro), unique per call."""
    time.sleep(0.001)
    return f"{time.time():.6f}"


def message_event(
    user: str,
    text: str,
    *,
    channel: str,
    ts: str | None = None,
    thread_ts: str | None = None,
    mention: bool = False,
) -> dict[str, Any]:
    """An ``event_callback`` with a ``message`` (direct message) or ``app_mention`` event."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "app_mention" if mention else "message",
        "user": user,
        "text": f"<@{BOT_USER}> {text}" if mention else text,
        "ts": ts,
        "event_ts": ts,
        "channel": channel,
        "team": TEAM,
    }
    if not mention:
        event["channel_type"] = "im"
    if thread_ts:
        event["thread_ts"] = thread_ts
    return {
        "token": "legacy-verification-token-unused",
        "team_id": TEAM,
        "api_app_id": "A0TESTAPP",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }


def button_click(user: str, value: str, *, channel: str, message_ts: str) -> dict[str, Any]:
    """A ``block_actions`` interactivity payload: ``user`` clicked a button with ``value``."""
    clicked = new_ts()
    return {
        "type": "block_actions",
        "trigger_id": f"{clicked.replace('.', '')}.{uuid.uuid4().hex[:12]}",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": user, "team_id": TEAM},
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "message": {"type": "message", "ts": message_ts, "text": "suggestions"},
        "actions": [
            {
                "type": "button",
                "action_id": "suggestion_0",
                "action_ts": clicked,
                "value": value,
                "text": {"type": "plain_text", "text": value},
            }
        ],
    }


class SlackSender:
    """Posts signed (or deliberately badly signed) requests to the Slack webhook."""

    def __init__(self, rasa_url: str, secret: str) -> None:
        self.url = f"{rasa_url}/webhooks/slack/webhook"
        self.secret = secret
        # Every signature sent, so tests can look for them where none may be stored.
        self.signatures: list[str] = []

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        sign: bool = True,
        secret: str | None = None,
        timestamp: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Post ``body``; signed with the right secret unless told otherwise."""
        timestamp = timestamp or str(int(time.time()))
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if sign:
            all_headers["X-Slack-Request-Timestamp"] = timestamp
            all_headers["X-Slack-Signature"] = signature(secret or self.secret, timestamp, body)
            self.signatures.append(all_headers["X-Slack-Signature"])
        return httpx.post(self.url, content=body, headers=all_headers, timeout=30)

    def event(self, payload: dict[str, Any], **options: Any) -> httpx.Response:
        """Post an Events API payload as JSON."""
        return self.post(json.dumps(payload).encode(), "application/json", **options)

    def interaction(self, payload: dict[str, Any], **options: Any) -> httpx.Response:
        """Post an interactivity payload, form-encoded as Slack does."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded", **options)
