"""The send record: each reminder goes to each recipient once.

The key of a ``reminder_deliveries`` row is (channel, recipient, kind, subject,
threshold). Before Slack is called the row is **committed** as ``sending``: of two
runners racing, only one insert succeeds, and the other never calls Slack. Then:

- Slack took it: ``sent``;
- Slack surely did not (it answered ``ok: false``, a 429, or could not be reached at
  all): ``failed``, sent again by a later run while the reminder is still due, at most
  ``MAX_ATTEMPTS`` tries in all;
- the outcome cannot be known (a timeout after the request went out, a 5xx, the
  process stopped between the call and the update): the row stays ``sending``, and
  the next run marks it ``unknown`` with a warning in the log. It is **never sent
  again**: at most once, by choice. A duplicate reminder would teach people to ignore
  them; a lost one is logged with the row to look at.

Web notices have no such gap: storing the row is the delivery (``sent``); the widget
shows it at its next open and marks it ``seen`` (``take_unseen``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partners.clock import aware
from partners.models import ReminderDelivery, ReminderRun
from partners.reminders.due import Notice
from partners.reminders.preferences import WEB, Recipient

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
UNKNOWN = "outcome unknown: the run stopped while sending it; not sent again (at most once)"


def _key(recipient: Recipient, notice: Notice) -> tuple[Any, ...]:
    return (
        ReminderDelivery.channel == recipient.channel,
        ReminderDelivery.recipient == recipient.address,
        ReminderDelivery.kind == notice.kind,
        ReminderDelivery.subject == notice.subject,
        ReminderDelivery.threshold == notice.threshold,
    )


def recorded(session: Session, recipient: Recipient, notice: Notice) -> bool:
    """Whether this reminder has a send record (sent, in progress, or tried)."""
    return session.scalar(select(ReminderDelivery.id).where(*_key(recipient, notice))) is not None


def _insert(
    engine: Engine,
    recipient: Recipient,
    notice: Notice,
    *,
    status: str,
    now: dt.datetime,
    run_id: int | None,
) -> int | None:
    row = ReminderDelivery(
        partner_id=recipient.partner_id,
        channel=recipient.channel,
        recipient=recipient.address,
        kind=notice.kind,
        subject=notice.subject,
        threshold=notice.threshold,
        text=notice.text,
        status=status,
        attempts=1,
        created_at=now,
        sent_at=now if status == "sent" else None,
        run_id=run_id,
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            return None
        return row.id


def store_notice(
    engine: Engine, recipient: Recipient, notice: Notice, *, now: dt.datetime, run_id: int | None
) -> bool:
    """Put a notice in a web recipient's inbox; False when it is there already."""
    assert recipient.channel == WEB
    return _insert(engine, recipient, notice, status="sent", now=now, run_id=run_id) is not None


def claim(
    engine: Engine, recipient: Recipient, notice: Notice, *, now: dt.datetime, run_id: int | None
) -> int | None:
    """Commit the send record as ``sending`` before sending; its id, or None: not ours.

    None means the reminder was sent, is being sent by another runner, has an unknown
    outcome, or failed ``MAX_ATTEMPTS`` times already.
    """
    claimed = _insert(engine, recipient, notice, status="sending", now=now, run_id=run_id)
    if claimed is not None:
        return claimed
    with Session(engine) as session:
        # A failed try is taken again by one conditional UPDATE: one runner wins it.
        result = session.execute(
            update(ReminderDelivery)
            .where(
                *_key(recipient, notice),
                ReminderDelivery.status == "failed",
                ReminderDelivery.attempts < MAX_ATTEMPTS,
            )
            .values(
                status="sending",
                attempts=ReminderDelivery.attempts + 1,
                text=notice.text,
                run_id=run_id,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if cast(CursorResult[Any], result).rowcount != 1:
            return None
        return session.scalar(select(ReminderDelivery.id).where(*_key(recipient, notice)))


def finish(
    engine: Engine, delivery_id: int, status: str, *, now: dt.datetime, error: str | None = None
) -> None:
    """Record the outcome of a send: ``sent``, ``failed`` or (left) ``sending``."""
    with Session(engine) as session:
        session.execute(
            update(ReminderDelivery)
            .where(ReminderDelivery.id == delivery_id)
            .values(status=status, error=error, sent_at=now if status == "sent" else None)
        )
        session.commit()


def abandon_unfinished(engine: Engine, *, now: dt.datetime) -> int:
    """Mark ``sending`` rows of runs no longer running as ``unknown``; log each one."""
    running = select(ReminderRun.id).where(ReminderRun.status == "running")
    stuck = (
        ReminderDelivery.status == "sending",
        (ReminderDelivery.run_id.is_(None)) | (ReminderDelivery.run_id.not_in(running)),
    )
    with Session(engine) as session:
        rows = session.execute(
            select(
                ReminderDelivery.id,
                ReminderDelivery.channel,
                ReminderDelivery.recipient,
                ReminderDelivery.kind,
                ReminderDelivery.subject,
            ).where(*stuck)
        ).all()
        for row in rows:
            logger.warning(
                "reminder #%d (%s to %s:%s, %s): %s",
                row.id,
                row.kind,
                row.channel,
                row.recipient,
                row.subject,
                UNKNOWN,
            )
        if rows:
            session.execute(
                update(ReminderDelivery)
                .where(ReminderDelivery.id.in_([row.id for row in rows]))
                .values(status="unknown", error=UNKNOWN)
            )
            session.commit()
    return len(rows)


@dataclass(frozen=True)
class WebNotice:
    """A reminder shown in the widget."""

    id: int
    kind: str
    text: str
    created_at: dt.datetime


def take_unseen(
    engine: Engine, partner_id: str, *, now: dt.datetime | None = None
) -> list[WebNotice]:
    """Return the partner's unseen web notices, oldest first, and mark them seen.

    Each is returned once: it is marked by a conditional UPDATE, so of two widgets
    opening at the same moment only one shows a given notice.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    with Session(engine) as session:
        rows = (
            session.execute(
                select(ReminderDelivery)
                .where(
                    ReminderDelivery.channel == WEB,
                    ReminderDelivery.recipient == partner_id,
                    ReminderDelivery.partner_id == partner_id,
                    ReminderDelivery.status == "sent",
                )
                .order_by(ReminderDelivery.created_at, ReminderDelivery.id)
            )
            .scalars()
            .all()
        )
        taken: list[WebNotice] = []
        for row in rows:
            result = session.execute(
                update(ReminderDelivery)
                .where(ReminderDelivery.id == row.id, ReminderDelivery.status == "sent")
                .values(status="seen", seen_at=now)
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], result).rowcount == 1:
                taken.append(WebNotice(row.id, row.kind, row.text, aware(row.created_at)))
        session.commit()
    return taken
