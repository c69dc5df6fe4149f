"""Chat conversations bound, at the app's edge, to the partner who holds them.

Rasa never sees a credential. The app verifies the caller's access token on every
web chat call (``/v1/chat``) and records here which partner a conversation id
belongs to, under which sign-in (the token's ``jti``) and until when (its expiry).
Chat actions then read the binding of the conversation they serve
(``partners.identity``): a leaked conversation id proves nothing once that sign-in
has expired or was signed out, and no token is ever stored in a tracker or
published to the event broker.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from partners.auth import TokenClaims
from partners.clock import aware
from partners.models import Base

CONVERSATION_ID_LIMIT = 200
ANONYMOUS = "anon"


class ConversationOwnedError(Exception):
    """The conversation is bound to another partner; it cannot change hands."""


class ConversationBinding(Base):
    """The partner a web chat conversation belongs to, and the sign-in that proved it."""

    __tablename__ = "conversation_bindings"

    conversation_id: Mapped[str] = mapped_column(String(CONVERSATION_ID_LIMIT), primary_key=True)
    partner_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    # The sign-in (token jti) that last proved the binding; signing it out ends it.
    token_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bound_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


def bind(
    session: Session,
    conversation_id: str,
    claims: TokenClaims,
    *,
    now: dt.datetime | None = None,
) -> bool:
    """Bind ``conversation_id`` to the partner of a verified access token.

    Called by the app for every message of a signed-in partner, so the binding always
    follows the sign-in in use (a new sign-in in the same browser renews it). Writes
    only when something changed. Flushes; the caller commits.

    Returns:
        Whether anything was written (a new binding, or a renewed sign-in): a message
        of a conversation already bound to its sign-in costs one read and no write.

    Raises:
        ConversationOwnedError: The conversation belongs to another partner.

    """
    row = session.get(ConversationBinding, conversation_id)
    if row is None:
        session.add(
            ConversationBinding(
                conversation_id=conversation_id,
                partner_id=claims.subject,
                token_id=claims.token_id,
                bound_at=now or dt.datetime.now(dt.timezone.utc),
                expires_at=claims.expires_at,
            )
        )
    elif row.partner_id != claims.subject:
        raise ConversationOwnedError(conversation_id)
    elif row.token_id != claims.token_id or aware(row.expires_at) != claims.expires_at:
        row.token_id, row.expires_at = claims.token_id, claims.expires_at
    else:
        return False
    session.flush()
    return True


def binding_of(session: Session, conversation_id: str) -> ConversationBinding | None:
    """Return the binding of ``conversation_id``, or None."""
    return session.get(ConversationBinding, conversation_id)


def is_current(binding: ConversationBinding, now: dt.datetime) -> bool:
    """Whether the sign-in behind ``binding`` has not expired at ``now``."""
    return aware(binding.expires_at) > now


# A web chat session handle is "<conversation id>.<MAC>": the browser holds the MAC,
# Rasa and its stores see only the conversation id, so a copy of the tracker store
# cannot be used to write into (or read) anyone's conversation through the app.
_HANDLE_MAC_LENGTH = 32


def _mac(secret: str, conversation_id: str) -> str:
    digest = hmac.new(secret.encode(), f"chat-session|{conversation_id}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")[:_HANDLE_MAC_LENGTH]


def new_conversation(secret: str, owner: str) -> tuple[str, str]:
    """Start a web chat conversation of ``owner`` (a partner id, or ``anon``).

    Returns:
        The conversation id (``web:<owner>:<random>``, Rasa's sender id) and the
        session handle to give the browser.

    """
    conversation_id = f"web:{owner}:{secrets.token_urlsafe(18)}"
    return conversation_id, f"{conversation_id}.{_mac(secret, conversation_id)}"


def conversation_of(secret: str, handle: str) -> tuple[str, str] | None:
    """Return the conversation id and owner a session handle names, or None if forged."""
    conversation_id, _, mac = handle.rpartition(".")
    parts = conversation_id.split(":")
    if len(parts) != 3 or parts[0] != "web" or not parts[1] or not parts[2]:
        return None
    if not hmac.compare_digest(mac.encode(), _mac(secret, conversation_id).encode()):
        return None
    return conversation_id, parts[1]


def channel_of(sender_id: str, input_channel: str | None) -> str:
    """Return ``web``, ``slack`` or ``api`` for a conversation's user message.

    The app's web chat (widget and page) talks to Rasa's REST channel with
    ``web:...`` conversation ids; Slack has its own channel; anything else reaching
    Rasa (the REST channel used by scripts, the portal's API) counts as ``api``.
    """
    if input_channel == "slack":
        return "slack"
    if sender_id.startswith("web:"):
        return "web"
    return "api"
