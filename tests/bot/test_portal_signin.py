"""A partner signed in at the portal chats as itself: ``POST /v1/auth/portal`` end to end.

Real parts: the app (FastAPI TestClient) over a seeded SQLite store of its own, RSA keys
generated here, the portal's JWKS served over HTTP by a thread, portal tokens signed
with PyJWT. Also: partners' passcode sign-in only in the sample mode.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.routers.auth import PASSCODE_SAMPLE_ONLY
from bot.routers.portal import PORTAL_DOWN, PORTAL_OFF
from partners.db import create_db_engine
from partners.models import Person
from partners.portal_identity import NOT_LINKED
from partners.prestart import init_db
from tests.bot.test_rate_limits import app_with, inside_one_minute_window
from tests.partners.fixtures import SAMPLE_OPERATOR, Store, store_settings
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

CRM_ID = "CRM-0000042"


@dataclass(frozen=True)
class Linked:
    """A sample person the office linked to a CRM contact id, and one without."""

    partner_id: str
    name: str
    other_partner_id: str
    other_email: str
    other_name: str


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("portal-store")
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    yield Store(settings, engine, None, folder / "partners.db")  # type: ignore[arg-type]
    engine.dispose()


@pytest.fixture(scope="module")
def linked(store: Store) -> Linked:
    with Session(store.engine) as session:
        first = session.scalars(select(Person).where(Person.partner_id == "P-0003")).first()
        other = session.scalars(select(Person).where(Person.partner_id == "P-0007")).first()
        assert first is not None and other is not None
        first.external_id = CRM_ID
        session.commit()
        return Linked("P-0003", first.name, "P-0007", other.email, other.name)


@pytest.fixture(scope="module")
def key() -> PortalKey:
    return PortalKey.rsa("portal-key-1")


@pytest.fixture
def portal(key: PortalKey) -> Iterator[JwksServer]:
    with jwks_server(key) as served:
        yield served


@contextmanager
def assistant(store: Store, portal: JwksServer | None, **settings: str) -> Iterator[TestClient]:
    """The app, configured for ``portal`` (None: portal sign-in not configured)."""
    configured = (
        {"portal_jwks_url": portal.url, "portal_issuer": ISSUER, "portal_audience": AUDIENCE}
        if portal
        else {}
    )
    with app_with(store, **configured, **settings) as app:
        yield TestClient(app)


def exchange(http: TestClient, token: str):  # noqa: ANN201 - httpx.Response
    return http.post("/v1/auth/portal", json={"token": token})


def test_a_portal_user_gets_the_partners_token_and_chats_as_itself(
    store: Store, linked: Linked, portal: JwksServer, key: PortalKey
) -> None:
    with assistant(store, portal) as http:
        answer = exchange(http, key.sign(portal_claims(sub=CRM_ID, email="changed@x.test")))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        token = body.pop("access_token")
        assert body == {
            "token_type": "bearer",
            "expires_in": 3600,
            "role": "partner",
            "subject": linked.partner_id,
            "person": {"name": linked.name},
        }
        bearer = {"Authorization": f"Bearer {token}"}
        status = http.get("/v1/partners/me/status", headers=bearer)
        assert status.status_code == 200 and status.json()["partner_id"] == linked.partner_id
        chat = http.post("/v1/chat/session", headers=bearer)
        assert chat.status_code == 201
        assert chat.json()["session"].startswith(f"web:{linked.partner_id}:")


def test_a_portal_without_crm_ids_is_matched_by_email_whatever_its_case(
    store: Store, linked: Linked, portal: JwksServer, key: PortalKey
) -> None:
    with assistant(store, portal) as http:
        by_claim = key.sign(portal_claims(sub="portal-77", email=linked.other_email.upper()))
        by_sub = key.sign(portal_claims(sub=linked.other_email, email=None))
        for token in (by_claim, by_sub):
            answer = exchange(http, token)
            assert answer.status_code == 200, answer.text
            assert answer.json()["subject"] == linked.other_partner_id
            assert answer.json()["person"] == {"name": linked.other_name}


def test_an_unlinked_portal_user_is_refused(
    store: Store, portal: JwksServer, key: PortalKey
) -> None:
    with assistant(store, portal) as http:
        answer = exchange(http, key.sign(portal_claims(sub="CRM-404", email="who@nowhere.test")))
    assert answer.status_code == 401
    assert answer.json() == {"detail": NOT_LINKED}


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (
            lambda key: key.sign(portal_claims(iss="https://evil.test")),
            "not issued by the partner portal",
        ),
        (lambda key: key.sign(portal_claims(aud="someone-else")), "not meant for this assistant"),
        (
            lambda key: key.sign(portal_claims(iat=1_700_000_000, exp=1_700_000_300)),
            "has expired",
        ),
        (
            lambda key: hs256_token(portal_claims(), public_pem(key), key.kid),
            "must be signed with RS256 or ES256, not HS256",
        ),
        (
            lambda key: (
                "eyJhbGciOiJub25lIiwia2lkIjoicG9ydGFsLWtleS0xIn0.eyJzdWIiOiJDUk0tMDAwMDA0MiJ9."
            ),
            "must be signed with RS256 or ES256, not none",
        ),
        (lambda key: PortalKey.rsa(key.kid).sign(portal_claims(sub=CRM_ID)), "signature"),
    ],
)
def test_a_token_outside_the_contract_gets_401_with_the_reason(
    store: Store,
    linked: Linked,
    portal: JwksServer,
    key: PortalKey,
    forge,
    reason: str,  # noqa: ANN001
) -> None:
    with assistant(store, portal) as http:
        answer = exchange(http, forge(key))
    assert answer.status_code == 401, answer.text
    assert reason in answer.json()["detail"] and "access_token" not in answer.text
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_the_portal_rotates_its_key_and_sign_ins_go_on(
    store: Store, linked: Linked, portal: JwksServer, key: PortalKey
) -> None:
    with assistant(store, portal, portal_jwks_min_refetch_seconds="0") as http:
        assert exchange(http, key.sign(portal_claims(sub=CRM_ID))).status_code == 200
        successor = PortalKey.rsa("portal-key-2")
        portal.publish(successor)
        assert exchange(http, successor.sign(portal_claims(sub=CRM_ID))).status_code == 200
        assert portal.fetches == 2  # the unknown kid made exactly one refetch
        retired = exchange(http, key.sign(portal_claims(sub=CRM_ID)))
        assert retired.status_code == 401 and "does not publish" in retired.json()["detail"]


def test_made_up_key_ids_do_not_hammer_the_portal(
    store: Store, linked: Linked, portal: JwksServer, key: PortalKey
) -> None:
    stranger = PortalKey.rsa("stranger")
    with assistant(store, portal) as http:
        assert exchange(http, key.sign(portal_claims(sub=CRM_ID))).status_code == 200
        for number in range(20):
            made_up = stranger.sign(portal_claims(sub=CRM_ID), kid=f"made-up-{number}")
            assert exchange(http, made_up).status_code == 401
    assert portal.fetches == 1  # default: at most one fetch per 30 s


def test_a_portal_whose_keys_cannot_be_fetched_gets_503_retry_after_and_a_log_line(
    store: Store, portal: JwksServer, key: PortalKey, caplog: pytest.LogCaptureFixture
) -> None:
    portal.status = 500
    with assistant(store, portal) as http, caplog.at_level(logging.WARNING):
        answer = exchange(http, key.sign(portal_claims(sub=CRM_ID)))
    assert answer.status_code == 503
    assert answer.json() == {"detail": PORTAL_DOWN}
    assert 1 <= int(answer.headers["Retry-After"]) <= 30
    lines = [record for record in caplog.records if "portal" in record.getMessage()]
    assert any("HTTP 500" in record.getMessage() for record in lines)
    assert all(record.exc_info is None for record in lines)  # a reason, not a stack trace


def test_without_the_portal_settings_portal_sign_in_is_503(store: Store, key: PortalKey) -> None:
    with assistant(store, None) as http:
        answer = exchange(http, key.sign(portal_claims(sub=CRM_ID)))
        methods = http.get("/v1/auth/methods").json()
    assert answer.status_code == 503 and answer.json() == {"detail": PORTAL_OFF}
    assert methods == {"passcode_for_partners": True, "company_account": False, "portal": False}


def test_portal_sign_ins_count_against_the_sign_in_limit(
    store: Store, linked: Linked, portal: JwksServer, key: PortalKey
) -> None:
    inside_one_minute_window(seconds_needed=10)
    with assistant(store, portal, rate_limit_signin_per_address="3/minute") as http:
        answers = [exchange(http, key.sign(portal_claims(sub=CRM_ID))) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert "too many sign-in attempts" in answers[-1].json()["detail"]


def test_outside_the_sample_mode_partners_cannot_use_a_passcode_but_operators_can(
    store: Store, portal: JwksServer
) -> None:
    with assistant(store, portal, seed_sample_data="false") as http:
        partner = http.post("/v1/auth/token", data={"username": "P-0001", "password": "demo"})
        operator = http.post(
            "/v1/auth/token", data={"username": SAMPLE_OPERATOR, "password": "demo"}
        )
        methods = http.get("/v1/auth/methods").json()
    assert partner.status_code == 401 and partner.json() == {"detail": PASSCODE_SAMPLE_ONLY}
    assert operator.status_code == 200 and operator.json()["role"] == "program_manager"
    assert methods == {"passcode_for_partners": False, "company_account": False, "portal": True}
