"""The embeddable widget: ``/widget.js`` for the portal's page, ``/embed`` for its frame.

A site on the allowlist (``PA_WIDGET_ALLOWED_ORIGINS``) adds one tag,
``<script src="https://<assistant>/widget.js" data-portal-token-url="...">``. That
script (``bot/static/widget/loader.js``) runs in the site's page: it asks
``GET /v1/widget/config`` whether the site may embed the chat (CORS answers only the
allowed origins, so any other site's browser refuses to read the answer), then opens
``/embed?origin=<site>`` in an iframe. The frame is the assistant's own page, on the
assistant's origin, with the same strict policy as ``/``, except that exactly the named
(and allowed) site may frame it. The chat runs inside the frame, same-origin with the
API; the site's page only hands over its portal token by ``postMessage``. Why a frame
and not the site's DOM: docs/web.md, "Embedding in the portal".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.api_errors import ErrorOut
from bot.routers.web import CONTENT_SECURITY_POLICY, PAGE_HEADERS, STATIC_DIR
from settings import Settings, get_settings

WIDGET_DIR = STATIC_DIR / "widget"
# The only API the site's page calls across origins; the chat itself is same-origin.
CORS_PATH_PREFIX = "/v1/widget/"
REFUSED = "This site is not allowed to embed the Partner Assistant."

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/v1/widget", tags=["widget"])


def frame_policy(site: str) -> str:
    """Return the embedded page's policy: the page's own, framed by ``site`` only."""
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {site}")


def allowed(settings: Settings, origin: str | None) -> bool:
    """Whether ``origin`` is on the allowlist, compared exactly (no wildcard, no prefix)."""
    return origin is not None and origin in settings.widget_origins


@router.get("/widget.js")
def loader_script() -> FileResponse:
    """Serve the script a site embeds (JavaScript; cached, but revalidated every load)."""
    return FileResponse(
        WIDGET_DIR / "loader.js",
        media_type="text/javascript; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )


@router.get("/embed", response_model=None)
def embedded_chat(
    settings: Annotated[Settings, Depends(get_settings)],
    origin: Annotated[str, Query(description="The embedding site's origin.")] = "",
) -> FileResponse | PlainTextResponse:
    """Serve the chat for the frame the widget opens on an allowed site (403 otherwise).

    ``frame-ancestors`` names exactly that site: a page elsewhere that claims to be it
    gets a frame the browser refuses to show, so the frame's parent is the site it names.
    """
    if not allowed(settings, origin):
        return PlainTextResponse(
            f"{REFUSED} ({origin or 'no origin given'} is not on its list of allowed sites)",
            status_code=status.HTTP_403_FORBIDDEN,
            headers=PAGE_HEADERS,
        )
    headers = {**PAGE_HEADERS, "Content-Security-Policy": frame_policy(origin)}
    return FileResponse(WIDGET_DIR / "embed.html", media_type="text/html", headers=headers)


class WidgetConfig(BaseModel):
    """What the widget's script learns before it opens the chat on a site."""

    origin: str = Field(description="The embedding site's origin, as the browser sent it.")
    allowed: bool = Field(description="Always true: other origins get 403 (and no CORS).")


@api_router.get(
    "/config",
    responses={403: {"model": ErrorOut, "description": "The calling site is not allowed."}},
)
def widget_config(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> WidgetConfig:
    """Confirm that the calling site (its ``Origin`` header) may embed the chat."""
    origin = request.headers.get("origin")
    if not allowed(settings, origin):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"{REFUSED} Origin {origin or '(none)'} is not allowed."
        )
    return WidgetConfig(origin=str(origin), allowed=True)


class WidgetCors:
    """CORS for the allowed sites, on ``/v1/widget/*`` only.

    Starlette's ``CORSMiddleware`` answers an allowed origin with
    ``Access-Control-Allow-Origin: <that origin>`` and any other with no CORS header
    at all (its browser then refuses the answer). No credentials: the widget sends no
    cookies, and its token travels only inside the assistant's own frame.
    """

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=origins, allow_methods=["GET"], max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route widget API calls through CORS; everything else goes straight on."""
        if scope["type"] == "http" and scope["path"].startswith(CORS_PATH_PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
