"""CSV exports of the dashboard's tables (``GET /v1/analytics/export/{table}.csv``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from partners.analytics import queries
from partners.analytics.models import AnalyticsTurn
from partners.analytics.queries import Filters, _iso

TABLES = ("per_day", "outcomes", "top_intents", "top_unanswered", "feedback", "turns")
TURN_COLUMNS = (
    "id", "sender_id", "message_id", "at", "channel", "tier", "intent", "confidence",
    "outcome", "latency_ms", "cluster", "user_text", "bot_texts", "vote", "comment",
)  # fmt: skip


# A cell starting with one of these is a formula to a spreadsheet: a partner's text
# such as "=HYPERLINK(...)" must stay text when an operator opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([[_cell(value) for value in row] for row in rows])
    return out.getvalue()


def table_rows(session: Session, table: str, filters: Filters) -> Iterator[str]:
    """Yield the CSV text of ``table`` (one of ``TABLES``) in chunks, header first."""
    if table == "turns":
        yield from _turns(session, filters)
        return
    rows: list[list[Any]]
    if table == "per_day":
        rows = [["date", "channel", "turns", "conversations"]]
        rows += [
            [r["date"], r["channel"], r["turns"], r["conversations"]]
            for r in queries.per_day(session, filters)
        ]
    elif table == "outcomes":
        rows = [["outcome", "turns"], *map(list, queries.outcome_counts(session, filters).items())]
    elif table == "top_intents":
        rows = [["intent", "count"]]
        rows += [
            [r["intent"], r["count"]] for r in queries.top_intents(session, filters, limit=1000)
        ]
    elif table == "top_unanswered":
        rows = [["cluster", "count", "example", "at", "sender_id"]]
        for cluster in queries.top_unanswered(session, filters, limit=1000):
            examples = cluster["examples"] or [{"text": "", "at": "", "sender_id": ""}]
            for example in examples:
                rows.append(
                    [
                        cluster["cluster"],
                        cluster["count"],
                        example["text"],
                        example["at"],
                        example["sender_id"],
                    ]
                )
    elif table == "feedback":
        rows = [["vote", "count"], *map(list, queries.feedback_counts(session, filters).items())]
    else:
        raise ValueError(f"unknown table {table!r}")
    yield _csv(rows)


def _turns(session: Session, filters: Filters) -> Iterator[str]:
    from partners.feedback import TurnFeedback

    yield _csv([list(TURN_COLUMNS)])
    turn = AnalyticsTurn
    query = filters.where(
        select(turn, TurnFeedback.vote, TurnFeedback.comment).outerjoin(
            TurnFeedback,
            and_(
                TurnFeedback.sender_id == turn.sender_id,
                TurnFeedback.message_id == turn.message_id,
            ),
        )
    ).order_by(turn.at, turn.id)
    chunk: list[list[Any]] = []
    for row, vote, comment in session.execute(query.execution_options(yield_per=1000)):
        texts = json.loads(row.bot_texts) if row.bot_texts else []
        chunk.append(
            [
                row.id,
                row.sender_id,
                row.message_id,
                _iso(row.at),
                row.channel,
                row.tier,
                row.intent,
                row.confidence,
                row.outcome,
                row.latency_ms,
                row.cluster_id,
                row.user_text,
                "\n".join(texts),
                vote,
                comment,
            ]  # fmt: skip
        )
        if len(chunk) >= 1000:
            yield _csv(chunk)
            chunk = []
    if chunk:
        yield _csv(chunk)
