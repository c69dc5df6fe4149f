"""Reminders API: a partner's choices and widget notices; operators' runs.

- ``GET /v1/partners/me/reminders``: who gets the signed-in partner's reminders (its
  web sign-in and linked Slack users) with each one's choices.
- ``PUT /v1/partners/me/reminders``: change one recipient's choices (on/off, time
  zone, hours); only the partner's own recipients.
- ``GET /v1/partners/me/notices``: the notices waiting for the widget, each returned
  once (they are marked seen as they are returned).
- ``GET /v1/admin/reminders`` (operators): schedule, next run, recent runs.
- ``POST /v1/admin/reminders/run`` (program managers): run now and return the report;
  ``now`` (a clock for the run) is accepted only in sample mode.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from bot.api_errors import ErrorOut
from bot.deps import Context, OperatorCaller, ProgramManager
from bot.reminder_scheduler import ReminderScheduler
from bot.routers.auth import SignedIn, signed_in_partner
from partners.models import Partner
from partners.reminders import outbox, preferences, runs
from partners.reminders.hours import HoursError, check_clock, check_zone
from partners.reminders.run import BUSY
from settings import get_settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/partners/me", tags=["reminders"])
admin_router = APIRouter(prefix="/v1/admin/reminders", tags=["admin"])
Partnership = Annotated[SignedIn, Depends(signed_in_partner)]
# A run's clock: far enough either way for any test or demo, near enough that every
# time zone conversion of it stays a valid date.
NOW_YEARS = (2000, 2200)
NOW_IN_SAMPLE_MODE_ONLY = (
    "'now' is accepted only in sample mode (PA_SEED_SAMPLE_DATA=true); leave it out"
)


class RecipientOut(BaseModel):
    """One recipient of the partner's reminders and their choices."""

    recipient: str = Field(description="'web:P-0001' or 'slack:U0123'.", examples=["web:P-0001"])
    channel: str
    description: str
    enabled: bool
    time_zone: str
    own_time_zone: bool = Field(description="False: the partner country's main zone.")
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["17:00"])


class RemindersOut(BaseModel):
    """Everyone who gets the partner's reminders."""

    recipients: list[RecipientOut]


class ReminderChoiceIn(BaseModel):
    """A change to one recipient's choices; fields left out stay as they are."""

    recipient: str | None = Field(
        default=None,
        max_length=120,
        description="Whose choices: 'web:<partner id>' (the default) or 'slack:<user id>'.",
    )
    enabled: bool | None = None
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA zone, e.g. Europe/Berlin; an empty string: the country's zone.",
    )
    start: str | None = Field(default=None, max_length=5, examples=["09:00"])
    end: str | None = Field(default=None, max_length=5, examples=["17:00"])


class NoticeOut(BaseModel):
    """A reminder for the widget to show."""

    id: int
    kind: str
    text: str = Field(description="Markdown.")
    created_at: dt.datetime


class NoticesOut(BaseModel):
    """Notices not shown before; from now on marked seen."""

    notices: list[NoticeOut]


def _partner(context: Context, signed: SignedIn) -> Partner:
    with context.session() as session:
        partner = session.get(Partner, signed.subject)
    if partner is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no partner {signed.subject}")
    return partner


def _out(context: Context, partner: Partner) -> RemindersOut:
    with context.session() as session:
        found = preferences.recipients_of(session, partner)
    return RemindersOut(
        recipients=[
            RecipientOut(
                recipient=r.key,
                channel=r.channel,
                description=r.describe(),
                enabled=r.enabled,
                time_zone=r.hours.zone,
                own_time_zone=r.own_zone,
                start=r.hours.start,
                end=r.hours.end,
            )
            for r in found
        ]
    )


@router.get("/reminders")
def my_reminders(signed: Partnership, context: Context) -> RemindersOut:
    """List who gets the signed-in partner's reminders, with each one's choices."""
    return _out(context, _partner(context, signed))


