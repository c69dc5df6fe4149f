"""The web widget's chat: a same-origin proxy to Rasa's REST channel, and history.

The browser never talks to Rasa, and Rasa never sees a credential. The browser starts
a conversation with ``POST /v1/chat/session`` (signed in or not) and gets a session
handle, ``<conversation id>.<MAC>`` (``partners.conversations``): the conversation id
names its owner (``web:<partner>:<random>``, or ``web:anon:<random>`` for a visitor
who has not signed in) and the MAC proves the app issued it. Every call checks the
handle and, for a partner's conversation, the bearer token's subject against its
owner, then binds the conversation to that sign-in, so chat actions know the partner
without any token passing through Rasa. Nobody writes into or reads another's
conversation.

Live handoff: each turn's reply says where the conversation stands (``handoff``:
null, ``waiting`` for a person, or ``with_person``); while a person holds it the
assistant is silent (``messages: []``, proven by the REST channel, never assumed),
and ``GET /v1/chat/stream`` (``bot.routers.chat_stream``) brings the operator's
replies and the handoff's changes to the widget as server-sent events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.api_errors import TROUBLE_HEADERS
from bot.deps import Context, bearer_token, verified_bearer
from bot.rasa_client import RasaClient, RasaUnavailableError, new_message_id
from partners import conversations, handoff_live
from partners.auth import TokenClaims, jwt_secret
from partners.messages import TROUBLE

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/chat", tags=["chat"])

HISTORY_LIMIT = 200
Handoff = Literal["waiting", "with_person"] | None
NOT_YOURS = (
    "this chat session belongs to another sign-in; start a new one with POST /v1/chat/session"
)


class ChatSession(BaseModel):
    """A browser's chat session: the id to send with every chat call."""

    session: str = Field(description="Session handle to send with every chat call.")


class ChatRequest(BaseModel):
    """One message typed (or a button clicked) in the widget."""

    session: str = Field(min_length=1, max_length=300)
    message: str = Field(min_length=1, max_length=2000)


class BotMessage(BaseModel):
    """One message of the assistant, as the widget renders it."""

    role: Literal["bot"] = "bot"
    text: str | None = None
    buttons: list[dict[str, Any]] = Field(default_factory=list)
    custom: dict[str, Any] | None = None
    image: str | None = None
    turn: str | None = Field(default=None, description="The message id of the turn it answers.")
    origin: Literal["operator", "handoff"] | None = Field(
        default=None,
        serialization_alias="from",
        description="'operator': a person of the program office wrote it; 'handoff': the "
        "handoff's own notice; absent: the assistant.",
    )
    operator: str | None = Field(default=None, description="The operator's name.")


class UserMessage(BaseModel):
    """One message of the partner, as shown in the restored history."""

    role: Literal["user"] = "user"
    text: str
    turn: str | None = None


class ChatReply(BaseModel):
    """The assistant's answer to one message."""

    session: str
    messages: list[BotMessage]
    turn: str = Field(description="The message id of this turn (for feedback).")
    handoff: Handoff = None


class ChatHistory(BaseModel):
    """The conversation so far, oldest first."""

    session: str
    messages: list[UserMessage | BotMessage]
    handoff: Handoff = None


@dataclass(frozen=True)
class ChatCaller:
    """Who calls the chat: a verified sign-in, or nobody (an anonymous visitor).

    ``claims`` are the access token's, verified once by ``chat_caller``; binding the
    conversation reuses them.
    """

    subject: str | None = None
    role: str | None = None
    claims: TokenClaims | None = None


def chat_caller(request: Request, context: Context) -> ChatCaller:
    """FastAPI dependency: the verified sign-in of the request, if it sends one.

    Raises:
        HTTPException: 401 for a token that is sent but not valid (a partner who
            means to be signed in must learn that they are not, not become anonymous).

    """
    if not request.headers.get("authorization"):
        return ChatCaller()
    identity = verified_bearer(bearer_token(request), context, channel="web")
    return ChatCaller(subject=identity.subject, role=identity.role, claims=identity.claims)


Caller = Annotated[ChatCaller, Depends(chat_caller)]


def _forbidden(reason: str = NOT_YOURS) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, reason)


def conversation_for(handle: str, caller: ChatCaller, context: Context) -> str:
    """Return the conversation a handle names, after checking the caller may use it."""
    found = conversations.conversation_of(jwt_secret(context.settings), handle)
    if found is None:
        raise _forbidden(
            "this chat session is not valid; start a new one with POST /v1/chat/session"
        )
    conversation_id, owner = found
    if owner == conversations.ANONYMOUS:
        if caller.role == "partner":
            # Signed in since: partner answers need a conversation bound to the sign-in.
            raise _forbidden("you have signed in since this chat began; start a new one")
        return conversation_id
    if caller.subject is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "sign in first: this chat session belongs to a signed-in partner",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if caller.subject != owner:
        raise _forbidden()
    return conversation_id


