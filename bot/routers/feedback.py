"""Feedback on the assistant's answers: thumbs up or down, with an optional comment.

``POST /v1/chat/feedback`` is the widget's: the same session handle and sign-in checks
as ``/v1/chat`` (``bot/routers/chat.py``), and the turn must be one of that
conversation's (its user message id, as ``/v1/chat`` returned it in ``turn``), read
from Rasa's tracker. ``POST /v1/feedback/slack`` is internal: the Rasa server's Slack
channel posts the votes of Slack users there, with the action webhook's shared secret
(``X-Action-Secret``), since the Rasa side has no partner store. Storage and rules:
``partners/feedback.py``.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from bot.deps import Context
from bot.rasa_client import RasaUnavailableError
from bot.routers.actions import refusal
from bot.routers.chat import Caller, Rasa, conversation_for, trouble
from partners import feedback
from partners.feedback import COMMENT_LIMIT, MESSAGE_ID_LIMIT, SENDER_LIMIT

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/chat", tags=["chat"])
internal_router = APIRouter(tags=["actions"])

TURN_PATTERN = r"^[A-Za-z0-9_.:-]+$"
NO_SUCH_TURN = "this conversation has no turn with that id; send the 'turn' that /v1/chat returned"


class FeedbackRequest(BaseModel):
    """A vote on one answer of the assistant in the widget."""

    session: str = Field(min_length=1, max_length=300)
    turn: str = Field(
        min_length=1,
        max_length=MESSAGE_ID_LIMIT,
        pattern=TURN_PATTERN,
        description="The 'turn' of the answer, as POST /v1/chat returned it.",
    )
    vote: Literal["up", "down"]
    comment: str | None = Field(
        default=None, max_length=COMMENT_LIMIT, description="What was missing (optional)."
    )


class FeedbackStored(BaseModel):
    """The vote as stored; a later vote on the same turn replaces it."""

    turn: str
    vote: Literal["up", "down"]
    comment: str | None


class SlackFeedbackRequest(BaseModel):
    """A Slack user's vote, as the Slack channel of the Rasa server passes it on."""

    sender_id: str = Field(min_length=1, max_length=SENDER_LIMIT)
    turn: str = Field(min_length=1, max_length=MESSAGE_ID_LIMIT, pattern=TURN_PATTERN)
    vote: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=COMMENT_LIMIT)


def _store(
    context: Context, sender_id: str, turn: str, vote: str, comment: str | None, channel: str
) -> FeedbackStored:
    try:
        with context.session() as session:
            stored = feedback.record(
                session,
                sender_id=sender_id,
                message_id=turn,
                vote=vote,
                comment=comment,
                channel=channel,
            )
            session.commit()
    except feedback.FeedbackError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return FeedbackStored(turn=stored.message_id, vote=stored.vote, comment=stored.comment)


@router.post("/feedback", status_code=status.HTTP_201_CREATED)
async def give_feedback(
    body: FeedbackRequest, caller: Caller, context: Context, rasa: Rasa
) -> FeedbackStored:
    """Record a thumbs up or down (and an optional comment) on one answer.

    Voting again on the same turn replaces the vote and the comment.

    Raises:
        HTTPException: 401 (sign in), 403 (not your session), 404 (no such turn in this
            conversation), 422 (bad vote or comment), 503 with Retry-After.

    """
    conversation_id = conversation_for(body.session, caller, context)
    try:
        events = await rasa.events(conversation_id)
    except RasaUnavailableError as exc:
        raise trouble("feedback on %s not checked: %s", conversation_id, exc) from exc
    if not any(e.get("event") == "user" and e.get("message_id") == body.turn for e in events):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_SUCH_TURN)
    return await run_in_threadpool(
        _store, context, conversation_id, body.turn, body.vote, body.comment, "web"
    )


@internal_router.post("/v1/feedback/slack", status_code=status.HTTP_201_CREATED)
async def slack_feedback(request: Request, context: Context) -> JSONResponse:
    """Record a Slack user's vote; only the Rasa server (with the action secret) may call.

    The secret is checked before the body is read: a call without it gets 401, and 503
    when no secret is configured.
    """
    refused = refusal(request, context.settings)
    if refused is not None:
        return refused
    try:
        body = SlackFeedbackRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        return JSONResponse({"detail": reasons}, status.HTTP_422_UNPROCESSABLE_CONTENT)
    stored = await run_in_threadpool(
        _store, context, body.sender_id, body.turn, body.vote, body.comment, "slack"
    )
    logger.info("Slack feedback %s on turn %s of %s", body.vote, body.turn, body.sender_id)
    return JSONResponse(stored.model_dump(), status.HTTP_201_CREATED)
