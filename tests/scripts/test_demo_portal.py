"""The demo portal signs what the assistant checks: RS256 tokens its JWKS verifies."""

from __future__ import annotations

import stat
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from scripts import demo_portal
from scripts.demo_portal import PortalUser, create_portal, load_or_create_key
from scripts.launch import demo_portal_environment

PORTAL = "http://127.0.0.1:28101"
ASSISTANT = "http://127.0.0.1:28100"
ANNA = PortalUser(
    "anna@nordlicht.example", "Anna Berg", "anna@nordlicht.example", "P-0001", "Nordlicht"
)


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """The portal with one sample person, its key in a temporary folder."""
    monkeypatch.setattr(demo_portal, "sample_users", lambda: [ANNA])
    key = load_or_create_key(tmp_path / "portal")
    app = create_portal(
        assistant_url=ASSISTANT, issuer=PORTAL, audience="partner-assistant", key=key
    )
    return TestClient(app, base_url=PORTAL)


def test_the_key_is_private_to_its_owner_and_kept_across_starts(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path / "portal")
    path = tmp_path / "portal" / "signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path / "portal").kid == first.kid


def test_a_signed_in_user_gets_a_token_the_jwks_verifies(portal: TestClient) -> None:
    assert portal.get("/portal/assistant-token").status_code == 401  # a visitor
    signed_in = portal.post("/portal/sign-in", data={"user_id": ANNA.user_id})
    assert signed_in.status_code == 200  # redirected to the page
    assert "Signed in as Anna Berg" in signed_in.text
    answer = portal.get("/portal/assistant-token")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()["token"]

    keys = jwt.PyJWKSet.from_dict(portal.get("/.well-known/jwks.json").json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims = jwt.decode(
        token, key.key, algorithms=["RS256"], audience="partner-assistant", issuer=PORTAL
    )
    assert claims["sub"] == ANNA.user_id and claims["email"] == ANNA.email
    assert claims["name"] == "Anna Berg"
    assert 0 < claims["exp"] - claims["iat"] <= 300

    portal.post("/portal/sign-out")
    assert portal.get("/portal/assistant-token").status_code == 401


def test_the_page_embeds_the_widget_with_one_tag_under_a_strict_policy(
    portal: TestClient,
) -> None:
    page = portal.get("/")
    tag = (
        f'<script src="{ASSISTANT}/widget.js" '
        'data-portal-token-url="/portal/assistant-token"></script>'
    )
    assert page.text.count("<script") == 1 and tag in page.text
    policy = page.headers["content-security-policy"]
    assert f"script-src 'self' {ASSISTANT}" in policy and f"frame-src {ASSISTANT}" in policy
    assert "unsafe-inline" not in policy
    assert "Sample data:" in page.text


def test_an_unknown_person_cannot_sign_in(portal: TestClient) -> None:
    answer = portal.post("/portal/sign-in", data={"user_id": "mallory@example.com"})
    assert answer.status_code == 400
    assert "no sample person" in answer.json()["detail"]


def test_the_launcher_points_the_app_at_the_demo_portal_unless_told_otherwise() -> None:
    env = {"PA_PORTAL_ISSUER": "https://portal.example.com", "PA_WIDGET_ALLOWED_ORIGINS": ""}
    demo_portal_environment(env, PORTAL)
    assert env["PA_PORTAL_ISSUER"] == "https://portal.example.com"  # set: kept
    assert env["PA_WIDGET_ALLOWED_ORIGINS"] == PORTAL  # empty counts as unset
    assert env["PA_PORTAL_JWKS_URL"] == f"{PORTAL}/.well-known/jwks.json"
    assert env["PA_PORTAL_AUDIENCE"] == "partner-assistant"
