"""The dashboard's figures: GROUP BYs over the turns, filtered by date, channel and tier.

Every figure counts turns (or their conversations) whose user message falls in the
date range (UTC days, inclusive), on the channel and of the partner tier asked for
(``none``: conversations without a partner). Indexes of migration 0008 keep each
query within the benchmark's budget over a million events (docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, distinct, func, select, tuple_
from sqlalchemy.orm import Session

from partners.analytics.models import AnalyticsConversation, AnalyticsTurn
from partners.analytics.outcomes import OUTCOMES
from partners.clock import aware

TIERS = ("Registered", "Silver", "Gold", "Platinum", "none")
CHANNELS = ("web", "slack", "api")
TOP = 10
EXAMPLES = 3
SelectT = TypeVar("SelectT", bound=Select)


@dataclass(frozen=True)
class Filters:
    """The filters every analytics query takes."""

    start: dt.date | None = None
    end: dt.date | None = None
    channel: str | None = None
    tier: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """Return the WHERE conditions on ``analytics_turns``."""
        turn = AnalyticsTurn
        found: list[ColumnElement[bool]] = []
        if self.start:
            found.append(turn.day >= self.start)
        if self.end:
            found.append(turn.day <= self.end)
        if self.channel:
            found.append(turn.channel == self.channel)
        if self.tier == "none":
            found.append(turn.tier.is_(None))
        elif self.tier:
            found.append(turn.tier == self.tier)
        return found

    def conversation_conditions(self) -> list[ColumnElement[bool]]:
        """Return the WHERE conditions on ``analytics_conversations`` (by the first turn)."""
        conversation = AnalyticsConversation
        found: list[ColumnElement[bool]] = []
        if self.start:
            found.append(conversation.started_day >= self.start)
        if self.end:
            found.append(conversation.started_day <= self.end)
        if self.channel:
            found.append(conversation.channel == self.channel)
        if self.tier == "none":
            found.append(conversation.tier.is_(None))
        elif self.tier:
            found.append(conversation.tier == self.tier)
        return found

    def where(self, query: SelectT) -> SelectT:
        """Return ``query`` with the filters applied."""
        conditions = self.conditions()
        return query.where(and_(*conditions)) if conditions else query

    def echo(self) -> dict[str, str | None]:
        """Return the filters as the answer repeats them."""
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "channel": self.channel,
            "tier": self.tier,
        }


def outcome_counts(session: Session, filters: Filters) -> dict[str, int]:
    """Count turns per outcome (every outcome present, zero when none)."""
    rows = session.execute(
        filters.where(
            select(AnalyticsTurn.outcome, func.count()).where(AnalyticsTurn.outcome.is_not(None))
        ).group_by(AnalyticsTurn.outcome)
    ).all()
    counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    counts.update({str(outcome): int(count) for outcome, count in rows if outcome in counts})
    return counts


def per_day(session: Session, filters: Filters) -> list[dict[str, Any]]:
    """Count turns per day and channel, and the conversations started then; oldest first."""
    turn = AnalyticsTurn
    rows = session.execute(
        filters.where(select(turn.day, turn.channel, func.count())).group_by(turn.day, turn.channel)
    ).all()
    return _merge_days({(_day(d), str(c)): int(n) for d, c, n in rows}, _started(session, filters))


def _started(session: Session, filters: Filters) -> dict[tuple[str, str], int]:
    conversation = AnalyticsConversation
    conditions = filters.conversation_conditions()
    query = select(conversation.started_day, conversation.channel, func.count())
    if conditions:
        query = query.where(and_(*conditions))
    rows = session.execute(query.group_by(conversation.started_day, conversation.channel)).all()
    return {(_day(d), str(c)): int(n) for d, c, n in rows}


def _merge_days(
    turns: dict[tuple[str, str], int], started: dict[tuple[str, str], int]
) -> list[dict[str, Any]]:
    return [
        {"date": day, "channel": channel, "turns": turns.get((day, channel), 0),
         "conversations": started.get((day, channel), 0)}
        for day, channel in sorted(set(turns) | set(started))
    ]  # fmt: skip


def top_intents(session: Session, filters: Filters, limit: int = TOP) -> list[dict[str, Any]]:
    """Return the most frequent intents, most frequent first."""
    count = func.count().label("count")
    rows = session.execute(
        filters.where(select(AnalyticsTurn.intent, count).where(AnalyticsTurn.intent.is_not(None)))
        .group_by(AnalyticsTurn.intent)
        .order_by(count.desc(), AnalyticsTurn.intent)
        .limit(limit)
    ).all()
    return [{"intent": intent, "count": int(n)} for intent, n in rows]


def top_unanswered(session: Session, filters: Filters, limit: int = TOP) -> list[dict[str, Any]]:
    """Return the largest clusters of unanswered questions, each with its newest examples."""
    turn = AnalyticsTurn
    count = func.count().label("count")
    clusters = session.execute(
        filters.where(select(turn.cluster_id, count).where(turn.cluster_id.is_not(None)))
        .group_by(turn.cluster_id)
        .order_by(count.desc(), turn.cluster_id.desc())
        .limit(limit)
    ).all()
    result = []
    for cluster_id, n in clusters:
        examples = session.execute(
            filters.where(
                select(turn.user_text, turn.at, turn.sender_id).where(
                    turn.cluster_id == cluster_id, turn.user_text.is_not(None)
                )
            )
            .order_by(turn.at.desc(), turn.id.desc())
            .limit(EXAMPLES)
        ).all()
        result.append(
            {
                "cluster": int(cluster_id or 0),
                "count": int(n),
                "examples": [
                    {"text": text, "at": _iso(at), "sender_id": sender}
                    for text, at, sender in examples
                ],
            }
        )
    return result


def feedback_counts(session: Session, filters: Filters) -> dict[str, int]:
    """Thumbs up and down on the filtered turns."""
    from partners.feedback import TurnFeedback

    rows = session.execute(
        filters.where(
            select(TurnFeedback.vote, func.count()).join(
                AnalyticsTurn,
                and_(
                    AnalyticsTurn.sender_id == TurnFeedback.sender_id,
                    AnalyticsTurn.message_id == TurnFeedback.message_id,
                ),
            )
        ).group_by(TurnFeedback.vote)
    ).all()
    counts = {"up": 0, "down": 0}
    counts.update({str(vote): int(n) for vote, n in rows if vote in counts})
    return counts


def latency_percentiles(session: Session, filters: Filters) -> dict[str, int | None]:
    """Return the median and 95th percentile of the answers' latency, in milliseconds."""
    latency = AnalyticsTurn.latency_ms
    if session.get_bind().dialect.name == "postgresql":
        p50, p95 = session.execute(
            filters.where(
                select(
                    func.percentile_disc(0.5).within_group(latency),
                    func.percentile_disc(0.95).within_group(latency),
                ).where(latency.is_not(None))
            )
        ).one()
        return {"p50": _int(p50), "p95": _int(p95)}
    count = session.scalar(filters.where(select(func.count()).where(latency.is_not(None)))) or 0
    result: dict[str, int | None] = {"p50": None, "p95": None}
    for name, share in (("p50", 0.5), ("p95", 0.95)):
        if count:
            offset = max(0, min(count - 1, int(share * count + 0.999999) - 1))
            value = session.scalar(
                filters.where(select(latency).where(latency.is_not(None)))
                .order_by(latency)
                .offset(offset)
                .limit(1)
            )
            result[name] = _int(value)
    return result


