"""The operator console at ``/ops/``: dashboard, conversation review, handoff queue, audit log.

One HTML page (``bot/static/ops/index.html``) with plain JavaScript modules, its CSS and
a vendored charting library (``bot/static/ops/vendor/``, see its README), all served
from the app's own origin under ``/static/ops/``: no CDN, no build step, the same strict
policy as the partners' page. ``/ops/`` and every path below it serve the same page;
its script shows the screen the path names (``/ops/conversations``, ``/ops/handoff/7``...).

The page holds no data of its own: it signs an operator in at ``POST /v1/auth/token``
and reads everything through the operator APIs (``/v1/analytics``, ``/v1/handoff``,
``/v1/audit``), which check the operator's token and refuse a partner's (403).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from bot.routers.web import PAGE_HEADERS, STATIC_DIR

OPS_DIR = STATIC_DIR / "ops"

router = APIRouter(include_in_schema=False)


def _page() -> FileResponse:
    return FileResponse(OPS_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)


@router.get("/ops")
def console_root() -> RedirectResponse:
    """Send ``/ops`` to ``/ops/`` (the console's relative addresses start there)."""
    return RedirectResponse("/ops/", status_code=308)


@router.get("/ops/")
def console() -> FileResponse:
    """Serve the console: sign-in, then the dashboard."""
    return _page()


@router.get("/ops/{screen:path}")
def console_screen(screen: str) -> FileResponse:
    """Serve the console on the screen its path names (the script reads the path)."""
    del screen  # the page's script routes; every screen is the same document
    return _page()
