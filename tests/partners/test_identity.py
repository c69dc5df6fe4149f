"""Passcodes, access tokens and chat identities."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jwt
import pytest
from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from partners.auth import (
    InvalidTokenError,
    MissingSecretError,
    hash_passcode,
    issue_token,
    verify_passcode,
    verify_token,
)
from partners.identity import identity_from_token, verified_identity
from partners.revoked_tokens import revoke
from tests.partners.fixtures import (
    SAMPLE_OPERATOR,
    SAMPLE_SLACK_USER,
    TEST_SECRET,
    Store,
    bind_conversation,
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


def test_an_operator_token_is_only_as_good_as_its_account(store: Store) -> None:
    # The sample operator is a program manager: its account decides, not the token.
    with Session(store.engine) as session:
        identity = identity_from_token(
            token_for(SAMPLE_OPERATOR, role="operator"), store.settings, session
        )
        assert (identity.subject, identity.role) == (SAMPLE_OPERATOR, "program_manager")
        assert identity.is_operator and identity.partner_id is None
        for nobody in ("operator", "someone@example.com"):
            with pytest.raises(InvalidTokenError, match="no active operator account"):
                identity_from_token(token_for(nobody, role="operator"), store.settings, session)
        # A partner's id with an operator role forged in is no operator either.
        with pytest.raises(InvalidTokenError, match="no active operator account"):
            identity_from_token(token_for("P-0001", role="operator"), store.settings, session)


def chat_tracker(sender_id: str, channel: str, metadata: dict | None = None) -> Tracker:
    """A conversation whose latest message came in on ``channel`` with ``metadata``."""
    message = {"text": "what's my tier?", "metadata": metadata or {}}
    user_event = {"event": "user", "input_channel": channel, **message}
    return Tracker(sender_id, {}, message, [user_event], False, None, {}, "action_listen")


def test_web_chat_identity_comes_from_the_conversations_binding(store: Store) -> None:
    bound = "web:P-0001:bound-conversation"
    bind_conversation(bound, "P-0001", engine=store.engine)
    with Session(store.engine) as session:

        def who(tracker: Tracker) -> str | None:
            found = verified_identity(tracker, settings=store.settings, session=session)
            return found.partner_id if found else None

        assert who(chat_tracker(bound, "rest")) == "P-0001"
        # What a message claims proves nothing: no binding, no partner.
        for metadata in (
            {"partner_id": "P-0002"},
            {"token": token_for("P-0001")},
            {"slack_user_id": SAMPLE_SLACK_USER, "slack_team_id": "T0SAMPLE"},
        ):
            assert who(chat_tracker("web:P-0001:never-bound", "rest", metadata)) is None
            assert who(chat_tracker("web:anon:visitor", "rest", metadata)) is None
        # Nor does naming a bound conversation's partner in another conversation id.
        assert who(chat_tracker("web:P-0001:bound-conversation-2", "rest")) is None


def test_an_expired_or_signed_out_sign_in_ends_the_binding(store: Store) -> None:
    bind_conversation("web:P-0001:expired-sign-in", "P-0001", expired=True, engine=store.engine)
    token = bind_conversation("web:P-0001:signed-out", "P-0001", engine=store.engine)
    claims = verify_token(token, store.settings)
    assert claims.token_id
    revoke(store.engine, claims.token_id, claims.subject, claims.expires_at)
    with Session(store.engine) as session:
        for sender in ("web:P-0001:expired-sign-in", "web:P-0001:signed-out"):
            tracker = chat_tracker(sender, "rest")
            assert verified_identity(tracker, settings=store.settings, session=session) is None


def test_slack_users_are_trusted_only_on_the_slack_connectors_channel(store: Store) -> None:
    with Session(store.engine) as session:

        def who(metadata: dict, channel: str = "slack") -> str | None:
            tracker = chat_tracker(SAMPLE_SLACK_USER, channel, metadata)
            found = verified_identity(tracker, settings=store.settings, session=session)
            return found.partner_id if found else None

        assert who(slack_metadata()) == "P-0020"
        # The same ids on another channel (a REST client's claim) prove nothing.
        assert who(slack_metadata(), channel="rest") is None
        assert who(slack_metadata(team="T-OTHER")) is None  # linked in another workspace
        assert who(slack_metadata(user="U-NOT-LINKED")) is None
        # A token means nothing on the Slack channel.
        assert who({"token": token_for("P-0001")}) is None
