"""Server-sent events: the wire format, and a polling loop that ends with its client.

The live handoff's streams (``/v1/handoff/stream``, ``/v1/handoff/tickets/{id}/stream``,
``/v1/chat/stream``) keep no state between processes: each polls the database or
Rasa's tracker about once a second and sends what changed, so any app process can
serve any client, and a change made through another process shows up all the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
# Proxies must pass each event on at once, not buffer the stream.
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

# One poll: the events to send now, as (name, data) pairs.
Poll = Callable[[], Awaitable[list[tuple[str, Any]]]]


def event(name: str, data: Any) -> str:
    """Return one event in the text/event-stream format."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


async def _events(request: Request, poll: Poll, poll_seconds: float) -> AsyncIterator[str]:
    last_sent = time.monotonic()
    while not await request.is_disconnected():
        try:
            found = await poll()
        except Exception:  # a failing store or Rasa: keep the stream, try again
            logger.exception("a live stream's poll failed; trying again")
            found = []
        for name, data in found:
            yield event(name, data)
            last_sent = time.monotonic()
        if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(poll_seconds)


def stream(request: Request, poll: Poll, poll_seconds: float = POLL_SECONDS) -> StreamingResponse:
    """Answer with an event stream: ``poll`` every ``poll_seconds`` till the client leaves."""
    return StreamingResponse(
        _events(request, poll, poll_seconds), media_type="text/event-stream", headers=HEADERS
    )