def _grouped_postgres(
    session: Session, filters: Filters
) -> tuple[dict[str, int], dict[tuple[str, str], int], list[dict[str, Any]]]:
    """Return outcome counts, turns per day and channel, and top intents in one scan."""
    turn = AnalyticsTurn
    sets = func.grouping_sets(
        tuple_(turn.day, turn.channel), tuple_(turn.outcome), tuple_(turn.intent)
    )
    which = func.grouping(turn.day, turn.outcome, turn.intent)
    rows = session.execute(
        filters.where(
            select(which, turn.day, turn.channel, turn.outcome, turn.intent, func.count())
        ).group_by(sets)
    ).all()
    outcomes: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    days: dict[tuple[str, str], int] = {}
    intents: list[tuple[int, str]] = []
    for grouping, day, channel, outcome, intent, count in rows:
        if grouping == 0b011:  # by day and channel
            days[_day(day), str(channel)] = int(count)
        elif grouping == 0b101 and outcome in outcomes:
            outcomes[str(outcome)] = int(count)
        elif grouping == 0b110 and intent is not None:
            intents.append((-int(count), str(intent)))
    top = [{"intent": name, "count": -n} for n, name in sorted(intents)[:TOP]]
    return outcomes, days, top


def summary(session: Session, filters: Filters) -> dict[str, Any]:
    """Return the whole dashboard in one answer (``GET /v1/analytics/summary``).

    Conversations count by their first turn (started in the range, on the channel,
    of the tier); turns by their own day.
    """
    turn = AnalyticsTurn
    if session.get_bind().dialect.name == "postgresql":
        outcomes, days, intents = _grouped_postgres(session, filters)
        per_day_rows = _merge_days(days, _started(session, filters))
    else:
        outcomes = outcome_counts(session, filters)
        per_day_rows = per_day(session, filters)
        intents = top_intents(session, filters)
    turns = sum(row["turns"] for row in per_day_rows)
    conversations = sum(row["conversations"] for row in per_day_rows)
    handed_over = session.scalar(
        filters.where(select(func.count(distinct(turn.sender_id))).where(turn.outcome == "handoff"))
    )
    return {
        "turns": turns,
        "conversations": conversations,
        "outcomes": outcomes,
        "feedback": feedback_counts(session, filters),
        "containment_rate": _rate(max(0, conversations - int(handed_over or 0)), conversations),
        "dont_know_rate": _rate(outcomes["dont_know"], turns),
        "fallback_rate": _rate(outcomes["fallback"], turns),
        "latency_ms": latency_percentiles(session, filters),
        "per_day": per_day_rows,
        "top_intents": intents,
        "top_unanswered": top_unanswered(session, filters),
        "filters": filters.echo(),
    }


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return aware(value).astimezone(dt.timezone.utc).isoformat()
