"""Audit API: program managers read who of the office read or answered which conversation.

The entries are written by the work they record (``partners.audit``): reading a
handoff ticket or a transcript, claiming, replying, handing back, exporting.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from bot.deps import Context, ProgramManager
from partners import audit

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditEntryOut(BaseModel):
    """One entry: who did what to which conversation, and when."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: str | None


class AuditPageOut(BaseModel):
    """One page of entries, newest first, and how many match in all."""

    items: list[AuditEntryOut]
    total: int


@router.get("")
def list_entries(
    manager: ProgramManager,
    context: Context,
    actor: Annotated[str | None, Query(max_length=254)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> AuditPageOut:
    """List audit entries, newest first; filter by operator, action or conversation.

    Raises:
        HTTPException: 401 without a valid token, 403 unless a program manager.

    """
    with context.session() as session:
        page = audit.entries(
            session, actor=actor, action=action, target=target, limit=limit, offset=offset
        )
    items = [AuditEntryOut(**vars(entry)) for entry in page.items]
    return AuditPageOut(items=items, total=page.total)
