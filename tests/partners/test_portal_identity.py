"""The portal's token is trusted only as the contract says, and names one person.

Real parts: RSA and EC keys generated here, a JWKS served over HTTP by a thread, tokens
signed with PyJWT as the portal does, a real SQLite partner store. The clock of the key
cache is the test's, so refetch intervals are crossed without waiting.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.models import Partner, Person
from partners.portal_identity import (
    AmbiguousPersonError,
    PortalTokenError,
    PortalUser,
    linked_person,
    portal_person,
    verify_portal_token,
)
from partners.portal_keys import PortalKeys, PortalKeysUnavailableError
from partners.prestart import init_db
from tests.partners.fixtures import store_settings
from tests.partners.portal_fixtures import (
    AUDIENCE,
    ISSUER,
    JwksServer,
    PortalKey,
    hs256_token,
    jwks_server,
    portal_claims,
    public_pem,
)


class Clock:
    """A monotonic clock the test moves forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def first_key() -> PortalKey:
    return PortalKey.rsa("portal-2026-01")


@pytest.fixture
def portal(first_key: PortalKey) -> Iterator[JwksServer]:
    with jwks_server(first_key) as served:
        yield served


def keys_of(served: JwksServer, clock: Clock | None = None) -> PortalKeys:
    return PortalKeys(served.url, cache_seconds=300, min_refetch_seconds=30, clock=clock or Clock())


def verify(token: str, keys: PortalKeys) -> PortalUser:
    return asyncio.run(verify_portal_token(token, keys, issuer=ISSUER, audience=AUDIENCE))


def refusal(token: str, keys: PortalKeys) -> str:
    with pytest.raises(PortalTokenError) as refused:
        verify(token, keys)
    return refused.value.reason


def test_a_token_signed_by_the_portal_names_its_user(
    portal: JwksServer, first_key: PortalKey
) -> None:
    token = first_key.sign(portal_claims(sub="CRM-42", email="Ana@Example.test", name="Ana"))
    assert verify(token, keys_of(portal)) == PortalUser("CRM-42", "Ana@Example.test", "Ana")


def test_an_es256_key_is_accepted_too(portal: JwksServer) -> None:
    key = PortalKey.ec("portal-ec")
    portal.publish(key)
    assert verify(key.sign(portal_claims()), keys_of(portal)).subject == "CRM-000001"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://evil.example.test"}, "not issued by the partner portal"),
        ({"aud": "another-app"}, "not meant for this assistant"),
        ({"aud": None}, "has no aud claim"),
        ({"sub": None}, "has no sub claim"),
        ({"exp": 1_700_000_000, "iat": 1_699_999_700}, "has expired"),
        ({"iat": 4_000_000_000, "exp": 4_000_000_300}, "issued in the future"),
        ({"exp": 4_000_000_000}, "lives too long"),
    ],
)
def test_claims_outside_the_contract_are_refused_with_the_reason(
    portal: JwksServer, first_key: PortalKey, changes: dict[str, Any], reason: str
) -> None:
    assert reason in refusal(first_key.sign(portal_claims(**changes)), keys_of(portal))


def test_an_audience_list_naming_the_assistant_is_accepted(
    portal: JwksServer, first_key: PortalKey
) -> None:
    token = first_key.sign(portal_claims(aud=["portal-api", AUDIENCE]))
    assert verify(token, keys_of(portal)).subject == "CRM-000001"


def test_hs256_with_the_public_key_as_secret_is_refused(
    portal: JwksServer, first_key: PortalKey
) -> None:
    # The classic confusion attack: the public key (known to all) as an HMAC secret.
    forged = hs256_token(portal_claims(), public_pem(first_key), first_key.kid)
    assert "RS256 or ES256, not HS256" in refusal(forged, keys_of(portal))


def test_an_unsigned_token_is_refused(portal: JwksServer, first_key: PortalKey) -> None:
    unsigned = jwt.encode(portal_claims(), None, algorithm="none", headers={"kid": first_key.kid})
    assert "RS256 or ES256, not none" in refusal(unsigned, keys_of(portal))


def test_a_token_signed_by_another_key_with_the_portals_kid_is_refused(
    portal: JwksServer, first_key: PortalKey
) -> None:
    impostor = PortalKey.rsa(first_key.kid)
    assert "signature is not valid" in refusal(impostor.sign(portal_claims()), keys_of(portal))


def test_garbage_and_a_missing_kid_are_refused(portal: JwksServer, first_key: PortalKey) -> None:
    keys = keys_of(portal)
    assert "not a signed JWT" in refusal("not.a.jwt", keys)
    no_kid = jwt.encode(portal_claims(), first_key.private_key, algorithm="RS256")
    assert "names no signing key" in refusal(no_kid, keys)


def test_a_symmetric_key_in_the_jwks_is_never_used(
    portal: JwksServer, first_key: PortalKey
) -> None:
    secret = b"a shared secret that must not count as a portal key!"
    oct_key = {"kty": "oct", "kid": "oct-1", "k": base64.urlsafe_b64encode(secret).decode()}
    portal.keys = [first_key.public_jwk, oct_key]
    keys = keys_of(portal)
    assert "not HS256" in refusal(hs256_token(portal_claims(), secret, "oct-1"), keys)
    assert verify(first_key.sign(portal_claims()), keys).subject == "CRM-000001"


