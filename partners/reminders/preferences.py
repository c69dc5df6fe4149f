"""Who gets a partner's reminders, and each recipient's choices.

The recipients of a partner come from its own records only: its web sign-in
(``web``, address = the partner id: notices shown in the chat widget at its next
open) and every Slack user linked to it (``slack``, address = the Slack user id:
direct messages). So a reminder about one partner never reaches a person of another.

Each recipient can turn reminders off and on (in chat, "stop reminders" / "turn
reminders back on"; on the account page) and choose a time zone and hours. Without a
stored choice the defaults hold: on, 09:00-17:00 in the partner country's main zone.
A choice belongs to the chat identity, so a Slack user who turned reminders off
stays off when linked to another partner.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partners.models import ChatLink, Partner, ReminderPreference
from partners.reminders.hours import DEFAULT_END, DEFAULT_START, Hours, country_zone

SLACK = "slack"
WEB = "web"
# ``time_zone`` left as it is (``set_preference``); None resets it to the country's.
KEEP: str = "\0keep"


@dataclass(frozen=True)
class Recipient:
    """One person (chat identity) a partner's reminders go to, with their choices."""

    partner_id: str
    channel: str
    address: str
    team_id: str | None
    enabled: bool
    hours: Hours
    own_zone: bool

    @property
    def key(self) -> str:
        """``slack:U0123`` or ``web:P-0001``: how the API and the logs name it."""
        return f"{self.channel}:{self.address}"

    def describe(self) -> str:
        """Who this is, for the account page and the logs."""
        if self.channel == WEB:
            return f"Notices in the chat on the web page and portal for {self.partner_id}"
        where = f" in workspace {self.team_id}" if self.team_id else ""
        return f"Slack direct messages to user {self.address}{where}"


def _recipient(
    partner: Partner, channel: str, address: str, team: str | None, row: ReminderPreference | None
) -> Recipient:
    home = country_zone(partner.country)
    hours = Hours(row.time_zone or home, row.window_start, row.window_end) if row else Hours(home)
    return Recipient(
        partner_id=partner.id,
        channel=channel,
        address=address,
        team_id=team,
        enabled=row.enabled if row else True,
        hours=hours,
        own_zone=bool(row and row.time_zone),
    )


def recipients_of(session: Session, partner: Partner) -> list[Recipient]:
    """Return the partner's web sign-in, then its linked Slack users (oldest link first)."""
    links = session.execute(
        select(ChatLink.external_user_id, ChatLink.team_id)
        .where(ChatLink.partner_id == partner.id, ChatLink.channel == SLACK)
        .order_by(ChatLink.linked_at, ChatLink.id)
    ).all()
    wanted = [(WEB, partner.id, None), *((SLACK, user, team) for user, team in links)]
    rows = session.scalars(
        select(ReminderPreference).where(
            or_(
                *(
                    and_(ReminderPreference.channel == c, ReminderPreference.recipient == a)
                    for c, a, _ in wanted
                )
            )
        )
    )
    chosen = {(row.channel, row.recipient): row for row in rows}
    return [_recipient(partner, c, a, t, chosen.get((c, a))) for c, a, t in wanted]


def recipient(session: Session, partner: Partner, channel: str, address: str) -> Recipient | None:
    """One of the partner's recipients, or None when it is not the partner's."""
    return next(
        (
            r
            for r in recipients_of(session, partner)
            if (r.channel, r.address) == (channel, address)
        ),
        None,
    )


def set_preference(
    engine: Engine,
    channel: str,
    address: str,
    *,
    enabled: bool | None = None,
    time_zone: str | None = KEEP,
    start: str | None = None,
    end: str | None = None,
    now: dt.datetime | None = None,
) -> ReminderPreference:
    """Store a recipient's choices; arguments left at their default stay as they are.

    Validate ``time_zone``, ``start`` and ``end`` first (``partners.reminders.hours``).
    Two writers racing on a recipient's first choice: the loser reads the winner's row
    and applies its change on top, so neither is lost.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    for attempt in range(2):
        with Session(engine, expire_on_commit=False) as session:
            row = session.scalar(
                select(ReminderPreference).where(
                    ReminderPreference.channel == channel, ReminderPreference.recipient == address
                )
            )
            if row is None:
                row = ReminderPreference(
                    channel=channel,
                    recipient=address,
                    enabled=True,
                    time_zone=None,
                    window_start=DEFAULT_START,
                    window_end=DEFAULT_END,
                )
                session.add(row)
            if enabled is not None:
                row.enabled = enabled
            if time_zone != KEEP:
                row.time_zone = time_zone
            row.window_start = start or row.window_start
            row.window_end = end or row.window_end
            Hours("UTC", row.window_start, row.window_end)  # refuses an empty window
            row.updated_at = now
            try:
                session.commit()
            except IntegrityError:
                if attempt:
                    raise
                continue
            return row
    raise AssertionError("unreachable")  # pragma: no cover
