"""The web widget's chat: a same-origin proxy to Rasa's REST channel, and history.

The browser never talks to Rasa. It posts to ``/v1/chat`` with its bearer token; the
app checks the token, derives the conversation id from the partner and the
browser's chat session (``web:<partner>:<random>``, issued by
``POST /v1/chat/session``), and forwards the message to Rasa with the token as
metadata, so actions can verify who asks. A session id names its partner, and every
call checks it against the token's subject: nobody reads another's conversation.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from bot.routers.sessions import SignedIn, signed_in
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/chat", tags=["chat"])

RASA_UNAVAILABLE = (
    "The assistant is not available right now. Please try again in a minute; "
    "if it keeps happening, contact the program office."
)
# The first answer of a conversation may wait on the index and the partner store.
RASA_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
HISTORY_LIMIT = 200
_SESSION_SUFFIX = re.compile(r"[A-Za-z0-9_-]{16,64}")


class ChatSession(BaseModel):
    """A browser's chat session: the id to send with every chat call."""

    session: str = Field(description="Conversation id, 'web:<partner>:<random>'.")


class ChatRequest(BaseModel):
    """One message typed (or a button clicked) in the widget."""

    session: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=2000)


class BotMessage(BaseModel):
    """One message of the assistant, as the widget renders it."""

    role: Literal["bot"] = "bot"
    text: str | None = None
    buttons: list[dict[str, Any]] = Field(default_factory=list)
    custom: dict[str, Any] | None = None
    image: str | None = None


class UserMessage(BaseModel):
    """One message of the partner, as shown in the restored history."""

    role: Literal["user"] = "user"
    text: str


class ChatReply(BaseModel):
    """The assistant's answer to one message."""

    session: str
    messages: list[BotMessage]


class ChatHistory(BaseModel):
    """The conversation so far, oldest first."""

    session: str
    messages: list[UserMessage | BotMessage]


def _check_session(session_id: str, signed: SignedIn) -> str:
    prefix = f"web:{signed.subject}:"
    suffix = session_id[len(prefix) :]
    if not session_id.startswith(prefix) or not _SESSION_SUFFIX.fullmatch(suffix):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "this chat session belongs to another sign-in; start a new one "
            "with POST /v1/chat/session",
        )
    return session_id


def _unavailable(reason: str, *args: object) -> HTTPException:
    logger.error("chat: Rasa unavailable: " + reason, *args)
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, RASA_UNAVAILABLE)


async def _rasa(method: str, url: str, settings: Settings, **kwargs: Any) -> Any:
    try:
        async with httpx.AsyncClient(base_url=settings.rasa_url, timeout=RASA_TIMEOUT) as client:
            response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise _unavailable("%s %s: %s", method, url.split("?")[0], exc) from exc
    if response.status_code != 200:
        raise _unavailable(
            "%s %s answered %s: %s",
            method,
            url.split("?")[0],
            response.status_code,
            response.text[:200],
        )
    try:
        return response.json()
    except ValueError as exc:
        raise _unavailable("%s %s answered no JSON", method, url.split("?")[0]) from exc


def _bot_message(reply: dict[str, Any]) -> BotMessage:
    custom = reply.get("custom")
    return BotMessage(
        text=reply.get("text") or None,
        buttons=[b for b in reply.get("buttons") or [] if isinstance(b, dict)],
        custom=custom if isinstance(custom, dict) else None,
        image=reply.get("image") or None,
    )


@router.post("/session", status_code=status.HTTP_201_CREATED)
def new_session(signed: Annotated[SignedIn, Depends(signed_in)]) -> ChatSession:
    """Start a chat session for this browser (the widget calls it after signing in)."""
    return ChatSession(session=f"web:{signed.subject}:{secrets.token_urlsafe(18)}")


@router.post("")
async def send_message(
    body: ChatRequest,
    signed: Annotated[SignedIn, Depends(signed_in)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> ChatReply:
    """Send a message to the assistant and return its answers.

    Raises:
        HTTPException: 401 (sign in), 403 (not your session), 503 (assistant down).

    """
    session_id = _check_session(body.session, signed)
    replies = await _rasa(
        "POST",
        "/webhooks/rest/webhook",
        settings,
        json={"sender": session_id, "message": body.message, "metadata": {"token": signed.token}},
    )
    messages = (
        [_bot_message(r) for r in replies if isinstance(r, dict)]
        if isinstance(replies, list)
        else []
    )
    return ChatReply(session=session_id, messages=messages)


def _button_titles(data: dict[str, Any]) -> dict[str, str]:
    return {
        str(b.get("payload")): str(b.get("title"))
        for b in data.get("buttons") or []
        if isinstance(b, dict) and b.get("payload") and b.get("title")
    }


def history_messages(events: list[dict[str, Any]]) -> list[UserMessage | BotMessage]:
    """Turn tracker events into the messages the widget shows, oldest first.

    A clicked button reaches Rasa as its payload (``/intent{...}``); the history
    shows the button's title instead, as the partner saw it.
    """
    messages: list[UserMessage | BotMessage] = []
    titles: dict[str, str] = {}
    for event in events:
        if event.get("event") == "user" and event.get("text"):
            text = str(event["text"])
            messages.append(UserMessage(text=titles.get(text, text)))
        elif event.get("event") == "bot":
            data = event.get("data") or {}
            message = _bot_message({**data, "text": event.get("text")})
            if message.text or message.buttons or message.custom or message.image:
                messages.append(message)
            titles = _button_titles(data)
    return messages[-HISTORY_LIMIT:]


@router.get("/history")
async def history(
    session: Annotated[str, Query(min_length=1, max_length=200)],
    signed: Annotated[SignedIn, Depends(signed_in)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> ChatHistory:
    """Return the conversation so far, to restore the widget after a reload.

    Raises:
        HTTPException: 401 (sign in), 403 (not your session), 503 (assistant down).

    """
    session_id = _check_session(session, signed)
    tracker = await _rasa(
        "GET",
        f"/conversations/{session_id}/tracker",
        settings,
        params={"token": settings.rasa_token, "include_events": "ALL"},
    )
    events = tracker.get("events") if isinstance(tracker, dict) else None
    return ChatHistory(session=session_id, messages=history_messages(events or []))
