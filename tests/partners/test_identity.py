"""Passcodes, access tokens and chat identities."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jwt
import pytest
from sqlalchemy.orm import Session

from partners.auth import (
    InvalidTokenError,
    MissingSecretError,
    hash_passcode,
    is_operator_token,
    issue_token,
    verify_passcode,
    verify_token,
)
from partners.identity import verified_identity
from partners.sessions import revoke
from tests.partners.fixtures import (
    OPERATOR_TOKEN,
    SAMPLE_SLACK_USER,
    TEST_SECRET,
    Store,
    slack_metadata,
    store_settings,
    token_for,
)


def test_passcodes_are_salted_scrypt_hashes() -> None:
    first, second = hash_passcode("s3cret"), hash_passcode("s3cret")
    assert first != second and first.startswith("scrypt$")
    assert verify_passcode("s3cret", first) and verify_passcode("s3cret", second)
    assert not verify_passcode("s3cret ", first)
    assert not verify_passcode("s3cret", None)
    assert not verify_passcode("s3cret", "plain-text")


def test_tokens_round_trip_with_subject_role_expiry_and_id(tmp_path: Path) -> None:
    settings = store_settings("sqlite://", tmp_path, jwt_ttl_minutes=30)
    token, lifetime = issue_token("P-0001", "partner", settings)
    claims = verify_token(token, settings)
    assert (claims.subject, claims.role, lifetime) == ("P-0001", "partner", 1800)
    assert claims.token_id
    assert claims.expires_at > dt.datetime.now(dt.timezone.utc)


LATER = 4102444800  # 2100-01-01
VICTIM = {"sub": "P-0002", "role": "partner", "exp": LATER}


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (token_for("P-0001", minutes_ago=24 * 60), "expired"),
        (jwt.encode(VICTIM, "x" * 40), "signature"),
        ("garbage", "malformed"),
        (jwt.encode({"sub": "P-0002", "exp": LATER}, TEST_SECRET), "'role'"),
        (jwt.encode({**VICTIM, "role": "admin"}, TEST_SECRET), "role"),
        (jwt.encode(VICTIM, TEST_SECRET, "HS512"), "malformed"),
    ],
)
def test_untrustworthy_tokens_are_refused_with_a_reason(
    token: str, reason: str, tmp_path: Path
) -> None:
    settings = store_settings("sqlite://", tmp_path)
    with pytest.raises(InvalidTokenError, match=reason):
        verify_token(token, settings)


def test_an_unsigned_token_is_refused(tmp_path: Path) -> None:
    unsigned = jwt.encode(VICTIM, None, "none")
    with pytest.raises(InvalidTokenError):
        verify_token(unsigned, store_settings("sqlite://", tmp_path))


def test_without_a_signing_key_tokens_fail_clearly(tmp_path: Path) -> None:
    settings = store_settings("sqlite://", tmp_path, jwt_secret="")
    with pytest.raises(MissingSecretError, match="PA_JWT_SECRET"):
        issue_token("P-0001", "partner", settings)
    with pytest.raises(MissingSecretError, match="PA_JWT_SECRET"):
        verify_token(token_for("P-0001"), settings)


def test_operator_token_compares_exactly(tmp_path: Path) -> None:
    settings = store_settings("sqlite://", tmp_path)
    assert is_operator_token(OPERATOR_TOKEN, settings)
    assert not is_operator_token(OPERATOR_TOKEN[:-1], settings)
    assert not is_operator_token("", store_settings("sqlite://", tmp_path, operator_token=""))


def test_chat_identity_comes_from_a_verified_token(store: Store) -> None:
    with Session(store.engine) as session:
        identity = verified_identity(
            {"token": token_for("P-0001")}, "rest", settings=store.settings, session=session
        )
        assert identity is not None and identity.partner_id == "P-0001"
        for metadata in (
            {},
            {"partner_id": "P-0002"},
            {"token": "garbage"},
            {"token": token_for("P-0001", minutes_ago=24 * 60)},
            {"token": token_for("P-9999")},  # signed, but no such partner
            {"token": 42},
            {"slack_user_id": SAMPLE_SLACK_USER},
        ):
            assert (
                verified_identity(metadata, "rest", settings=store.settings, session=session)
                is None
            )
        operator_token = {"token": token_for("operator", role="operator")}
        operator = verified_identity(
            operator_token, "socketio", settings=store.settings, session=session
        )
        assert operator is not None and operator.partner_id is None


def test_signed_out_tokens_stop_working_in_chat(store: Store, tmp_path: Path) -> None:
    token = token_for("P-0001")
    claims = verify_token(token, store.settings)
    assert claims.token_id
    revoke(store.engine, claims.token_id, claims.subject, claims.expires_at)
    with Session(store.engine) as session:
        assert (
            verified_identity({"token": token}, "rest", settings=store.settings, session=session)
            is None
        )


def test_slack_users_are_trusted_only_with_the_connectors_assertion(store: Store) -> None:
    with Session(store.engine) as session:

        def who(metadata: dict, channel: str = "slack") -> str | None:
            found = verified_identity(metadata, channel, settings=store.settings, session=session)
            return found.partner_id if found else None

        assert who(slack_metadata()) == "P-0020"
        # The same ids without the connector's signature, or on another channel, prove nothing.
        assert who({"slack_user_id": SAMPLE_SLACK_USER, "slack_team_id": "T0SAMPLE"}) is None
        assert who(slack_metadata(), channel="rest") is None
        forged = {**slack_metadata(), "slack_user_id": "U0SAMPLE0040"}
        assert who(forged) is None
        stale = slack_metadata()
        old = int(stale["slack_ts"]) - 3600
        from partners.identity import slack_assertion

        stale.update(
            slack_ts=str(old),
            slack_sig=slack_assertion(TEST_SECRET, SAMPLE_SLACK_USER, "T0SAMPLE", old),
        )
        assert who(stale) is None
        assert who(slack_metadata(team="T-OTHER")) is None  # linked in another workspace
        assert who(slack_metadata(user="U-NOT-LINKED")) is None
        # A token means nothing on the Slack channel.
        assert who({"token": token_for("P-0001")}) is None
