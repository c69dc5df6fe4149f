"""The partner portal's sign-in hand-over: ``POST /v1/auth/portal`` (the chat widget's way in).

The portal signs a short-lived JWT for its signed-in user; the widget passes it here.
It is checked against the portal's JWKS (``partners.portal_identity``,
``partners.portal_keys``: docs/security.md, "Partner sign-in"), the user matched to one
person of the program, and the answer is ``/v1/auth/token``'s plus the person's name.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from bot.access_tokens import PersonTokenOut, person_token
from bot.deps import Context
from bot.rate_limits import client_address, rate_limits
from partners.context import PartnerContext
from partners.portal_identity import (
    NOT_LINKED,
    AmbiguousPersonError,
    PortalTokenError,
    PortalUser,
    portal_person,
    verify_portal_token,
)
from partners.portal_keys import PortalKeys, PortalKeysUnavailableError
from settings import Settings

logger = logging.getLogger(__name__)

# Included into bot.routers.auth, which owns the /v1/auth prefix and the tag.
router = APIRouter()

PORTAL_OFF = "portal sign-in is not configured"
PORTAL_DOWN = "the partner portal cannot be reached to check the sign-in; try again shortly"
AMBIGUOUS = (
    "several people of the program have this portal user's e-mail; the program office "
    "must record the portal user id"
)


class PortalTokenIn(BaseModel):
    """The partner portal's signed token for its signed-in user."""

    token: str = Field(min_length=1, max_length=8192)


def portal_keys(request: Request, settings: Settings) -> PortalKeys:
    """Return the app's cache of the portal's keys (one per app and JWKS address)."""
    keys: PortalKeys | None = getattr(request.app.state, "portal_keys", None)
    if keys is None or keys.url != settings.portal_jwks_url:
        keys = PortalKeys(
            settings.portal_jwks_url,
            cache_seconds=settings.portal_jwks_cache_seconds,
            min_refetch_seconds=settings.portal_jwks_min_refetch_seconds,
            timeout_seconds=settings.portal_jwks_timeout_seconds,
        )
        request.app.state.portal_keys = keys
    return keys


def _shown(user: PortalUser) -> str:
    # A CRM id helps the office find the record; an e-mail stays out of the log.
    if "@" in user.subject:
        return "a portal user known by e-mail only"
    return f"portal user {user.subject[:64]!r}"


def _portal_sign_in(context: PartnerContext, user: PortalUser) -> PersonTokenOut:
    with context.session() as session:
        try:
            person = portal_person(session, user)
        except AmbiguousPersonError as exc:
            logger.info("portal sign-in refused: %s shares an e-mail", _shown(user))
            raise _unauthorised(AMBIGUOUS) from exc
        if person is None:
            logger.info("portal sign-in refused: %s is not linked", _shown(user))
            raise _unauthorised(NOT_LINKED)
        logger.info("portal sign-in of person %s of %s", person.id, person.partner_id)
        return person_token(context.settings, person)


@router.post("/portal")
async def portal(
    request: Request,
    body: PortalTokenIn,
    context: Context,
) -> PersonTokenOut:
    """Sign in with the partner portal's signed token for its user (the chat widget's way).

    Raises:
        HTTPException: 401 with the reason for a token that is not trusted or a portal
            user who is not linked to a partner; 429 when the client address has tried
            too often; 503 when portal sign-in is not configured or the portal's keys
            cannot be fetched (with ``Retry-After``).

    """
    settings = context.settings
    limiter = rate_limits(request)
    await limiter.hit(limiter.rules.sign_in_address, client_address(request))
    if not settings.portal_sign_in_configured:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, PORTAL_OFF)
    try:
        user = await verify_portal_token(
            body.token,
            portal_keys(request, settings),
            issuer=settings.portal_issuer,
            audience=settings.portal_audience,
        )
    except PortalTokenError as exc:
        logger.info("portal sign-in refused: %s", exc.reason)
        raise _unauthorised(exc.reason) from exc
    except PortalKeysUnavailableError as exc:
        logger.warning("portal sign-in unavailable: %s", exc.reason)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            PORTAL_DOWN,
            headers={"Retry-After": str(exc.retry_after)},
        ) from exc
    return await asyncio.to_thread(_portal_sign_in, context, user)


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, reason, headers={"WWW-Authenticate": "Bearer"}
    )
