"""The web page: sign-in, the chat widget, and the account (link) screen.

One HTML page (``bot/static/index.html``) with plain JavaScript modules and CSS, all
served by the app: no CDN, no build step. ``/``, ``/link`` and ``/account`` serve the
same page; the script shows the screen the path names.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Everything the page loads is its own: no inline script, no third party, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The page holds a bearer token in session storage: never cache it in shared caches.
    "Cache-Control": "no-store",
}

router = APIRouter(include_in_schema=False)


def _page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)


@router.get("/")
def home() -> FileResponse:
    """Serve the page: sign-in, then the chat."""
    return _page()


@router.get("/link")
def link_screen() -> FileResponse:
    """Serve the page on its account-link screen (``/link?code=...`` from Slack)."""
    return _page()


@router.get("/account")
def account_screen() -> FileResponse:
    """Serve the page on its account screen (linked chat accounts)."""
    return _page()


def mount_static(app: FastAPI) -> None:
    """Serve ``bot/static`` under ``/static`` (scripts, styles, images)."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
