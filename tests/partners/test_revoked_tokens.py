"""Signing out: a revoked token is refused by the identity check, before it expires."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from partners import revoked_tokens
from partners.auth import InvalidTokenError, verify_token
from partners.identity import identity_from_token
from tests.partners.fixtures import Store, token_for


def test_a_signed_out_token_is_refused(store: Store) -> None:
    token = token_for("P-0001")
    with Session(store.engine) as session:
        assert identity_from_token(token, store.settings, session).partner_id == "P-0001"

    claims = verify_token(token, store.settings)
    assert claims.token_id
    revoked_tokens.revoke(store.engine, claims.token_id, claims.subject, claims.expires_at)
    # twice: fine
    revoked_tokens.revoke(store.engine, claims.token_id, claims.subject, claims.expires_at)

    assert revoked_tokens.is_revoked(store.engine, claims.token_id)
    with Session(store.engine) as session, pytest.raises(InvalidTokenError, match="signed out"):
        identity_from_token(token, store.settings, session)
    # Other tokens of the same partner (other browsers) keep working.
    with Session(store.engine) as session:
        assert identity_from_token(token_for("P-0001"), store.settings, session)


def test_records_of_expired_tokens_can_be_purged(store: Store) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    revoked_tokens.revoke(store.engine, "old-token-id", "P-0002", now - dt.timedelta(hours=1))
    revoked_tokens.revoke(store.engine, "live-token-id", "P-0002", now + dt.timedelta(hours=1))
    assert revoked_tokens.purge_expired(store.engine, now=now) >= 1
    assert not revoked_tokens.is_revoked(store.engine, "old-token-id")
    assert revoked_tokens.is_revoked(store.engine, "live-token-id")
