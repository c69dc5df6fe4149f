"""The audit log: who of the program office read which conversation, and what they did.

Every operator read of a conversation (a handoff ticket, a transcript in review) and
every operator action on one (claim, reply, hand back, an NLU export) is written here,
in the same transaction as the work it records, so an audited action cannot happen
without its entry. Program managers read the log at ``GET /v1/audit``.

Functions flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from partners.clock import aware, utc_now
from partners.models import AuditEntry

# What an entry records; a new kind of audited work adds its name here.
AuditAction = Literal[
    "read_conversation",
    "read_ticket",
    "read_partner_status",
    "claim",
    "reply",
    "hand_back",
    "close",
    "export_nlu",
    "export_csv",
]
DETAIL_LIMIT = 500
TARGET_LIMIT = 200


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the log, as operators see it."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: str | None


@dataclass(frozen=True)
class AuditPage:
    """One page of entries, newest first, and how many match in all."""

    items: list[AuditRecord]
    total: int


def record(
    session: Session,
    actor: str,
    action: AuditAction,
    target: str,
    detail: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Add one entry: ``actor`` (an operator's e-mail) did ``action`` on ``target``.

    ``detail`` is cut to 500 characters: enough to say what was sent, never a whole
    transcript copied into the log.
    """
    session.add(
        AuditEntry(
            at=now or utc_now(),
            actor=actor,
            action=action,
            target=target[:TARGET_LIMIT],
            detail=detail[:DETAIL_LIMIT] if detail else None,
        )
    )
    session.flush()


def entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AuditPage:
    """Return entries, newest first, optionally only one actor's, action's or target's."""
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor.lower())
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    items = [
        AuditRecord(row.id, aware(row.at), row.actor, row.action, row.target, row.detail)
        for row in rows
    ]
    return AuditPage(items=items, total=int(total))
