"""The web page: served by the app itself, same-origin only, at /, /link and /account."""

from __future__ import annotations

import re

import pytest

from bot.routers.web import STATIC_DIR
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture

PAGES = ["/", "/link?code=abc", "/account"]


@pytest.mark.parametrize("path", PAGES)
def test_every_screen_is_the_same_page_with_a_strict_policy(web: WebApp, path: str) -> None:
    response = web.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<label for="partner-id">' in html and '<label for="passcode">' in html
    assert 'role="log"' in html and 'aria-live="polite"' in html
    assert "P-0001" in html and "demo" in html  # the sample-data note


def test_the_page_loads_nothing_from_other_sites() -> None:
    for path in STATIC_DIR.rglob("*"):
        if path.suffix in {".html", ".js", ".css"}:
            text = path.read_text()
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path
            assert "@import url(http" not in text, path
            assert 'fetch("http' not in text, path


@pytest.mark.parametrize(
    ("asset", "kind"),
    [
        ("/static/style.css", "text/css"),
        ("/static/js/app.js", "javascript"),
        ("/static/js/chat.js", "javascript"),
        ("/static/js/markdown.js", "javascript"),
        ("/static/img/icon.svg", "image/svg+xml"),
    ],
)
def test_assets_are_served(web: WebApp, asset: str, kind: str) -> None:
    response = web.client.get(asset)
    assert response.status_code == 200
    assert kind in response.headers["content-type"]


def test_an_unknown_asset_is_404(web: WebApp) -> None:
    assert web.client.get("/static/js/nope.js").status_code == 404