def test_a_rotated_key_is_fetched_once_and_the_retired_one_refused(
    portal: JwksServer, first_key: PortalKey
) -> None:
    clock = Clock()
    keys = keys_of(portal, clock)
    assert verify(first_key.sign(portal_claims()), keys).subject  # fetch 1
    assert portal.fetches == 1
    successor = PortalKey.rsa("portal-2026-02")
    portal.publish(successor)  # the portal rotates: new key in, old key out
    clock.now += 31  # past the minimum refetch interval
    assert verify(successor.sign(portal_claims()), keys).subject  # unknown kid: fetch 2
    assert portal.fetches == 2
    # The retired key is gone from the refetched set.
    assert "does not publish" in refusal(first_key.sign(portal_claims()), keys)


def test_a_flood_of_made_up_kids_costs_the_portal_one_fetch_per_interval(
    portal: JwksServer, first_key: PortalKey
) -> None:
    clock = Clock()
    keys = keys_of(portal, clock)
    verify(first_key.sign(portal_claims()), keys)
    stranger = PortalKey.rsa("stranger")
    for number in range(50):
        token = stranger.sign(portal_claims(), kid=f"made-up-{number}")
        assert "does not publish" in refusal(token, keys)
    assert portal.fetches == 1  # all within the 30 s after the first fetch
    clock.now += 30
    refusal(stranger.sign(portal_claims(), kid="made-up-late"), keys)
    assert portal.fetches == 2


def test_the_keys_are_refetched_when_their_time_is_up(
    portal: JwksServer, first_key: PortalKey
) -> None:
    clock = Clock()
    keys = keys_of(portal, clock)
    token = first_key.sign(portal_claims())
    verify(token, keys)
    verify(token, keys)
    assert portal.fetches == 1
    clock.now += 301
    verify(token, keys)
    assert portal.fetches == 2


def test_an_unreachable_portal_without_keys_is_unavailable_not_a_refusal(
    portal: JwksServer, first_key: PortalKey
) -> None:
    portal.status = 503
    keys = keys_of(portal)
    with pytest.raises(PortalKeysUnavailableError) as unavailable:
        verify(first_key.sign(portal_claims()), keys)
    assert "HTTP 503" in unavailable.value.reason and unavailable.value.retry_after == 30


def test_keys_fetched_before_outlast_a_portal_outage(
    portal: JwksServer, first_key: PortalKey
) -> None:
    clock = Clock()
    keys = keys_of(portal, clock)
    token = first_key.sign(portal_claims())
    verify(token, keys)
    portal.status = 503
    clock.now += 400  # stale: a refetch is tried, fails, and the old keys still serve
    assert verify(token, keys).subject == "CRM-000001"
    assert portal.fetches == 2
    clock.now += 3600  # beyond the grace: no keys to trust any more
    with pytest.raises(PortalKeysUnavailableError):
        verify(token, keys)


def test_a_portal_that_is_not_listening_is_unavailable(first_key: PortalKey) -> None:
    with jwks_server(first_key) as served:
        url = served.url
    keys = PortalKeys(url, timeout_seconds=2)
    with pytest.raises(PortalKeysUnavailableError) as unavailable:
        verify(first_key.sign(portal_claims()), keys)
    assert "cannot be reached" in unavailable.value.reason


# --- who the user is -----------------------------------------------------------------


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder: Path = tmp_path_factory.mktemp("portal-people")
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder, seed_sample_data=False)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    with Session(engine) as session:
        for partner_id in ("P-1001", "P-1002"):
            session.add(Partner(id=partner_id, name=partner_id, country="DE", tier="Silver"))
        session.add_all(
            [
                Person(
                    partner_id="P-1001",
                    name="Ana",
                    email="ana@one.test",
                    role="sales",
                    external_id="CRM-1",
                ),
                Person(partner_id="P-1002", name="Ben", email="Ben@Two.test", role="sales"),
                Person(partner_id="P-1001", name="Shared A", email="team@shared.test", role="x"),
                Person(partner_id="P-1002", name="Shared B", email="TEAM@shared.test", role="x"),
            ]
        )
        session.commit()
    yield engine
    engine.dispose()


def named(engine: Engine, user: PortalUser) -> str | None:
    with Session(engine) as session:
        person = portal_person(session, user)
        return f"{person.name}@{person.partner_id}" if person else None


def test_the_portal_user_id_is_the_crm_contact_id(people: Engine) -> None:
    # The id wins over an e-mail that names someone else.
    assert named(people, PortalUser("CRM-1", "ben@two.test", None)) == "Ana@P-1001"


def test_without_a_crm_id_the_email_names_the_person_whatever_its_case(people: Engine) -> None:
    assert named(people, PortalUser("portal-user-7", "BEN@two.TEST", None)) == "Ben@P-1002"
    # A portal without CRM ids sends the e-mail as sub.
    assert named(people, PortalUser("ben@two.test", None, None)) == "Ben@P-1002"


def test_nobody_is_named_by_an_unknown_user(people: Engine) -> None:
    assert named(people, PortalUser("CRM-404", "nobody@nowhere.test", None)) is None
    assert named(people, PortalUser("CRM-404", None, None)) is None


def test_an_email_two_people_share_names_nobody(people: Engine) -> None:
    with Session(people) as session, pytest.raises(AmbiguousPersonError):
        linked_person(session, external_id=None, email="team@shared.test")
