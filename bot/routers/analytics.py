"""Analytics API for the program office: the dashboard, CSV exports, conversation review.

Operators only. Every figure takes the same filters: ``start``/``end`` (UTC dates,
inclusive), ``channel`` (web, slack, api) and ``tier`` (a tier, or ``none`` for
conversations without a partner). Reading a whole conversation and exporting data
are written to the audit log (``partners.audit``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from bot.analytics_ingest import domain_intents
from bot.deps import Context, OperatorCaller
from partners import audit
from partners.analytics import export, queries, review
from partners.analytics.outcomes import Outcome
from partners.context import PartnerContext

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

ChannelName = Literal["web", "slack", "api"]
TierName = Literal["Registered", "Silver", "Gold", "Platinum", "none"]
TableName = Literal["per_day", "outcomes", "top_intents", "top_unanswered", "feedback", "turns"]


def filters(
    start: Annotated[dt.date | None, Query(description="First UTC day, YYYY-MM-DD.")] = None,
    end: Annotated[dt.date | None, Query(description="Last UTC day (inclusive).")] = None,
    channel: ChannelName | None = None,
    tier: TierName | None = None,
) -> queries.Filters:
    """FastAPI dependency: the common filters; an end before the start is a 422."""
    if start and end and end < start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "end must not be before start")
    return queries.Filters(start=start, end=end, channel=channel, tier=tier)


Filters = Annotated[queries.Filters, Depends(filters)]


@router.get("/summary")
def summary(_operator: OperatorCaller, context: Context, chosen: Filters) -> dict[str, Any]:
    """Return the dashboard: turns, conversations, outcomes, rates, latency, top lists, feedback."""
    with context.session() as session:
        return queries.summary(session, chosen)


@router.get(
    "/export/{table}.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_csv(
    operator: OperatorCaller, context: Context, chosen: Filters, table: TableName
) -> StreamingResponse:
    """One of the dashboard's tables as CSV (``turns``: every turn, with its texts)."""
    with context.session() as session:
        audit.record(
            session, operator.subject, "export_csv", f"analytics:{table}", str(chosen.echo())
        )
        session.commit()
    return StreamingResponse(
        _stream(context, table, chosen),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{table}.csv"'},
    )


def _stream(context: PartnerContext, table: str, chosen: queries.Filters) -> Iterator[str]:
    with context.session() as session:
        yield from export.table_rows(session, table, chosen)


@router.get("/conversations")
def list_conversations(
    _operator: OperatorCaller,
    context: Context,
    chosen: Filters,
    q: Annotated[str | None, Query(max_length=200, description="Text in the transcript.")] = None,
    outcome: Outcome | None = None,
    intent: Annotated[str | None, Query(max_length=100)] = None,
    feedback: Literal["up", "down"] | None = None,
    limit: Annotated[int, Query(ge=1, le=review.MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """Conversations with a turn matching the search, the latest first."""
    search = review.Search(
        q=q or None, outcome=outcome, intent=intent, feedback=feedback, limit=limit, offset=offset
    )
    with context.session() as session:
        return review.conversations(session, chosen, search)


@router.get("/conversations/{sender_id}")
def read_conversation(
    operator: OperatorCaller,
    context: Context,
    sender_id: Annotated[str, Path(max_length=200)],
) -> dict[str, Any]:
    """One conversation's every turn, with feedback (the read is audited)."""
    with context.session() as session:
        found = review.conversation(session, sender_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation in analytics")
        audit.record(session, operator.subject, "read_conversation", sender_id)
        session.commit()
    return found


@router.get("/intents")
def intents(_operator: OperatorCaller) -> dict[str, list[str]]:
    """Return the domain's intents (the choices of an NLU export)."""
    return {"intents": list(domain_intents())}


@router.get(
    "/turns/{turn_id}/nlu",
    response_class=Response,
    responses={200: {"content": {"text/yaml": {"schema": {"type": "string"}}}}},
)
def export_nlu(
    operator: OperatorCaller,
    context: Context,
    turn_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    intent: Annotated[str, Query(min_length=1, max_length=100)],
) -> PlainTextResponse:
    """Return the turn's user text as a Rasa NLU training example for ``intent`` (audited)."""
    with context.session() as session:
        try:
            text = review.nlu_example(session, turn_id, intent, domain_intents())
        except LookupError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such turn") from exc
        except review.ExportError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        audit.record(session, operator.subject, "export_nlu", f"turn:{turn_id}", intent)
        session.commit()
    return PlainTextResponse(text, media_type="text/yaml")
