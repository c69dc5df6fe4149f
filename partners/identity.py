"""Who is asking: the only way partner data is selected.

A partner is identified by proof, never by what a message says:

- web (REST, Socket.IO) and the API: an access token (JWT) the app signed, in the
  message metadata as ``{"token": ...}`` or as a bearer header. Its signature,
  expiry and revocation are checked and its subject must be a partner in the store.
- Slack: the Slack user id, trusted only on the ``slack`` input channel *and* with
  a Slack assertion the Rasa Slack connector adds after checking Slack's request
  signature (Rasa's REST channel lets a client name any ``input_channel``, so the
  channel name alone proves nothing). The linked partner is looked up in
  ``chat_links``.

Slack assertion (metadata of a Slack message)::

    {"slack_user_id": "U123", "slack_team_id": "T456", "slack_ts": "1764400000",
     "slack_sig": hex(HMAC-SHA256(PA_JWT_SECRET, "slack|T456|U123|1764400000"))}

``slack_assertion`` computes it; assertions older than ``SLACK_ASSERTION_TTL``
seconds are refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.settings import Settings, get_settings
from partners.auth import InvalidTokenError, MissingSecretError, Role, jwt_secret, verify_token
from partners.db import engine_for
from partners.models import ChatLink, Partner

logger = logging.getLogger(__name__)

SLACK_CHANNEL = "slack"
SLACK_ASSERTION_TTL = 300


class TrackerLike(Protocol):
    """The part of rasa-sdk's ``Tracker`` identity needs."""

    latest_message: dict[str, Any]

    def get_latest_input_channel(self) -> str | None:
        """Name of the channel the latest user message came through."""
        ...


@dataclass(frozen=True)
class Identity:
    """A verified caller."""

    subject: str
    role: Role
    channel: str

    @property
    def partner_id(self) -> str | None:
        """The partner whose data this caller may see; None for operators."""
        return self.subject if self.role == "partner" else None


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
    if claims.role == "partner" and session.get(Partner, claims.subject) is None:
        raise InvalidTokenError("the access token names no known partner")
    return Identity(subject=claims.subject, role=claims.role, channel=channel)


def _revoked(session: Session, token_id: str) -> bool:
    from partners.sessions import RevokedToken

    return session.get(RevokedToken, token_id) is not None


def slack_assertion(secret: str, user_id: str, team_id: str | None, timestamp: int) -> str:
    """Compute the signature a trusted Slack connector puts in ``metadata["slack_sig"]``."""
    message = f"slack|{team_id or ''}|{user_id}|{timestamp}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verified_slack_user(
    metadata: Mapping[str, Any], settings: Settings, now: dt.datetime | None = None
) -> tuple[str, str | None] | None:
    """Return the Slack user and team a valid connector assertion vouches for, or None.

    Only call this for messages whose input channel is ``slack``.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    user, team = metadata.get("slack_user_id"), metadata.get("slack_team_id")
    signature, stamp = metadata.get("slack_sig"), metadata.get("slack_ts")
    if not isinstance(user, str) or not user or not isinstance(signature, str):
        return None
    if team is not None and not isinstance(team, str):
        return None
    try:
        timestamp = int(str(stamp))
    except ValueError:
        return None
    if abs(now.timestamp() - timestamp) > SLACK_ASSERTION_TTL:
        logger.warning("stale Slack assertion for %s refused", user)
        return None
    expected = slack_assertion(jwt_secret(settings), user, team, timestamp)
    if not hmac.compare_digest(expected, signature):
        logger.warning("forged Slack assertion for %s refused", user)
        return None
    return user, team


# The name the linking actions first imported; kept so both spellings work.
_slack_user = verified_slack_user


def _slack_identity(
    metadata: Mapping[str, Any], settings: Settings, session: Session, now: dt.datetime
) -> Identity | None:
    slack_user = verified_slack_user(metadata, settings, now)
    if slack_user is None:
        return None
    user, team = slack_user
    link = session.scalar(
        select(ChatLink).where(ChatLink.channel == SLACK_CHANNEL, ChatLink.external_user_id == user)
    )
    if link is None or (link.team_id and team and link.team_id != team):
        return None
    return Identity(subject=link.partner_id, role="partner", channel=SLACK_CHANNEL)


def verified_identity(
    source: TrackerLike | Mapping[str, Any] | None,
    input_channel: str | None = None,
    *,
    settings: Settings | None = None,
    session: Session | None = None,
    now: dt.datetime | None = None,
) -> Identity | None:
    """Return the verified identity behind a chat message, or None.

    Args:
        source: A rasa-sdk tracker (its latest message's metadata is read) or the
            metadata itself.
        input_channel: The channel name; read from the tracker when None.
        settings: Signing key and store; the process settings when None.
        session: A partner-store session; one is opened when None.
        now: The current time (for Slack assertions); the clock when None.

    Returns:
        The identity, or None when the message carries no valid proof. Failures
        are logged, never raised: the caller asks the user to sign in.

    """
    if source is None:
        return None
    if isinstance(source, Mapping):
        metadata: Any = source
    else:
        metadata = (source.latest_message or {}).get("metadata") or {}
        input_channel = input_channel or source.get_latest_input_channel()
    if not isinstance(metadata, Mapping):
        return None
    settings = settings or get_settings()
    now = now or dt.datetime.now(dt.timezone.utc)
    if session is None:
        with Session(engine_for(settings.effective_database_url)) as own:
            return _verify(metadata, input_channel, settings, own, now)
    return _verify(metadata, input_channel, settings, session, now)


def _verify(
    metadata: Mapping[str, Any],
    input_channel: str | None,
    settings: Settings,
    session: Session,
    now: dt.datetime,
) -> Identity | None:
    try:
        if input_channel == SLACK_CHANNEL:
            return _slack_identity(metadata, settings, session, now)
        token = metadata.get("token")
        if not isinstance(token, str) or not token:
            return None
        return identity_from_token(token, settings, session, channel=input_channel or "rest")
    except InvalidTokenError as exc:
        logger.info("chat message with an unusable token refused: %s", exc.reason)
    except MissingSecretError as exc:
        logger.error("cannot verify chat identities: %s", exc)
    return None


def partner_exists(session: Session, partner_id: str) -> bool:
    """Whether ``partner_id`` is a partner in the store."""
    return session.scalar(select(Partner.id).where(Partner.id == partner_id)) is not None
