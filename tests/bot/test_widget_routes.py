"""The embeddable widget's routes: /widget.js, /embed and CORS follow the allowlist exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from bot.main import create_app
from settings import Settings, get_settings
from tests.partners.fixtures import TEST_SECRET

PORTAL = "http://127.0.0.1:28101"
OTHERS = [
    "http://127.0.0.1:28102",  # another port
    "http://localhost:28101",  # another host name for the same server
    "https://127.0.0.1:28101",  # another scheme
    "http://127.0.0.1:28101.evil.example",  # the allowed origin as a prefix
    "http://127.0.0.1:2810",  # a prefix of the allowed origin
    "null",  # a sandboxed or file page
]


def _client(tmp_path_factory: pytest.TempPathFactory, origins: str) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PA_WIDGET_ALLOWED_ORIGINS", origins)
        patch.setenv("PA_JWT_SECRET", TEST_SECRET)
        patch.setenv("PA_VAR_DIR", str(tmp_path_factory.mktemp("widget")))
        get_settings.cache_clear()
        try:
            yield TestClient(create_app())
        finally:
            get_settings.cache_clear()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app with one allowed site, the portal."""
    yield from _client(tmp_path_factory, f"{PORTAL}, https://portal.example.com")


def test_the_tag_loads_javascript(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script.dataset.portalTokenUrl" in response.text  # reads the tag's attribute


def test_the_chat_frame_may_be_framed_by_the_allowed_site_only(client: TestClient) -> None:
    response = client.get("/embed", params={"origin": PORTAL})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert policy.endswith(f"frame-ancestors {PORTAL}")
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert response.headers["cache-control"] == "no-store"
    # The embedded chat has no passcode sign-in: the portal's sign-in is handed over.
    assert "passcode" not in response.text.lower()
    assert 'id="log"' in response.text


@pytest.mark.parametrize("origin", [*OTHERS, ""])
def test_the_chat_frame_is_refused_to_any_other_site(client: TestClient, origin: str) -> None:
    response = client.get("/embed", params={"origin": origin})
    assert response.status_code == 403
    assert "not allowed to embed" in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_allowed_site_gets_cors_on_the_widget_api(client: TestClient) -> None:
    response = client.get("/v1/widget/config", headers={"Origin": PORTAL})
    assert response.status_code == 200
    assert response.json() == {"origin": PORTAL, "allowed": True}
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert "access-control-allow-credentials" not in response.headers
    preflight = client.options(
        "/v1/widget/config",
        headers={"Origin": PORTAL, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == PORTAL


@pytest.mark.parametrize("origin", OTHERS)
def test_other_sites_get_no_cors_and_a_reason(client: TestClient, origin: str) -> None:
    response = client.get("/v1/widget/config", headers={"Origin": origin})
    assert response.status_code == 403
    assert f"Origin {origin} is not allowed" in response.json()["detail"]
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/v1/widget/config",
        headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_the_chat_api_grants_no_cors_even_to_the_allowed_site(client: TestClient) -> None:
    # The chat runs in the assistant's own frame, same-origin: no site needs CORS for it.
    response = client.post("/v1/chat/session", headers={"Origin": PORTAL})
    assert response.status_code == 201
    assert "access-control-allow-origin" not in response.headers
    assert "frame-ancestors 'none'" in client.get("/").headers["content-security-policy"]


def test_with_an_empty_list_no_site_may_embed(tmp_path_factory: pytest.TempPathFactory) -> None:
    for nobody in _client(tmp_path_factory, ""):
        assert nobody.get("/embed", params={"origin": PORTAL}).status_code == 403
        refused = nobody.get("/v1/widget/config", headers={"Origin": PORTAL})
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("*", "not an origin"),
        ("https://*.example.com", "no wildcards"),
        ("https://portal.example.com/", "no trailing /"),
        ("https://portal.example.com/app", "no path"),
        ("portal.example.com", "not an origin"),
        ("https://Portal.example.com", "lower case"),
        ("https://portal.example.com:443", "default port"),
        ("http://127.0.0.1:8001, ftp://files.example.com", "ftp://files.example.com"),
    ],
)
def test_the_allowlist_takes_exact_origins_only(value: str, reason: str) -> None:
    with pytest.raises(ValidationError, match="PA_WIDGET_ALLOWED_ORIGINS") as raised:
        Settings(widget_allowed_origins=value)
    assert reason in str(raised.value)
