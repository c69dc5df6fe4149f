"""Sign-in and the partner API through FastAPI's TestClient (the real app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.main import create_app
from partners.db import create_db_engine
from partners.models import Partner
from partners.prestart import init_db
from settings import get_settings
from tests.knowledge.building import ensure_index
from tests.partners.fixtures import (
    SAMPLE_OPERATOR,
    TEST_SECRET,
    Store,
    operator_token,
    process_settings,
    seeded_store,
    store_settings,
    token_for,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return seeded_store(tmp_path_factory)


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[TestClient]:
    ensure_index()
    with process_settings(store), TestClient(create_app()) as client:
        yield client


def sign_in(client: TestClient, username: str = "P-0001", password: str = "demo") -> str:
    response = client.post("/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    return str(body["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_sign_in_with_id_and_passcode(client: TestClient) -> None:
    token = sign_in(client, "p-0001")  # ids are case-insensitive
    status = client.get("/v1/partners/me/status", headers=bearer(token)).json()
    assert status["partner_id"] == "P-0001"


@pytest.mark.parametrize(("username", "password"), [("P-0001", "wrong"), ("P-9999", "demo")])
def test_wrong_credentials_get_401_with_a_reason(
    client: TestClient, username: str, password: str
) -> None:
    response = client.post("/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json() == {"detail": "unknown partner id or wrong passcode"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("field", ["username", "password"])
def test_an_empty_sign_in_field_gets_422_naming_it(client: TestClient, field: str) -> None:
    form = {"username": "P-0001", "password": "demo", field: ""}
    response = client.post("/v1/auth/token", data=form)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", field] and "access_token" not in response.text


def test_my_status_has_tier_gap_deadline_vouchers_and_credits(client: TestClient) -> None:
    response = client.get("/v1/partners/me/status", headers=bearer(sign_in(client)))
    assert response.status_code == 200
    status = response.json()
    assert status["partner_id"] == "P-0001"
    assert (status["tier"], status["next_tier"], status["country"]) == ("Silver", "Gold", "DE")
    gap = {item["key"]: item for item in status["gap"]}
    assert (gap["competencies"]["have"], gap["competencies"]["need"]) == (3, 4)
    assert (gap["satisfaction_score"]["have"], gap["satisfaction_score"]["need"]) == (7.6, 8.0)
    assert gap["revenue"]["text"] == "Revenue last year: 420,000 EUR of 450,000 EUR needed"
    assert gap["client_satisfaction"]["met"] is True
    assert status["transition_end"] == "2027-02-01"
    assert isinstance(status["days_left"], int)
    assert status["vouchers_available"] == 2
    assert all(c["credits"] > 0 for c in status["transferable_credits"])
    assert len(status["competencies"]) == 3


def test_my_recommendations(client: TestClient) -> None:
    token = sign_in(client)
    response = client.get("/v1/partners/me/recommendations?limit=2", headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert (body["partner_id"], body["next_tier"]) == ("P-0001", "Gold")
    primary = [item for item in body["items"] if not item["prerequisite_for"]]
    assert 1 <= len(primary) <= 2
    assert all(item["explanation"] for item in body["items"])
    goal = client.get(
        "/v1/partners/me/recommendations", params={"goal": "get into AI"}, headers=bearer(token)
    ).json()
    assert (goal["partner_id"], goal["goal"]) == ("P-0001", "get into AI")
    assert any(item["goal_match"] for item in goal["items"])


@pytest.mark.parametrize("limit", ["0", "21", "many"])
def test_bad_limits_get_422(client: TestClient, limit: str) -> None:
    response = client.get(
        f"/v1/partners/me/recommendations?limit={limit}", headers=bearer(sign_in(client))
    )
    assert response.status_code == 422


def test_operator_reads_any_partner(client: TestClient) -> None:
    for token in (operator_token(), token_for(SAMPLE_OPERATOR, role="operator")):
        status = client.get("/v1/partners/P-0002/status", headers=bearer(token))
        assert status.status_code == 200 and status.json()["partner_id"] == "P-0002"
        recs = client.get("/v1/partners/P-0002/recommendations", headers=bearer(token))
        assert recs.status_code == 200 and recs.json()["partner_id"] == "P-0002"
    missing = client.get("/v1/partners/P-9999/status", headers=bearer(operator_token()))
    assert missing.status_code == 404 and missing.json()["detail"] == "there is no partner P-9999"
    me = client.get("/v1/partners/me/status", headers=bearer(operator_token()))
    assert me.status_code == 403 and "operators have no partner record" in me.json()["detail"]


def test_the_sample_operator_signs_in_with_email_and_passcode(client: TestClient) -> None:
    token = sign_in(client, SAMPLE_OPERATOR, "demo")
    status = client.get("/v1/partners/P-0003/status", headers=bearer(token))
    assert status.status_code == 200 and status.json()["partner_id"] == "P-0003"
    # The shared operator name of old signs nobody in.
    wrong = client.post("/v1/auth/token", data={"username": "operator", "password": "demo"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "unknown partner id or wrong passcode"}
    wrong = client.post("/v1/auth/token", data={"username": SAMPLE_OPERATOR, "password": "P-0001"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "unknown operator account or wrong passcode"}


def test_a_partner_may_read_its_own_id_but_no_other(client: TestClient) -> None:
    token = sign_in(client)
    for path in ("/v1/partners/P-0001/status", "/v1/partners/P-0001/recommendations"):
        own = client.get(path, headers=bearer(token))
        assert own.status_code == 200 and own.json()["partner_id"] == "P-0001"
    for path in ("/v1/partners/P-0002/status", "/v1/partners/P-0002/recommendations"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 403
        assert response.json() == {
            "detail": "a partner may only read its own status and recommendations"
        }


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "sign in first"),
        ({"Authorization": "Basic UC0wMDAxOmRlbW8="}, "sign in first"),
        (bearer("garbage"), "malformed"),
        (bearer(token_for("P-0001", minutes_ago=24 * 60)), "expired"),
        (bearer(token_for("P-9999")), "no known partner"),
    ],
)
def test_missing_forged_or_expired_tokens_get_401(
    client: TestClient, headers: dict, reason: str
) -> None:
    response = client.get("/v1/partners/me/status", headers=headers)
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_signed_out_token_is_refused(client: TestClient) -> None:
    token = sign_in(client)
    assert client.post("/v1/auth/logout", headers=bearer(token)).status_code == 204
    response = client.get("/v1/partners/me/status", headers=bearer(token))
    assert response.status_code == 401 and "signed out" in response.json()["detail"]


def test_the_app_refuses_to_start_without_a_signing_key(store: Store) -> None:
    from partners.auth import MissingSecretError
    from settings import get_settings

    with process_settings(store), pytest.MonkeyPatch.context() as patch:
        patch.setenv("PA_JWT_SECRET", "")
        get_settings.cache_clear()
        with (
            pytest.raises(MissingSecretError, match="PA_JWT_SECRET is empty"),
            TestClient(create_app()),
        ):
            pass


def test_the_sign_in_page_is_told_whether_sample_partners_exist(
    client: TestClient, store: Store
) -> None:
    with Session(store.engine) as session:
        sample = session.scalar(
            select(func.count()).select_from(Partner).where(Partner.source == "sample")
        )
    assert sample and sample > 0
    assert client.get("/v1/partners/sample-data").json() == {"sample_partners": sample}


def test_a_store_of_office_records_only_has_no_sample_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = store_settings(f"sqlite:///{tmp_path / 'partners.db'}", tmp_path)
    settings.seed_sample_data = False
    init_db(settings, engine=create_db_engine(settings.effective_database_url)).dispose()
    monkeypatch.setenv("PA_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("PA_JWT_SECRET", TEST_SECRET)
    monkeypatch.setenv("PA_SEED_SAMPLE_DATA", "false")
    monkeypatch.setenv("PA_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as office:
            assert office.get("/v1/partners/sample-data").json() == {"sample_partners": 0}
    finally:
        get_settings.cache_clear()
