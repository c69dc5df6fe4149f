"""Transcript retention: old texts go, the counts stay.

``purge`` deletes, older than the retention period: each turn's user and assistant
texts, feedback comments, and the transcripts of closed handoff tickets. Rows and
their outcome, intent, channel, tier, latency and votes stay, so the dashboard's
figures do not change. It also forgets event keys older than a week (a redelivery
comes within minutes). Idempotent: a second run finds nothing left to delete.
Rasa's own stores (tracker store, events file) are purged by ``rasa_retention``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, delete, func, or_, update
from sqlalchemy.orm import Session

from partners.analytics.models import AnalyticsEventKey, AnalyticsTurn
from partners.feedback import TurnFeedback
from partners.models import HandoffTicket

EVENT_KEY_DAYS = 7
EMPTY_TRANSCRIPT = "[]"


@dataclass(frozen=True)
class Purged:
    """How many rows lost their texts (and keys were forgotten)."""

    turns: int
    feedback_comments: int
    tickets: int
    event_keys: int

    def as_dict(self) -> dict[str, int]:
        """JSON-ready form (for the log)."""
        return asdict(self)


def purge(engine: Engine, retention_days: int, *, now: dt.datetime | None = None) -> Purged:
    """Delete transcript texts older than ``retention_days`` (0: keep them forever)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    turns = comments = tickets = 0
    with Session(engine) as session:
        if retention_days > 0:
            cutoff = now - dt.timedelta(days=retention_days)
            turns = _count(
                session.execute(
                    update(AnalyticsTurn)
                    .where(AnalyticsTurn.at < cutoff)
                    .where(
                        or_(
                            AnalyticsTurn.user_text.is_not(None),
                            AnalyticsTurn.bot_texts.is_not(None),
                        )
                    )
                    .values(user_text=None, bot_texts=None)
                )
            )
            comments = _count(
                session.execute(
                    update(TurnFeedback)
                    .where(TurnFeedback.created_at < cutoff, TurnFeedback.comment.is_not(None))
                    .values(comment=None)
                )
            )
            tickets = _count(
                session.execute(
                    update(HandoffTicket)
                    .where(HandoffTicket.status == "closed")
                    # tickets from before migration 0009 have no updated_at
                    .where(
                        func.coalesce(HandoffTicket.updated_at, HandoffTicket.created_at) < cutoff
                    )
                    .where(HandoffTicket.transcript != EMPTY_TRANSCRIPT)
                    .values(transcript=EMPTY_TRANSCRIPT)
                )
            )
        keys = _count(
            session.execute(
                delete(AnalyticsEventKey).where(
                    AnalyticsEventKey.seen_at < now - dt.timedelta(days=EVENT_KEY_DAYS)
                )
            )
        )
        session.commit()
    return Purged(turns, comments, tickets, keys)


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
