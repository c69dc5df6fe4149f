"""Linking chat identities (Slack users) to partners with one-time codes.

A Slack user cannot prove in Slack which partner they work for. So the assistant
hands them a one-time link to the web page (``/link?code=...``); whoever opens it
signs in as the partner and confirms, and the Slack user is linked to that partner
(a ``partners.models.ChatLink`` row). Codes expire after ``LINK_CODE_TTL`` and work
once, even when two confirmations race (one conditional update uses a code up). Only a
hash of each code is stored, so a copy of the database cannot be used to link anyone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from partners.clock import aware, utc_now
from partners.models import Base, ChatLink, Partner

LINK_CODE_TTL = dt.timedelta(minutes=15)
# Codes travel in URLs and chat messages: URL-safe, 32 random bytes.
_CODE_BYTES = 32


class LinkCode(Base):
    """A one-time code that links one chat identity to the partner who redeems it."""

    __tablename__ = "link_codes"

    code_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_user_id: Mapped[str] = mapped_column(String(100), index=True)
    team_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_by_partner_id: Mapped[str | None] = mapped_column(String(16), nullable=True)


_USED = "This link was already used. Ask the assistant in Slack for a new one."


class LinkCodeError(ValueError):
    """A link code that cannot be used; the message says why, fit to show the user."""


@dataclass(frozen=True)
class PendingLink:
    """What a valid link code would link, for the confirmation screen."""

    channel: str
    external_user_id: str
    team_id: str | None
    expires_at: dt.datetime


@dataclass(frozen=True)
class LinkedIdentity:
    """A chat identity linked to a partner."""

    id: int
    partner_id: str
    channel: str
    external_user_id: str
    team_id: str | None
    linked_at: dt.datetime


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _identity(link: ChatLink) -> LinkedIdentity:
    return LinkedIdentity(
        id=link.id,
        partner_id=link.partner_id,
        channel=link.channel,
        external_user_id=link.external_user_id,
        team_id=link.team_id,
        linked_at=aware(link.linked_at),
    )


def issue_link_code(
    session: Session,
    channel: str,
    external_user_id: str,
    team_id: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> str:
    """Create a one-time code for linking a chat identity; earlier unused codes lapse.

    Args:
        session: A partner-store session; the caller commits.
        channel: The chat channel, for example ``slack``.
        external_user_id: The user's id in that channel (Slack ``U...`` id).
        team_id: The user's workspace, when the channel has one.
        now: The issue time; the current time if None.

    Returns:
        The code, to be put in the link the user opens (it is not stored).

    """
    now = now or utc_now()
    session.execute(
        delete(LinkCode).where(
            LinkCode.channel == channel,
            LinkCode.external_user_id == external_user_id,
            LinkCode.used_at.is_(None),
        )
    )
    code = secrets.token_urlsafe(_CODE_BYTES)
    session.add(
        LinkCode(
            code_sha256=_digest(code),
            channel=channel,
            external_user_id=external_user_id,
            team_id=team_id,
            created_at=now,
            expires_at=now + LINK_CODE_TTL,
        )
    )
    return code


def _usable_code(session: Session, code: str, now: dt.datetime) -> LinkCode:
    row = session.get(LinkCode, _digest(code)) if code else None
    if row is None:
        raise LinkCodeError("This link is not valid. Ask the assistant in Slack for a new one.")
    if row.used_at is not None:
        raise LinkCodeError(_USED)
    if aware(row.expires_at) <= now:
        raise LinkCodeError("This link has expired. Ask the assistant in Slack for a new one.")
    return row


def pending_link(session: Session, code: str, *, now: dt.datetime | None = None) -> PendingLink:
    """Return what ``code`` would link, without using it.

    Raises:
        LinkCodeError: The code is unknown, used or expired.

    """
    row = _usable_code(session, code, now or utc_now())
    return PendingLink(row.channel, row.external_user_id, row.team_id, aware(row.expires_at))


def redeem_link_code(
    session: Session, code: str, partner_id: str, *, now: dt.datetime | None = None
) -> LinkedIdentity:
    """Link the code's chat identity to ``partner_id`` and use the code up.

    An identity already linked to another partner is moved to this one: the code
    proves the chat user asked for it and the sign-in proves the partner agreed.

    Args:
        session: A partner-store session; the caller commits.
        code: The code from the link.
        partner_id: The signed-in partner who confirmed.
        now: The confirmation time; the current time if None.

    Raises:
        LinkCodeError: The code is unknown, used or expired, or the partner unknown.

    """
    now = now or utc_now()
    row = _usable_code(session, code, now)
    if session.get(Partner, partner_id) is None:
        raise LinkCodeError(f"There is no partner {partner_id}.")
    # Use the code up in one conditional UPDATE, not read-then-write: of two
    # confirmations racing (two tabs, a double click, a replayed request), the
    # database lets exactly one change the row, and the other finds it used.
    claimed = session.execute(
        update(LinkCode)
        .where(LinkCode.code_sha256 == row.code_sha256, LinkCode.used_at.is_(None))
        .values(used_at=now, used_by_partner_id=partner_id)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], claimed).rowcount != 1:
        raise LinkCodeError(_USED)
    link = session.scalar(
        select(ChatLink).where(
            ChatLink.channel == row.channel, ChatLink.external_user_id == row.external_user_id
        )
    )
    if link is None:
        link = ChatLink(channel=row.channel, external_user_id=row.external_user_id)
        session.add(link)
    link.partner_id = partner_id
    link.team_id = row.team_id
    link.linked_at = now
    session.flush()
    return _identity(link)


def linked_partner_id(session: Session, channel: str, external_user_id: str) -> str | None:
    """Return the partner a chat identity is linked to, or None."""
    return session.scalar(
        select(ChatLink.partner_id).where(
            ChatLink.channel == channel, ChatLink.external_user_id == external_user_id
        )
    )


def links_of_partner(session: Session, partner_id: str) -> list[LinkedIdentity]:
    """Return the chat identities linked to ``partner_id``, oldest first."""
    rows = session.scalars(
        select(ChatLink).where(ChatLink.partner_id == partner_id).order_by(ChatLink.linked_at)
    )
    return [_identity(row) for row in rows]


def unlink_identity(session: Session, channel: str, external_user_id: str) -> str | None:
    """Remove a chat identity's link (asked for from the chat); the caller commits.

    Returns:
        The partner it was linked to, or None if it was not linked.

    """
    link = session.scalar(
        select(ChatLink).where(
            ChatLink.channel == channel, ChatLink.external_user_id == external_user_id
        )
    )
    if link is None:
        return None
    session.delete(link)
    return link.partner_id


def unlink_for_partner(session: Session, partner_id: str, link_id: int) -> bool:
    """Remove one of ``partner_id``'s links (asked for on the account screen).

    Returns:
        False if the partner has no such link (another partner's link is never removed).

    """
    link = session.get(ChatLink, link_id)
    if link is None or link.partner_id != partner_id:
        return False
    session.delete(link)
    return True