def _bind(conversation_id: str, caller: ChatCaller, context: Context) -> None:
    """Bind a partner's conversation to the sign-in in use (partners.conversations)."""
    if caller.role != "partner" or caller.claims is None:
        return
    with context.session() as session:
        try:
            changed = conversations.bind(session, conversation_id, caller.claims)
        except conversations.ConversationOwnedError as exc:
            raise _forbidden() from exc
        if changed:
            session.commit()


def trouble(reason: str, *args: object) -> HTTPException:
    """Log why a chat call failed; return the 503 "try again in a minute" to raise."""
    logger.error("chat: " + reason, *args)
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, TROUBLE, headers=TROUBLE_HEADERS)


def rasa_client(context: Context, request: Request) -> RasaClient:
    """FastAPI dependency: the client for the configured Rasa servers (pooled connections)."""
    pool = getattr(request.app.state, "rasa_connections", None)
    return RasaClient(context.settings.rasa_urls, context.settings.rasa_token, pool)


Rasa = Annotated[RasaClient, Depends(rasa_client)]


def _bot_message(reply: dict[str, Any]) -> BotMessage:
    custom = reply.get("custom")
    return BotMessage(
        text=reply.get("text") or None,
        buttons=[b for b in reply.get("buttons") or [] if isinstance(b, dict)],
        custom=custom if isinstance(custom, dict) else None,
        image=reply.get("image") or None,
    )


@router.post("/session", status_code=status.HTTP_201_CREATED)
def new_session(caller: Caller, context: Context) -> ChatSession:
    """Start a chat conversation for this browser, signed in or not.

    Without a sign-in the conversation is anonymous: program questions are answered,
    partner data never is.
    """
    owner = caller.subject if caller.subject else conversations.ANONYMOUS
    conversation_id, handle = conversations.new_conversation(jwt_secret(context.settings), owner)
    _bind(conversation_id, caller, context)
    return ChatSession(session=handle)


@router.post("")
async def send_message(
    body: ChatRequest, caller: Caller, context: Context, rasa: Rasa
) -> ChatReply:
    """Send a message to the assistant and return its answers.

    Raises:
        HTTPException: 401 (sign in), 403 (not your session), 503 with Retry-After
            (the assistant is having trouble: try again in a minute).

    """
    conversation_id = conversation_for(body.session, caller, context)
    # The store is reached synchronously: off the event loop, as sync routes are.
    await run_in_threadpool(_bind, conversation_id, caller, context)
    try:
        turn = await rasa.turn(conversation_id, body.message, new_message_id())
    except RasaUnavailableError as exc:
        raise trouble("message to %s not processed: %s", conversation_id, exc) from exc
    messages = [_bot_message(reply) for reply in turn.replies]
    for message in messages:
        message.turn = turn.message_id
    if not messages and not turn.silent_by_handoff:
        raise trouble("Rasa answered nothing to a message of %s", conversation_id)
    state = await run_in_threadpool(_handoff_state, conversation_id, context)
    return ChatReply(session=body.session, messages=messages, turn=turn.message_id, handoff=state)


def _handoff_state(conversation_id: str, context: Context) -> Handoff:
    with context.session() as session:
        return handoff_live.state_of(handoff_live.current_ticket(session, conversation_id))


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
    turn: str | None = None
    for event in events:
        if event.get("event") == "user" and event.get("text"):
            text = str(event["text"])
            turn = event.get("message_id") or None
            messages.append(UserMessage(text=titles.get(text, text), turn=turn))
        elif event.get("event") == "bot":
            data = event.get("data") or {}
            message = _bot_message({**data, "text": event.get("text")})
            metadata = event.get("metadata") or {}
            if metadata.get("from") in ("operator", "handoff"):
                message.origin, message.operator = metadata["from"], metadata.get("operator")
            else:
                message.turn = turn
            if message.text or message.buttons or message.custom or message.image:
                messages.append(message)
            titles = _button_titles(data)
    return messages[-HISTORY_LIMIT:]


@router.get("/history")
async def history(
    session: Annotated[str, Query(min_length=1, max_length=300)],
    caller: Caller,
    context: Context,
    rasa: Rasa,
) -> ChatHistory:
    """Return the conversation so far, to restore the widget after a reload.

    Raises:
        HTTPException: 401 (sign in), 403 (not your session), 503 with Retry-After.

    """
    conversation_id = conversation_for(session, caller, context)
    try:
        events = await rasa.events(conversation_id)
    except RasaUnavailableError as exc:
        raise trouble("history of %s not read: %s", conversation_id, exc) from exc
    state = await run_in_threadpool(_handoff_state, conversation_id, context)
    return ChatHistory(session=session, messages=history_messages(events), handoff=state)
