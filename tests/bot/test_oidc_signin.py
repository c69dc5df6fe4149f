"""Company-account sign-in on the page: OpenID Connect against a real provider.

The provider is ``oidc-provider-mock`` (PyPI): a real OpenID provider built on
Authlib's server, run by this test on a thread, with discovery, authorization,
token and JWKS endpoints and RS256-signed ID tokens. The "browser" is the app's
TestClient (it keeps the cookies) plus an httpx client for the provider's sign-in
form. The provider does not check PKCE itself, so the test reads the token
requests it receives and checks the code verifier against the challenge.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import oidc
from bot.routers.oidc import NO_PERSON, NOTHING_WAITING, OIDC_OFF, SIGN_IN_COOKIE
from partners.db import create_db_engine
from partners.models import Person
from partners.prestart import init_db
from tests.bot.oidc_fixtures import CLIENT_ID, Provider, oidc_provider
from tests.bot.test_rate_limits import app_with
from tests.partners.fixtures import Store, store_settings
from tests.ports import closed_port


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oidc_provider() as served:
        yield served


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("oidc-store")
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    yield Store(settings, engine, None, folder / "partners.db")  # type: ignore[arg-type]
    engine.dispose()


@pytest.fixture(scope="module")
def someone(store: Store) -> Person:
    """A person of sample partner P-0004, whose company e-mail the provider knows."""
    with Session(store.engine) as session:
        person = session.scalars(select(Person).where(Person.partner_id == "P-0004")).first()
        assert person is not None
        session.expunge(person)
        return person


@contextmanager
def page(store: Store, issuer: str | None, **settings: str) -> Iterator[TestClient]:
    """The app, configured for the provider at ``issuer`` (None: not configured)."""
    configured = (
        {"oidc_issuer": issuer, "oidc_client_id": CLIENT_ID, "oidc_client_secret": "s3cret"}
        if issuer
        else {}
    )
    with app_with(store, **configured, **settings) as app:
        yield TestClient(app)


def start(http: TestClient) -> str:
    """Press "Sign in with your company account": the provider's authorization address."""
    answer = http.get("/v1/auth/oidc/login", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def at_provider(authorize: str, sub: str, action: str | None = None) -> str:
    """Sign in at the provider's form as ``sub``; return where it sends the browser."""
    form = {"sub": sub} if action is None else {"action": action}
    answer = httpx.post(authorize, data=form, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def back_at_the_page(http: TestClient, callback: str) -> httpx.Response:
    """Follow the provider's redirect to our callback, then exchange at the page."""
    answer = http.get(callback, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/#oidc"
    return http.post("/v1/auth/oidc/session")


def query_of(address: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(address).query).items()}


def test_a_person_signs_in_with_the_company_account_and_sees_their_partner(
    store: Store, provider: Provider, someone: Person
) -> None:
    provider.add_user("idp-user-1", email=someone.email.upper(), email_verified=True, name="X")
    with page(store, provider.issuer) as http:
        authorize = start(http)
        asked = query_of(authorize)
        assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
        assert asked["client_id"] == CLIENT_ID and set(asked["scope"].split()) >= {
            "openid",
            "email",
        }
        assert asked["state"] and asked["nonce"]
        callback = at_provider(authorize, "idp-user-1")
        assert callback.startswith("http://testserver/v1/auth/oidc/callback?")
        answer = back_at_the_page(http, callback)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["role"] == "partner" and body["subject"] == "P-0004"
        assert body["person"] == {"name": someone.name}
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        status = http.get("/v1/partners/me/status", headers=bearer)
        assert status.status_code == 200 and status.json()["partner_id"] == "P-0004"
        # The hand-over is spent: a second exchange finds nothing.
        again = http.post("/v1/auth/oidc/session")
        assert again.status_code == 401 and again.json() == {"detail": NOTHING_WAITING}
    # PKCE: the code was redeemed with the verifier behind the challenge.
    (verifier,) = provider.token_requests[-1]["code_verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == asked["code_challenge"]


def test_no_token_travels_in_an_address_and_the_cookies_are_guarded(
    store: Store, provider: Provider, someone: Person
) -> None:
    provider.add_user("idp-user-2", email=someone.email, email_verified=True)
    with page(store, provider.issuer) as http:
        login = http.get("/v1/auth/oidc/login", follow_redirects=False)
        login_cookie = login.headers["set-cookie"].lower()
        assert "httponly" in login_cookie and "samesite=lax" in login_cookie
        assert "path=/v1/auth/oidc/callback" in login_cookie
        callback = http.get(
            at_provider(login.headers["location"], "idp-user-2"), follow_redirects=False
        )
        assert callback.headers["location"] == "/#oidc"
        handed_over = [c.lower() for c in callback.headers.get_list("set-cookie")]
        sign_in_cookie = next(c for c in handed_over if c.startswith(SIGN_IN_COOKIE))
        assert "httponly" in sign_in_cookie and "samesite=strict" in sign_in_cookie
        assert "path=/v1/auth/oidc/session" in sign_in_cookie
        assert "access_token" not in sign_in_cookie and "bearer" not in sign_in_cookie


def test_a_company_account_without_a_person_of_the_program_is_refused(
    store: Store, provider: Provider
) -> None:
    provider.add_user("idp-stranger", email="stranger@elsewhere.test", email_verified=True)
    with page(store, provider.issuer) as http:
        answer = back_at_the_page(http, at_provider(start(http), "idp-stranger"))
    assert answer.status_code == 401 and answer.json() == {"detail": NO_PERSON}


def test_an_unverified_email_names_nobody(
    store: Store, provider: Provider, someone: Person
) -> None:
    provider.add_user("idp-unverified", email=someone.email, email_verified=False)
    with page(store, provider.issuer) as http:
        answer = back_at_the_page(http, at_provider(start(http), "idp-unverified"))
    assert answer.status_code == 401 and "not verified" in answer.json()["detail"]


def test_a_callback_for_another_browsers_sign_in_is_refused(
    store: Store, provider: Provider, someone: Person
) -> None:
    provider.add_user("idp-victim", email=someone.email, email_verified=True)
    with page(store, provider.issuer) as attacker, page(store, provider.issuer) as victim:
        # The attacker's finished authorization, pushed into the victim's browser.
        pushed = at_provider(start(attacker), "idp-victim")
        start(victim)  # the victim has a sign-in of its own going
        refused = back_at_the_page(victim, pushed)
        # A browser that started nothing at all.
        with TestClient(victim.app) as fresh:
            nothing = back_at_the_page(fresh, pushed)
    assert (
        refused.status_code == 401 and "does not belong to this browser" in refused.json()["detail"]
    )
    assert nothing.status_code == 401 and "started elsewhere" in nothing.json()["detail"]


def test_an_id_token_for_another_nonce_is_refused(
    store: Store, provider: Provider, someone: Person
) -> None:
    provider.add_user("idp-replay", email=someone.email, email_verified=True)
    with page(store, provider.issuer) as http:
        parts = urlsplit(start(http))
        query = {**query_of(urlunsplit(parts)), "nonce": "a-nonce-of-another-sign-in"}
        tampered = urlunsplit(parts._replace(query=urlencode(query)))
        answer = back_at_the_page(http, at_provider(tampered, "idp-replay"))
    assert answer.status_code == 401 and "could not be verified" in answer.json()["detail"]


def test_a_sign_in_the_person_cancels_at_the_provider_says_so(
    store: Store, provider: Provider
) -> None:
    with page(store, provider.issuer) as http:
        answer = back_at_the_page(http, at_provider(start(http), "", action="deny"))
    assert answer.status_code == 401 and "cancelled or refused" in answer.json()["detail"]


def test_an_unreachable_provider_is_told_politely_with_a_log_line(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with page(store, f"http://127.0.0.1:{closed_port()}") as http, caplog.at_level(logging.ERROR):
        login = http.get("/v1/auth/oidc/login", follow_redirects=False)
        answer = http.post("/v1/auth/oidc/session")
    assert login.status_code == 303 and login.headers["location"] == "/#oidc"
    assert answer.status_code == 401 and answer.json() == {"detail": oidc.UNAVAILABLE}
    lines = [r for r in caplog.records if r.name == "bot.oidc"]
    assert any("provider" in r.getMessage() for r in lines)
    assert all(r.exc_info is None for r in lines)


def test_without_the_settings_company_sign_in_is_off(store: Store, provider: Provider) -> None:
    with page(store, None) as http:
        login = http.get("/v1/auth/oidc/login", follow_redirects=False)
        exchange = http.post("/v1/auth/oidc/session")
        off = http.get("/v1/auth/methods").json()["company_account"]
    with page(store, provider.issuer) as http:
        on = http.get("/v1/auth/methods").json()["company_account"]
    assert login.status_code == 503 and login.json() == {"detail": OIDC_OFF}
    assert exchange.status_code == 503
    assert (off, on) == (False, True)
