"""Rate limits: a person never meets them, a script does; 429 with Retry-After and why.

Each test builds its own app (fresh in-memory counts) over one seeded store, and
plays its clients from made-up addresses (``TestClient(client=...)`` sets what the
app sees as ``request.client.host``, as uvicorn does for a real peer).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.main import create_app
from partners import auth as partners_auth
from partners.db import create_db_engine
from partners.prestart import init_db
from settings import get_settings
from tests.bot.web_fixtures import ACTION_SECRET, PASSCODE
from tests.partners.fixtures import TEST_SECRET, Store, store_settings
from tests.ports import closed_port

REDIS_URL = "redis://127.0.0.1:6379/2"  # DB 2 is the rate-limit tests' own


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A seeded store of the module's own (these tests write link codes)."""
    folder = tmp_path_factory.mktemp("rate-limit-store")
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    yield Store(settings, engine, None, folder / "partners.db")  # type: ignore[arg-type]
    engine.dispose()


@contextmanager
def app_with(store: Store, **settings: str) -> Iterator[FastAPI]:
    """An app over ``store``; ``settings`` override ``PA_<NAME>`` (e.g. rate limits)."""
    values = {
        "DATABASE_URL": store.settings.effective_database_url,
        "JWT_SECRET": TEST_SECRET,
        "VAR_DIR": str(store.path.parent),
        "ACTION_SECRET": ACTION_SECRET,
        "SEED_SAMPLE_DATA": "true",  # partners sign in with passcodes only in sample mode
        "RASA_URL": f"http://127.0.0.1:{closed_port()}",
        "RASA_TOKEN": "test-rasa-token",
        **{name.upper(): value for name, value in settings.items()},
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(f"PA_{name}", value)
        get_settings.cache_clear()
        try:
            yield create_app()
        finally:
            get_settings.cache_clear()


def client(app: FastAPI, address: str) -> TestClient:
    """A client the app sees as coming from ``address``."""
    return TestClient(app, client=(address, 50000))


def sign_in(http: TestClient, username: str, password: str) -> httpx.Response:
    return http.post("/v1/auth/token", data={"username": username, "password": password})


def bearer(http: TestClient, partner_id: str) -> dict[str, str]:
    response = sign_in(http, partner_id, PASSCODE)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def inside_one_minute_window(seconds_needed: float = 20) -> None:
    """Wait, if need be, until the test can run inside one minute window.

    The limits count in fixed windows, the previous one weighted by how much of it
    still overlaps the last minute: a test that counts up to a per-minute limit must
    not straddle two windows, or its count would be the approximation.
    """
    left = 60 - time.time() % 60
    if left < seconds_needed:
        time.sleep(left + 0.1)


def assert_limited(response: httpx.Response, reason: str) -> None:
    """429, a whole number of seconds in Retry-After, and the reason in the detail."""
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 3600
    detail = response.json()["detail"]
    assert reason in detail and f"try again in {retry_after} s" in detail


def test_a_script_hammering_sign_in_from_one_address_is_stopped(store: Store) -> None:
    inside_one_minute_window()
    with app_with(store) as app:
        script, person = client(app, "198.51.100.7"), client(app, "198.51.100.8")
        # Default: 30 attempts a minute per address, each with another made-up id.
        for attempt in range(30):
            assert sign_in(script, f"P-9{attempt:03d}", "guess").status_code == 401
        assert_limited(
            sign_in(script, "P-9999", "guess"), "too many sign-in attempts from your address"
        )
        assert_limited(sign_in(script, "P-0001", PASSCODE), "from your address")
        # Someone else, from another address, signs in as usual.
        assert sign_in(person, "P-0001", PASSCODE).status_code == 200


def test_guessing_one_partners_passcode_is_stopped_from_any_address(store: Store) -> None:
    inside_one_minute_window()
    with app_with(store) as app:
        # Default: 10 failed sign-ins a minute per partner id, wherever they come from.
        for attempt in range(10):
            wrong = sign_in(client(app, f"203.0.113.{attempt}"), "p-0002", f"guess{attempt}")
            assert wrong.status_code == 401
        elsewhere = client(app, "203.0.113.200")
        assert_limited(
            sign_in(elsewhere, "P-0002", PASSCODE), "too many failed sign-ins for this partner id"
        )
        assert sign_in(elsewhere, "P-0003", PASSCODE).status_code == 200
        # Signing in successfully, however often, is no failure.
        for attempt in range(12):
            assert sign_in(client(app, f"192.0.2.{attempt}"), "P-0004", PASSCODE).is_success


def test_guessing_link_codes_is_limited_per_partner(store: Store) -> None:
    inside_one_minute_window()
    with app_with(store) as app:
        http = client(app, "198.51.100.20")
        headers = bearer(http, "P-0005")
        # Default: 10 lookups or confirmations of link codes a minute per partner.
        for attempt in range(5):
            pending = http.get("/v1/links/pending", params={"code": f"x{attempt}"}, headers=headers)
            assert pending.status_code == 410
            confirm = http.post("/v1/links", json={"code": f"y{attempt}"}, headers=headers)
            assert confirm.status_code == 410
        assert_limited(
            http.post("/v1/links", json={"code": "z"}, headers=headers),
            "too many link confirmations for your account",
        )
        # Another partner at the same address is not held back.
        other = bearer(http, "P-0006")
        assert http.post("/v1/links", json={"code": "z"}, headers=other).status_code == 410


def test_a_person_chatting_fast_never_meets_the_limits_a_script_does(store: Store) -> None:
    inside_one_minute_window()
    with app_with(store) as app:
        http = client(app, "198.51.100.30")
        headers = bearer(http, "P-0007")
        session = http.post("/v1/chat/session", headers=headers).json()["session"]
        # Far faster than anyone types or clicks: 40 messages and 100 page calls at once.
        # (Rasa is not running here: each message is answered 503, never 429.)
        for turn in range(40):
            sent = http.post(
                "/v1/chat", json={"session": session, "message": f"hi {turn}"}, headers=headers
            )
            assert sent.status_code != 429, sent.text
        for _ in range(50):
            assert http.get("/v1/competencies").status_code == 200
            assert http.get("/v1/partners/me/status", headers=headers).status_code == 200
        # A script reading the API in a loop meets the per-address limit (600/minute).
        used = 2 + 40 + 100  # sign-in and chat session, messages, page calls
        answers = [http.get("/v1/courses").status_code for _ in range(600 - used + 3)]
        assert answers == [200] * (600 - used) + [429] * 3
        assert_limited(http.get("/v1/courses"), "too many requests from your address")


def test_chat_is_limited_per_account_and_per_address(store: Store) -> None:
    limits = {"rate_limit_chat_per_account": "3/minute", "rate_limit_chat_per_address": "8/minute"}
    inside_one_minute_window()
    with app_with(store, **limits) as app:
        http = client(app, "198.51.100.40")
        first, second = bearer(http, "P-0008"), bearer(http, "P-0009")
        for _ in range(3):
            assert http.post("/v1/chat/session", headers=first).status_code == 201
        assert_limited(
            http.post("/v1/chat/session", headers=first),
            "you are sending chat messages faster than the assistant accepts them",
        )
        for _ in range(3):
            assert http.post("/v1/chat/session", headers=second).status_code == 201
        # Visitors who are not signed in count per address: 8 chat calls from here.
        assert http.post("/v1/chat/session").status_code == 201
        assert_limited(http.post("/v1/chat/session"), "too many chat messages from your address")
        assert client(app, "198.51.100.41").post("/v1/chat/session").status_code == 201


def test_a_sign_in_flood_beyond_the_passcode_queue_is_refused_at_once(store: Store) -> None:
    settings = {"signin_hash_workers": "1", "signin_hash_queue": "1"}
    with app_with(store, **settings) as app:

        async def flood() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app, client=("198.51.100.50", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
                form = [{"username": f"P-8{n:03d}", "password": "guess"} for n in range(12)]
                return await asyncio.gather(*(http.post("/v1/auth/token", data=f) for f in form))

        answers = asyncio.run(flood())
        statuses = sorted(answer.status_code for answer in answers)
        assert set(statuses) == {401, 503}, statuses
        busy = next(answer for answer in answers if answer.status_code == 503)
        assert busy.headers["Retry-After"] == "1"
        assert "too many sign-ins at once" in busy.json()["detail"]
        # Once the flood has passed, a partner signs in as usual.
        assert sign_in(client(app, "198.51.100.51"), "P-0001", PASSCODE).status_code == 200


def test_an_unknown_partner_id_costs_a_passcode_check_like_a_known_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Timing must not tell which partner ids exist: each sign-in costs one scrypt check.
    checks: list[bytes] = []
    real_scrypt = partners_auth.hashlib.scrypt

    def counted_scrypt(password: bytes, **options: Any) -> bytes:
        checks.append(password)
        return real_scrypt(password, **options)

    partners_auth._dummy_hash()  # computed once per process, before counting
    monkeypatch.setattr(partners_auth.hashlib, "scrypt", counted_scrypt)
    with app_with(store) as app:
        http = client(app, "198.51.100.70")
        for username, password, status in (
            ("P-7777", "guess", 401),  # no such partner
            ("P-0001", "guess", 401),  # wrong passcode
            ("P-0001", PASSCODE, 200),
        ):
            before = len(checks)
            assert sign_in(http, username, password).status_code == status
            assert checks[before:] == [password.encode()]


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")


def test_app_processes_share_the_counts_through_redis(store: Store) -> None:
    _redis_or_skip()
    inside_one_minute_window()
    address = f"rate-limit-test-{uuid.uuid4().hex}"  # this run's own counts in DB 2
    shared = {"rate_limit_storage_url": REDIS_URL, "rate_limit_api_per_address": "5/minute"}
    # `with` clients: each app keeps one event loop (and Redis connection pool), as in uvicorn.
    with (
        app_with(store, **shared) as first_app,
        app_with(store, **shared) as second_app,
        client(first_app, address) as first,
        client(second_app, address) as second,
    ):
        for http in (first, second, first, second, first):
            assert http.get("/v1/competencies").status_code == 200
        assert_limited(second.get("/v1/competencies"), "too many requests from your address")
        assert_limited(first.get("/v1/competencies"), "too many requests from your address")


def test_without_redis_requests_pass_and_the_log_says_why(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = f"redis://127.0.0.1:{closed_port()}/2"
    limits = {"rate_limit_storage_url": unreachable, "rate_limit_api_per_address": "1/minute"}
    with (
        app_with(store, **limits) as app,
        client(app, "198.51.100.60") as http,
        caplog.at_level(logging.ERROR, logger="bot.rate_limits"),
    ):
        for _ in range(3):
            assert http.get("/v1/competencies").status_code == 200
    assert "rate limits not enforced" in caplog.text
    assert unreachable in caplog.text
