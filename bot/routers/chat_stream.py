"""``GET /v1/chat/stream``: a person's replies and the handoff's changes, live in the widget.

While a conversation waits for, or is held by, a person of the program office, the
widget reads this stream (server-sent events, read with ``fetch()`` so a sign-in
travels in the Authorization header). Each poll, about once a second, reads the
ticket and Rasa's tracker, so any app process serves any widget (``bot.sse``).

Every ``message`` event carries ``id``, the position of its event in the
conversation; a widget that reconnects sends the next position as ``since`` and gets
what it missed while it was away.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from bot import sse
from bot.deps import Context
from bot.routers.chat import Caller, Rasa, conversation_for
from partners import handoff_live

router = APIRouter(prefix="/v1/chat", tags=["chat"])

# Event positions beyond a 32-bit integer cannot exist: 422, not a wasted poll.
MAX_POSITION = 2**31 - 1


def stream_message(event: dict[str, Any], position: int) -> dict[str, Any] | None:
    """Return the ``message`` event data for a tracker event the stream passes on, or None.

    Only what no ``POST /v1/chat`` answer carries: an operator's reply, the handoff's
    own notice (back with the assistant). ``position`` is the event's index in the
    conversation, sent as ``id`` so a reconnecting widget can resume after it.
    """
    metadata = event.get("metadata") or {}
    origin = metadata.get("from")
    if event.get("event") != "bot" or origin not in ("operator", "handoff"):
        return None
    data: dict[str, Any] = {
        "id": position,
        "role": "bot",
        "text": event.get("text") or "",
        "from": origin,
    }
    if origin == "operator":
        data["operator"] = metadata.get("operator")
    return data


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    request: Request,
    session: Annotated[str, Query(min_length=1, max_length=300)],
    caller: Caller,
    context: Context,
    rasa: Rasa,
    since: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> StreamingResponse:
    """Stream the operator's replies and the handoff's changes (text/event-stream).

    ``event: handoff`` ``data: {"state": "waiting"|"with_person"|"assistant",
    "operator"?}`` first, then on every change; ``event: message`` ``data: {"id",
    "role": "bot", "text", "from": "operator", "operator"}`` for each operator reply
    (``"from": "handoff"`` for the notice that the assistant is back). Without
    ``since`` the stream starts from now.

    Raises:
        HTTPException: 401 (sign in), 403 (not your session).

    """
    conversation_id = conversation_for(session, caller, context)
    seen: list[int] = [] if since is None else [since]  # set once, on the first poll
    last_state: list[dict[str, Any]] = []

    async def poll() -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        ticket = await run_in_threadpool(_current_ticket, conversation_id, context)
        state = handoff_live.state_of(ticket) or "assistant"
        data: dict[str, Any] = {"state": state}
        if state == "with_person" and ticket is not None:
            data["operator"] = ticket.claimed_by_name
        if not last_state or last_state[0] != data:
            last_state[:] = [data]
            found.append(("handoff", data))
        events = await rasa.events(conversation_id)
        if not seen:
            seen.append(len(events))
        for position in range(seen[0], len(events)):
            message = stream_message(events[position], position)
            if message is not None:
                found.append(("message", message))
        seen[0] = max(seen[0], len(events))
        return found

    return sse.stream(request, poll)


def _current_ticket(conversation_id: str, context: Context) -> handoff_live.Ticket | None:
    with context.session() as session:
        return handoff_live.current_ticket(session, conversation_id)
