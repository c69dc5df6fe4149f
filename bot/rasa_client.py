"""The app's calls to Rasa: the REST channel for messages, the HTTP API for histories.

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
import zlib
from typing import Any

import httpx

logger = logging.getLogger(__name__)

# The first answer of a conversation may wait on the index and the partner store; an
# action call itself times out well before this on the Rasa side.
RASA_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class RasaUnavailableError(Exception):
    """No Rasa server could process the request; the message is for the log."""


class RasaClient:
    """Talks to one or more Rasa servers on behalf of the web chat."""

    def __init__(self, urls: list[str], api_token: str) -> None:
        """Use the servers at ``urls`` (in that order of preference) with ``api_token``."""
        if not urls:
            raise ValueError("at least one Rasa URL is needed (PA_RASA_URL)")
        self.urls = urls
        self.api_token = api_token

    def servers_for(self, conversation_id: str) -> list[str]:
        """Return the servers to try for a conversation: its own first, then the others."""
        start = zlib.crc32(conversation_id.encode()) % len(self.urls)
        return self.urls[start:] + self.urls[:start]

    async def send(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """Send one user message and return the assistant's replies.

        Raises:
            RasaUnavailableError: No server processed the message.

        """
        replies = await self._call(
            conversation_id,
            "POST",
            "/webhooks/rest/webhook",
            json={"sender": conversation_id, "message": text},
        )
        if not isinstance(replies, list):
            raise RasaUnavailableError("the REST channel answered something other than a list")
        return [reply for reply in replies if isinstance(reply, dict)]

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
        for base_url in self.servers_for(conversation_id):
            try:
                async with httpx.AsyncClient(base_url=base_url, timeout=RASA_TIMEOUT) as client:
                    response = await client.request(method, path, **kwargs)
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
            try:
                return response.json()
            except ValueError as exc:
                raise RasaUnavailableError(f"{method} {base_url}{path} answered no JSON") from exc
        raise RasaUnavailableError(f"no Rasa server could be reached ({', '.join(self.urls)})")
