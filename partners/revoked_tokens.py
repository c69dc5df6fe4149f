"""Revoked tokens: access tokens signed out before they expire.

Access tokens are JWTs that stay valid until they expire; signing out must end access
sooner. ``POST /v1/auth/logout`` records the token's ``jti`` here, and token
verification refuses any token whose ``jti`` is recorded. Rows are only needed until
the token would have expired anyway, so ``purge_expired`` may delete them then.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Engine, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from partners.clock import utc_now
from partners.models import Base


class RevokedToken(Base):
    """An access token that was signed out before it expired."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # After this moment the token is refused for its expiry anyway: the row can go.
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


def revoke(
    engine: Engine,
    jti: str,
    subject: str,
    expires_at: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Record the token ``jti`` as signed out; revoking it twice is harmless.

    Args:
        engine: The partner store.
        jti: The token's unique id (its ``jti`` claim).
        subject: Whose token it is (``sub``), for the audit trail.
        expires_at: When the token expires (``exp``).
        now: The revocation time; the current time if None.

    """
    with Session(engine) as session:
        if session.get(RevokedToken, jti) is not None:
            return
        session.add(
            RevokedToken(
                jti=jti, subject=subject, revoked_at=now or utc_now(), expires_at=expires_at
            )
        )
        try:
            session.commit()
        except IntegrityError:
            # Signed out twice at the same moment (two tabs): the first one won.
            session.rollback()


def is_revoked(engine: Engine, jti: str) -> bool:
    """Whether the token ``jti`` was signed out."""
    with Session(engine) as session:
        return session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti)) is not None


def purge_expired(engine: Engine, *, now: dt.datetime | None = None) -> int:
    """Delete the records of tokens that have expired since; return how many went."""
    with Session(engine) as session:
        result = session.execute(
            delete(RevokedToken).where(RevokedToken.expires_at < (now or utc_now()))
        )
        session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
