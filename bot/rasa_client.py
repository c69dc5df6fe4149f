"""The app's calls to Rasa: the REST channel for messages, the HTTP API for histories.

The HTTP API also takes the live handoff's writes (``append_events``): the
``handoff_held`` slot and the operator's lines, appended to the tracker under the
conversation's lock and published to the event broker like any turn (Rasa 3.6's
``POST /conversations/{id}/tracker/events``: ``lock_store.lock``, then
``tracker_store.save``, which streams the new events).

Rasa listens on the internal network only. With several Rasa servers
(``PA_RASA_URL`` comma-separated), each conversation sticks to one of them (picked by
a hash of its id, so its turns are not spread over the lock store without need) and
moves on to the next only when a server cannot be connected to: a message that never
reached a server is safe to send to another. Any other failure (a timeout, an error
answer, a server dying mid-turn) may have left the message half-processed, so it is
not sent twice: the caller tells the user to try again.
"""

from __future__ import annotations

import logging
import time
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger(__name__)

# The first answer of a conversation may wait on the index and the partner store; an
# action call itself times out well before this on the Rasa side.
RASA_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


HELD_SLOT = "handoff_held"
# The REST channel's header on an empty answer that the handoff policy chose
# (rasa_addons/channels/rest_channel.py): silence, not a failure.
SILENCE_HEADER = "x-assistant-silent"


class RasaUnavailableError(Exception):
    """No Rasa server could process the request; the message is for the log."""


@dataclass(frozen=True)
class Turn:
    """The assistant's answer to one message: its replies, and whether it chose silence."""

    message_id: str
    replies: list[dict[str, Any]]
    silent_by_handoff: bool = False


def new_message_id() -> str:
    """Return a fresh message id for a web turn (uuid4 hex), as Rasa's UserUttered keeps it."""
    return uuid.uuid4().hex


def operator_line(text: str, operator: str, line_id: str | None = None) -> dict[str, Any]:
    """Return a BotUttered event for an operator's reply (metadata ``from: operator``)."""
    return {
        "event": "bot",
        "text": text,
        "timestamp": time.time(),
        "metadata": {"from": "operator", "operator": operator, "id": line_id or new_message_id()},
    }


def handoff_line(text: str) -> dict[str, Any]:
    """Return a BotUttered event the handoff itself says (back with the assistant)."""
    return {"event": "bot", "text": text, "timestamp": time.time(), "metadata": {"from": "handoff"}}


def held_slot(held: bool) -> dict[str, Any]:
    """Return the SlotSet event that gives the conversation to a person (or back)."""
    return {"event": "slot", "name": HELD_SLOT, "value": held, "timestamp": time.time()}


def connection_pool() -> httpx.AsyncClient:
    """Return the HTTP client the app's calls to Rasa share (opened once, in the lifespan).

    One client keeps its connections to Rasa open between turns, and builds its TLS
    context once: a client per call built one each time (loading the CA bundle), which
    was most of the app's time per web turn (profiled, docs/benchmarks.md). Rasa keeps
    an idle connection for 120 s (Sanic's keep-alive in ``rasa run``), the pool for 5 s
    at most, so the pool never sends on a connection that Rasa is closing.
    """
    return httpx.AsyncClient(timeout=RASA_TIMEOUT, limits=httpx.Limits(keepalive_expiry=5.0))


class RasaClient:
    """Talks to one or more Rasa servers on behalf of the web chat."""

    def __init__(
        self, urls: list[str], api_token: str, http: httpx.AsyncClient | None = None
    ) -> None:
        """Use the servers at ``urls`` (in that order of preference) with ``api_token``.

        ``http`` is the app's shared client (``connection_pool``); without it each call
        opens and closes its own.
        """
        if not urls:
            raise ValueError("at least one Rasa URL is needed (PA_RASA_URL)")
        self.urls = urls
        self.api_token = api_token
        self.http = http

    def servers_for(self, conversation_id: str) -> list[str]:
        """Return the servers to try for a conversation: its own first, then the others."""
        start = zlib.crc32(conversation_id.encode()) % len(self.urls)
        return self.urls[start:] + self.urls[:start]

    async def send(
        self, conversation_id: str, text: str, message_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Send one user message and return the assistant's replies.

        Raises:
            RasaUnavailableError: No server processed the message.

        """
        return (await self.turn(conversation_id, text, message_id)).replies

    async def turn(self, conversation_id: str, text: str, message_id: str | None = None) -> Turn:
        """Send one user message with its id (a new one when None); return the turn.

        Raises:
            RasaUnavailableError: No server processed the message.

        """
        message_id = message_id or new_message_id()
        body = {"sender": conversation_id, "message": text, "message_id": message_id}
        response = await self._respond(conversation_id, "POST", "/webhooks/rest/webhook", json=body)
        replies = _json(response, "/webhooks/rest/webhook")
        if not isinstance(replies, list):
            raise RasaUnavailableError("the REST channel answered something other than a list")
        silent = response.headers.get(SILENCE_HEADER) == "handoff"
        return Turn(message_id, [reply for reply in replies if isinstance(reply, dict)], silent)

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Append ``events`` to a conversation (under its lock; published to the broker).

        Raises:
            RasaUnavailableError: No server took the events.

        """
        await self._call(
            conversation_id,
            "POST",
            f"/conversations/{conversation_id}/tracker/events",
            params={"token": self.api_token, "include_events": "NONE"},
            json=events,
        )

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Return every event of a conversation, oldest first.

        Raises:
            RasaUnavailableError: No server answered.

        """
        tracker = await self._call(
            conversation_id,
            "GET",
            f"/conversations/{conversation_id}/tracker",
            params={"token": self.api_token, "include_events": "ALL"},
        )
        events = tracker.get("events") if isinstance(tracker, dict) else None
        return [event for event in events or [] if isinstance(event, dict)]

    async def _call(self, conversation_id: str, method: str, path: str, **kwargs: Any) -> Any:
        return _json(await self._respond(conversation_id, method, path, **kwargs), path)

    async def _respond(
        self, conversation_id: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        for base_url in self.servers_for(conversation_id):
            try:
                if self.http is not None:
                    response = await self.http.request(method, f"{base_url}{path}", **kwargs)
                else:
                    async with connection_pool() as client:
                        response = await client.request(method, f"{base_url}{path}", **kwargs)
            except httpx.ConnectError as exc:
                logger.warning("Rasa at %s cannot be reached (%s); trying the next", base_url, exc)
                continue
            except httpx.HTTPError as exc:
                raise RasaUnavailableError(f"{method} {base_url}{path}: {exc!r}") from exc
            if response.status_code != 200:
                raise RasaUnavailableError(
                    f"{method} {base_url}{path} answered {response.status_code}: "
                    f"{response.text[:200]}"
                )
            return response
        raise RasaUnavailableError(f"no Rasa server could be reached ({', '.join(self.urls)})")


def _json(response: httpx.Response, path: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise RasaUnavailableError(f"{response.request.method} {path} answered no JSON") from exc
