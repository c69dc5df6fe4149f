"""Who is asking: the only way partner data is selected.

A partner is identified by proof, never by what a message says, and no proof is ever
stored in a conversation:

- the API: an access token (JWT) the app signed, as a bearer header. Its signature,
  expiry and revocation are checked and its subject must be a partner in the store.
- web chat: the app checks the token at its edge (``/v1/chat``) and binds the
  conversation to the partner (``partners.conversations``); a chat action trusts the
  binding of the conversation it serves while that sign-in is neither expired nor
  signed out. Rasa receives no token.
- Slack: the Slack user id, trusted only on the ``slack`` input channel. The Slack
  connector alone records that channel, after checking Slack's request signature
  (the internal REST channel, ``rasa_addons.channels.rest_channel``, records every message as
  ``rest`` whatever its client claims). The linked partner is looked up in
  ``chat_links``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from partners.auth import OPERATOR_ROLES, InvalidTokenError, Role, TokenClaims, verify_token
from partners.conversations import binding_of, is_current
from partners.db import engine_for
from partners.models import ChatLink, Partner
from partners.operators import active_role
from settings import Settings, get_settings

logger = logging.getLogger(__name__)

SLACK_CHANNEL = "slack"


class TrackerLike(Protocol):
    """The part of rasa-sdk's ``Tracker`` identity needs."""

    sender_id: str
    latest_message: dict[str, Any]

    def get_latest_input_channel(self) -> str | None:
        """Name of the channel the latest user message came through."""
        ...


@dataclass(frozen=True)
class Identity:
    """A verified caller.

    Attributes:
        subject: The partner id or the operator's e-mail.
        role: The role, as the account has it now.
        channel: Where the caller came from (``api``, ``web``, ``slack``).
        claims: The access token's verified claims, when a token proved the identity:
            the web chat binds its conversation with them rather than checking the
            token a second time (``bot.routers.chat``).

    """

    subject: str
    role: Role
    channel: str
    claims: TokenClaims | None = field(default=None, compare=False, repr=False)

    @property
    def partner_id(self) -> str | None:
        """The partner whose data this caller may see; None for operators."""
        return self.subject if self.role == "partner" else None

    @property
    def is_operator(self) -> bool:
        """Whether this is an account of the program office (any operator role)."""
        return self.role in OPERATOR_ROLES

    @property
    def is_program_manager(self) -> bool:
        """Whether this account may also import data and run the sync."""
        return self.role == "program_manager"


def identity_from_token(
    token: str, settings: Settings, session: Session, channel: str = "api"
) -> Identity:
    """Verify an access token completely: signature, expiry, sign-out and subject.

    Raises:
        InvalidTokenError: With a reason fit to show the caller.
        MissingSecretError: The signing key is not configured.

    """
    claims = verify_token(token, settings)
    if claims.token_id and _revoked(session, claims.token_id):
        raise InvalidTokenError("this session was signed out; sign in again")
    if claims.role == "partner":
        partner = session.get(Partner, claims.subject)
        if partner is None:
            raise InvalidTokenError("the access token names no known partner")
        if claims.record_source is not None and claims.record_source != partner.source:
            # The office's records took this id over from a sample partner: a sign-in
            # made for the sample record must not read the real company's data.
            raise InvalidTokenError("this partner's records were replaced; sign in again")
    role = claims.role
    if role in OPERATOR_ROLES:
        # The account as it is now: a disabled account or a lowered role takes effect
        # at once, not when the token expires (one indexed read).
        current = active_role(session, claims.subject)
        if current is None:
            raise InvalidTokenError("the access token names no active operator account")
        role = current
    return Identity(subject=claims.subject, role=role, channel=channel, claims=claims)


def _revoked(session: Session, token_id: str) -> bool:
    from partners.revoked_tokens import RevokedToken

    return session.get(RevokedToken, token_id) is not None


def verified_slack_user(metadata: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """Return the Slack user and team the Slack connector recorded, or None.

    Only call this for messages whose input channel is ``slack``: only the Slack
    connector, which checks Slack's request signature, records that channel.
    """
    user, team = metadata.get("slack_user_id"), metadata.get("slack_team_id")
    if not isinstance(user, str) or not user:
        return None
    if team is not None and not isinstance(team, str):
        return None
    return user, team


def _slack_identity(metadata: Mapping[str, Any], session: Session) -> Identity | None:
    slack_user = verified_slack_user(metadata)
    if slack_user is None:
        return None
    user, team = slack_user
    link = session.scalar(
        select(ChatLink).where(ChatLink.channel == SLACK_CHANNEL, ChatLink.external_user_id == user)
    )
    if link is None or (link.team_id and team and link.team_id != team):
        return None
    return Identity(subject=link.partner_id, role="partner", channel=SLACK_CHANNEL)


def _bound_identity(
    session: Session, conversation_id: str, channel: str, now: dt.datetime
) -> Identity | None:
    binding = binding_of(session, conversation_id)
    if binding is None:
        return None
    if not is_current(binding, now):
        logger.info("conversation %s: its sign-in has expired", conversation_id)
        return None
    if binding.token_id and _revoked(session, binding.token_id):
        logger.info("conversation %s: its sign-in was signed out", conversation_id)
        return None
    return Identity(subject=binding.partner_id, role="partner", channel=channel)


def verified_identity(
    tracker: TrackerLike | None,
    input_channel: str | None = None,
    *,
    settings: Settings | None = None,
    session: Session | None = None,
    now: dt.datetime | None = None,
) -> Identity | None:
    """Return the verified identity behind a chat conversation's latest message, or None.

    Args:
        tracker: A rasa-sdk tracker: its sender id and latest message are read.
        input_channel: The channel name; read from the tracker when None.
        settings: The store's settings; the process settings when None.
        session: A partner-store session; one is opened when None.
        now: The current time (binding expiry); the clock when None.

    Returns:
        The identity, or None when the conversation carries no valid proof: an
        anonymous web chat, an expired or signed-out sign-in, an unlinked Slack user.
        Failures are logged, never raised: the caller asks the user to sign in.

    """
    if tracker is None:
        return None
    input_channel = input_channel or tracker.get_latest_input_channel()
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    now = now or dt.datetime.now(dt.timezone.utc)
    if session is None:
        url = (settings or get_settings()).effective_database_url
        with Session(engine_for(url)) as own:
            return _verify(tracker.sender_id, metadata, input_channel, own, now)
    return _verify(tracker.sender_id, metadata, input_channel, session, now)


def _verify(
    sender_id: str,
    metadata: Any,
    input_channel: str | None,
    session: Session,
    now: dt.datetime,
) -> Identity | None:
    if input_channel == SLACK_CHANNEL:
        return _slack_identity(metadata, session) if isinstance(metadata, Mapping) else None
    return _bound_identity(session, sender_id, input_channel or "rest", now)


def partner_exists(session: Session, partner_id: str) -> bool:
    """Whether ``partner_id`` is a partner in the store."""
    return session.scalar(select(Partner.id).where(Partner.id == partner_id)) is not None
