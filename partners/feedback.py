"""Feedback on the assistant's answers: a thumbs up or down, with an optional comment.

One row per answered turn and conversation (``sender_id``, ``message_id``: the keys
analytics uses for turns). Voting again on the same turn replaces the vote and the
comment, so a thumbs down followed by "What was missing?" is one row, and a change of
mind counts once. The web widget records through ``POST /v1/chat/feedback``, Slack
through the app's internal ``POST /v1/feedback/slack`` (``bot/routers/feedback.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import CheckConstraint, DateTime, Integer, String, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from partners.models import Base

VOTES = ("up", "down")
CHANNELS = ("web", "slack", "api")
COMMENT_LIMIT = 1000
SENDER_LIMIT = 200
MESSAGE_ID_LIMIT = 100
# Turn ids: Rasa's uuid4 hex, or whatever id a channel gives its messages.
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
# Control characters other than tab and newline (PostgreSQL refuses NUL in text).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class FeedbackError(ValueError):
    """Feedback that cannot be stored; the message says why (sent as a 4xx)."""


class TurnFeedback(Base):
    """A partner's vote on one answered turn of a conversation."""

    __tablename__ = "turn_feedback"
    __table_args__ = (
        UniqueConstraint("sender_id", "message_id"),
        CheckConstraint("vote IN ('up', 'down')", name="vote_values"),
        CheckConstraint("channel IN ('web', 'slack', 'api')", name="channel_values"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(String(SENDER_LIMIT), doc="Rasa's conversation id.")
    message_id: Mapped[str] = mapped_column(
        String(MESSAGE_ID_LIMIT), doc="The id of the turn's user message."
    )
    vote: Mapped[str] = mapped_column(String(4))
    comment: Mapped[str | None] = mapped_column(String(COMMENT_LIMIT), nullable=True)
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Feedback:
    """Feedback as stored, detached from any session."""

    sender_id: str
    message_id: str
    vote: str
    comment: str | None
    channel: str
    created_at: dt.datetime
    updated_at: dt.datetime


def clean_comment(comment: str | None) -> str | None:
    """Return the comment to store: trimmed, without control characters, None if empty.

    Raises:
        FeedbackError: The comment is longer than ``COMMENT_LIMIT`` characters.

    """
    if comment is None:
        return None
    text = _CONTROL.sub("", comment).strip()
    if len(text) > COMMENT_LIMIT:
        raise FeedbackError(f"the comment is longer than {COMMENT_LIMIT} characters")
    return text or None


def _check(sender_id: str, message_id: str, vote: str, channel: str) -> None:
    if vote not in VOTES:
        raise FeedbackError("vote must be 'up' or 'down'")
    if channel not in CHANNELS:
        raise FeedbackError(f"channel must be one of {', '.join(CHANNELS)}")
    if not sender_id or len(sender_id) > SENDER_LIMIT:
        raise FeedbackError("the conversation id is missing or too long")
    if not MESSAGE_ID.match(message_id):
        raise FeedbackError("turn must be the message id of an answered turn")


def record(
    session: Session,
    *,
    sender_id: str,
    message_id: str,
    vote: str,
    channel: str,
    comment: str | None = None,
    now: dt.datetime | None = None,
) -> Feedback:
    """Store a vote on a turn, replacing an earlier vote (and comment) on the same turn.

    One statement (``INSERT ... ON CONFLICT DO UPDATE``), so two votes arriving at once
    leave one row, the later one's. Flushes; the caller commits.

    Raises:
        FeedbackError: Unknown vote or channel, malformed ids, or a comment too long.

    """
    _check(sender_id, message_id, vote, channel)
    text = clean_comment(comment)
    moment = now or dt.datetime.now(dt.timezone.utc)
    values = {
        "sender_id": sender_id,
        "message_id": message_id,
        "vote": vote,
        "comment": text,
        "channel": channel,
        "created_at": moment,
        "updated_at": moment,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TurnFeedback).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["sender_id", "message_id"],
        set_={"vote": vote, "comment": text, "updated_at": moment},
    )
    session.execute(statement)
    session.flush()
    found = feedback_for(session, sender_id, message_id)
    assert found is not None  # just written in this transaction
    return found


def feedback_for(session: Session, sender_id: str, message_id: str) -> Feedback | None:
    """Return the feedback on one turn of a conversation, or None."""
    row = session.scalar(
        select(TurnFeedback)
        .where(TurnFeedback.sender_id == sender_id, TurnFeedback.message_id == message_id)
        .execution_options(populate_existing=True)
    )
    return None if row is None else _detached(row)


def feedback_of(session: Session, sender_id: str) -> list[Feedback]:
    """Return every vote in a conversation, oldest first."""
    rows = session.scalars(
        select(TurnFeedback).where(TurnFeedback.sender_id == sender_id).order_by(TurnFeedback.id)
    )
    return [_detached(row) for row in rows]


def _detached(row: TurnFeedback) -> Feedback:
    return Feedback(
        row.sender_id,
        row.message_id,
        row.vote,
        row.comment,
        row.channel,
        row.created_at,
        row.updated_at,
    )
