"""Conversation review: find transcripts, read one, turn a misread turn into NLU data.

Searches run over the analytics turns (texts, outcome, intent, votes, the filters of
``queries.Filters``); the caller audits every read of a whole conversation and every
export (``partners.audit``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from partners.analytics.models import AnalyticsConversation, AnalyticsTurn
from partners.analytics.queries import Filters, _iso

MAX_LIMIT = 100


@dataclass(frozen=True)
class Search:
    """What the review list asks for besides the common filters."""

    q: str | None = None
    outcome: str | None = None
    intent: str | None = None
    feedback: str | None = None
    limit: int = 20
    offset: int = 0


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conversations(session: Session, filters: Filters, search: Search) -> dict[str, Any]:
    """Conversations with a turn matching everything asked, the latest first."""
    from partners.feedback import TurnFeedback

    turn = AnalyticsTurn
    matching = filters.where(select(turn.sender_id))
    if search.q:
        pattern = _like(search.q.strip())
        matching = matching.where(
            or_(
                turn.user_text.ilike(pattern, escape="\\"),
                turn.bot_texts.ilike(pattern, escape="\\"),
            )
        )
    if search.outcome:
        matching = matching.where(turn.outcome == search.outcome)
    if search.intent:
        matching = matching.where(turn.intent == search.intent)
    if search.feedback:
        matching = matching.join(
            TurnFeedback,
            and_(
                TurnFeedback.sender_id == turn.sender_id,
                TurnFeedback.message_id == turn.message_id,
                TurnFeedback.vote == search.feedback,
            ),
        )
    conversation = AnalyticsConversation
    chosen = select(conversation).where(conversation.sender_id.in_(matching.distinct()))
    total = session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    rows = list(
        session.scalars(
            chosen.order_by(conversation.last_at.desc(), conversation.sender_id)
            .limit(min(max(search.limit, 1), MAX_LIMIT))
            .offset(max(search.offset, 0))
        )
    )
    details = _list_details(session, [row.sender_id for row in rows])
    items = [
        {
            "sender_id": row.sender_id,
            "channel": row.channel,
            "partner_id": row.partner_id,
            "tier": row.tier,
            "started_at": _iso(row.started_at),
            "last_at": _iso(row.last_at),
            "turns": row.turns,
            **details.get(row.sender_id, _NO_DETAILS),
        }
        for row in rows
    ]
    return {"items": items, "total": int(total)}


_NO_DETAILS: dict[str, Any] = {"outcomes": [], "feedback_down": 0, "first_question": None}


def _list_details(session: Session, senders: list[str]) -> dict[str, dict[str, Any]]:
    from partners.feedback import TurnFeedback

    if not senders:
        return {}
    turn = AnalyticsTurn
    found: dict[str, dict[str, Any]] = {
        sender: {"outcomes": [], "feedback_down": 0, "first_question": None} for sender in senders
    }
    for sender, outcome in session.execute(
        select(turn.sender_id, turn.outcome)
        .where(turn.sender_id.in_(senders), turn.outcome.is_not(None))
        .group_by(turn.sender_id, turn.outcome)
        .order_by(turn.sender_id, turn.outcome)
    ):
        found[sender]["outcomes"].append(outcome)
    for sender, downs in session.execute(
        select(TurnFeedback.sender_id, func.count(distinct(TurnFeedback.id)))
        .where(TurnFeedback.sender_id.in_(senders), TurnFeedback.vote == "down")
        .group_by(TurnFeedback.sender_id)
    ):
        found[sender]["feedback_down"] = int(downs)
    first = (
        select(turn.sender_id, func.min(turn.id).label("first_id"))
        .where(turn.sender_id.in_(senders))
        .group_by(turn.sender_id)
        .subquery()
    )
    for sender, text in session.execute(
        select(turn.sender_id, turn.user_text).join(first, turn.id == first.c.first_id)
    ):
        found[sender]["first_question"] = text
    return found


def conversation(session: Session, sender_id: str) -> dict[str, Any] | None:
    """One conversation with every turn and its feedback; None when unknown."""
    from partners.feedback import TurnFeedback

    row = session.get(AnalyticsConversation, sender_id)
    if row is None:
        return None
    votes = {
        message_id: {"vote": vote, "comment": comment}
        for message_id, vote, comment in session.execute(
            select(TurnFeedback.message_id, TurnFeedback.vote, TurnFeedback.comment).where(
                TurnFeedback.sender_id == sender_id
            )
        )
    }
    turns = session.scalars(
        select(AnalyticsTurn)
        .where(AnalyticsTurn.sender_id == sender_id)
        .order_by(AnalyticsTurn.at, AnalyticsTurn.id)
    )
    return {
        "sender_id": row.sender_id,
        "channel": row.channel,
        "partner_id": row.partner_id,
        "tier": row.tier,
        "turns": [
            {
                "id": turn.id,
                "message_id": turn.message_id,
                "at": _iso(turn.at),
                "user_text": turn.user_text,
                "intent": turn.intent,
                "confidence": turn.confidence,
                "outcome": turn.outcome,
                "latency_ms": turn.latency_ms,
                "bot_texts": json.loads(turn.bot_texts) if turn.bot_texts else [],
                "feedback": votes.get(turn.message_id),
            }
            for turn in turns
        ],
    }


class ExportError(ValueError):
    """A turn that cannot become a training example; the message says why."""


def nlu_example(session: Session, turn_id: int, intent: str, intents: tuple[str, ...]) -> str:
    """Return one turn's user text as Rasa NLU training data (YAML) for ``intent``.

    Raises:
        LookupError: No such turn.
        ExportError: An intent the domain does not have, or a turn without text.

    """
    if intent not in intents:
        raise ExportError(f"intent {intent!r} is not in domain.yml")
    turn = session.get(AnalyticsTurn, turn_id)
    if turn is None:
        raise LookupError(turn_id)
    text = re.sub(r"\s+", " ", turn.user_text or "").strip()
    if not text:
        raise ExportError("the turn's text is gone (retention) or it was a button press")
    if text.startswith("/"):
        raise ExportError("the turn was a button press, not typed text")
    return f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n    - {text}\n'