@router.put("/reminders")
def change_reminders(body: ReminderChoiceIn, signed: Partnership, context: Context) -> RemindersOut:
    """Change one recipient's choices (the partner's own recipients only).

    Raises:
        HTTPException: 404 for a recipient that is not the partner's; 422 for a time
            zone or hours that cannot be used.

    """
    partner = _partner(context, signed)
    channel, _, address = (body.recipient or "web").partition(":")
    if channel == preferences.WEB and not address:
        address = partner.id  # "web": the signed-in partner's own web sign-in
    with context.session() as session:
        target = preferences.recipient(session, partner, channel, address)
    if target is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"{body.recipient!r} does not get your reminders: use 'web:{partner.id}' or "
            "'slack:<user id>' of a Slack account linked to your company",
        )
    try:
        zone: str | None = preferences.KEEP
        if body.time_zone is not None:
            zone = check_zone(body.time_zone) if body.time_zone.strip() else None
        start = check_clock(body.start, "start") if body.start is not None else None
        end = check_clock(body.end, "end") if body.end is not None else None
        preferences.set_preference(
            context.engine,
            channel,
            address,
            enabled=body.enabled,
            time_zone=zone,
            start=start,
            end=end,
        )
    except HoursError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    logger.info(
        "reminder choices of %s changed by %s: %s",
        target.key,
        partner.id,
        body.model_dump(exclude_none=True),
    )
    return _out(context, partner)


@router.get("/notices")
def my_notices(signed: Partnership, context: Context) -> NoticesOut:
    """Return the notices waiting for the widget, each once: they are marked seen now."""
    partner = _partner(context, signed)
    taken = outbox.take_unseen(context.engine, partner.id)
    return NoticesOut(
        notices=[
            NoticeOut(id=n.id, kind=n.kind, text=n.text, created_at=n.created_at) for n in taken
        ]
    )


class RunIn(BaseModel):
    """An operator's run; ``now`` only in sample mode."""

    now: dt.datetime | None = Field(
        default=None,
        description="Sample mode only: the clock of the run, with its offset "
        "(e.g. 2027-01-03T10:00:00+01:00).",
    )


class RunOut(BaseModel):
    """A reminder run and its report."""

    id: int
    status: str
    trigger: str
    actor: str
    slot: str | None
    now: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None
    report: dict[str, Any]


class RemindersStatusOut(BaseModel):
    """The reminders' schedule and recent runs."""

    enabled: bool
    schedule: str
    lock: str
    next_run: dt.datetime | None
    problem: str | None
    recent: list[RunOut]


def reminder_scheduler(request: Request) -> ReminderScheduler:
    """Return the app's scheduler (one unstarted, if the lifespan did not start one)."""
    scheduler: ReminderScheduler | None = getattr(request.app.state, "reminder_scheduler", None)
    if scheduler is None:
        scheduler = ReminderScheduler(get_settings())
        request.app.state.reminder_scheduler = scheduler
    return scheduler


@admin_router.get("")
def reminders_status(identity: OperatorCaller, request: Request) -> RemindersStatusOut:
    """Return the schedule, the next run of this process and the recent runs."""
    scheduler = reminder_scheduler(request)
    settings = scheduler.settings
    return RemindersStatusOut(
        enabled=scheduler.enabled,
        schedule=settings.reminders_schedule,
        lock="redis" if settings.sync_lock_url.strip() else "database",
        next_run=scheduler.next_run_time(),
        problem=scheduler.problem,
        recent=[RunOut.model_validate(r.as_json()) for r in runs.recent(scheduler.engine)],
    )


@admin_router.post("/run", responses={409: {"model": ErrorOut, "description": BUSY}})
def run_reminders_now(
    identity: ProgramManager, request: Request, body: RunIn | None = None
) -> RunOut:
    """Run the reminders now and return the run with its report.

    Raises:
        HTTPException: 422 for ``now`` outside sample mode or without an offset; 409
            when another run is in progress.

    """
    scheduler = reminder_scheduler(request)
    now = body.now if body else None
    if now is not None:
        if not scheduler.settings.seed_sample_data:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, NOW_IN_SAMPLE_MODE_ONLY)
        if now.tzinfo is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "'now' needs its offset, e.g. 2027-01-03T10:00:00Z or +01:00",
            )
        if not NOW_YEARS[0] <= now.year <= NOW_YEARS[1]:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"'now' must lie in the years {NOW_YEARS[0]} to {NOW_YEARS[1]}",
            )
    run = scheduler.run_now(identity.subject, now)
    if run is None:
        raise HTTPException(status.HTTP_409_CONFLICT, BUSY)
    return RunOut.model_validate(run.as_json())
