"""One reminder run: for each partner, what is due, to whom, and now or later.

``run_reminders`` is the work; ``run_once`` wraps it as the one runner of the
deployment (``partners.reminders.runs``). For each partner, its recipients (its own
web sign-in and linked Slack users, ``partners.reminders.preferences``) that have
reminders on; the partner's record as of today in its country's zone; the reminders
due (``partners.reminders.due``); and for each recipient and reminder:

- outside the recipient's hours: postponed (a later run inside them sends it while
  it is still due);
- already recorded: nothing (each reminder goes once, ``partners.reminders.outbox``);
- web: stored for the widget; Slack: recorded as ``sending``, posted, recorded as
  ``sent`` (or ``failed``, or left for ``unknown``).

Nothing about one partner is sent to a recipient of another: the recipients are read
per partner, from that partner's rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from partners.catalogue import ProgramCatalogue
from partners.models import Partner
from partners.reminders import outbox, runs
from partners.reminders.due import Notice, due_notices
from partners.reminders.hours import country_zone
from partners.reminders.preferences import SLACK, Recipient, recipients_of
from partners.reminders.slack import post_direct_message
from partners.snapshot import load_snapshot
from partners.status import status_from_snapshot
from settings import Settings

logger = logging.getLogger(__name__)

BUSY = "another reminder run is in progress; try again when it has finished"
# Every count of a run's report, zero included (docs/partners.md, "Reminders").
REPORT_COUNTS = (
    "partners",
    "due",
    "slack_sent",
    "web_stored",
    "already_sent",
    "postponed",
    "opted_out",
    "slack_failed",
    "slack_unknown",
    "slack_not_configured",
    "unknown_marked",
)


def _today(partner: Partner, now: dt.datetime) -> dt.date:
    try:
        return now.astimezone(ZoneInfo(country_zone(partner.country))).date()
    except (KeyError, ValueError):  # no zone database: the UTC date
        return now.astimezone(dt.timezone.utc).date()


def _due(
    engine: Engine, catalogue: ProgramCatalogue, partner: Partner, now: dt.datetime
) -> list[Notice]:
    today = _today(partner, now)
    with Session(engine) as session:
        snapshot = load_snapshot(session, partner.id, today)
        if snapshot is None:  # removed meanwhile
            return []
        status = status_from_snapshot(catalogue, snapshot, partner.tier, today)
        return due_notices(session, catalogue, snapshot, status, today)


def _deliver(
    settings: Settings,
    engine: Engine,
    recipient: Recipient,
    notice: Notice,
    *,
    now: dt.datetime,
    run_id: int | None,
    counts: Counter[str],
) -> None:
    if recipient.channel != SLACK:
        stored = outbox.store_notice(engine, recipient, notice, now=now, run_id=run_id)
        counts["web_stored" if stored else "already_sent"] += 1
        return
    delivery = outbox.claim(engine, recipient, notice, now=now, run_id=run_id)
    if delivery is None:
        counts["already_sent"] += 1
        return
    result = post_direct_message(
        settings.slack_api_base_url, settings.slack_token, recipient.address, notice.text
    )
    outbox.finish(engine, delivery, result.outcome, now=now, error=result.error)
    if result.outcome == "sent":
        counts["slack_sent"] += 1
        logger.info("reminder #%d (%s) sent to %s", delivery, notice.kind, recipient.key)
    else:
        counts["slack_failed" if result.outcome == "failed" else "slack_unknown"] += 1
        logger.error(
            "reminder #%d (%s) to %s not confirmed (%s): %s",
            delivery,
            notice.kind,
            recipient.key,
            result.outcome,
            result.error,
        )


def _remind_partner(
    settings: Settings,
    engine: Engine,
    catalogue: ProgramCatalogue,
    partner: Partner,
    *,
    now: dt.datetime,
    run_id: int | None,
    counts: Counter[str],
) -> None:
    with Session(engine) as session:
        recipients = recipients_of(session, partner)
    active = []
    for recipient in recipients:
        if not recipient.enabled:
            counts["opted_out"] += 1
        elif recipient.channel == SLACK and not settings.slack_token:
            counts["slack_not_configured"] += 1
        else:
            active.append(recipient)
    if not active:
        return
    notices = _due(engine, catalogue, partner, now)
    counts["due"] += len(notices)
    for recipient in active:
        for notice in notices:
            if not recipient.hours.allows(now):
                with Session(engine) as session:
                    pending = not outbox.recorded(session, recipient, notice)
                counts["postponed" if pending else "already_sent"] += 1
                continue
            _deliver(settings, engine, recipient, notice, now=now, run_id=run_id, counts=counts)


def run_reminders(
    settings: Settings,
    engine: Engine,
    catalogue: ProgramCatalogue,
    *,
    now: dt.datetime,
    run_id: int | None = None,
) -> dict[str, Any]:
    """Send what is due at ``now`` (aware) to every partner's recipients; return the report."""
    counts: Counter[str] = Counter()
    counts["unknown_marked"] = outbox.abandon_unfinished(engine, now=now)
    with Session(engine, expire_on_commit=False) as session:
        partners = session.scalars(select(Partner).order_by(Partner.id)).all()
    failed: list[str] = []
    for partner in partners:
        try:
            _remind_partner(
                settings, engine, catalogue, partner, now=now, run_id=run_id, counts=counts
            )
        except Exception:  # one bad record must not stop everybody else's reminders
            logger.exception("reminders for %s failed", partner.id)
            failed.append(partner.id)
    counts["partners"] = len(partners)
    report: dict[str, Any] = {"now": now.isoformat(), **{k: counts[k] for k in REPORT_COUNTS}}
    if failed:
        report["failed_partners"] = failed[:100]
    if not settings.slack_token:
        report["note"] = "SLACK_TOKEN is not set: no Slack direct messages were sent"
    return report


def run_once(
    settings: Settings,
    engine: Engine,
    catalogue: ProgramCatalogue,
    *,
    trigger: str,
    actor: str,
    now: dt.datetime | None = None,
    slot: str | None = None,
) -> runs.RunView | None:
    """Run the reminders as the one runner; None when another run holds the lock or slot."""
    now = now or dt.datetime.now(dt.timezone.utc)
    lock = runs.runner_lock(settings)
    if not lock.acquire():
        logger.info("reminder run (%s) skipped: another process is running one", trigger)
        return None
    try:
        run = runs.claim(engine, trigger=trigger, actor=actor, now=now, slot=slot)
        if run is None:
            logger.info("reminder run (%s) skipped: one is running, or slot %s ran", trigger, slot)
            return None
        status, report = "failed", {}
        try:
            report = run_reminders(settings, engine, catalogue, now=now, run_id=run.id)
            status = "failed" if report.get("failed_partners") else "ok"
        except Exception as exc:
            logger.exception("reminder run %d failed", run.id)
            report = {"error": f"the run stopped on an unexpected error ({type(exc).__name__})"}
        finally:
            view = runs.finish(engine, run.id, status, report)
        logger.info("reminder run %d (%s by %s): %s %s", view.id, trigger, actor, status, report)
        return view
    finally:
        lock.release()
