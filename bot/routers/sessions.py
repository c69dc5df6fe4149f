"""The web page's signed-in session: who holds the bearer token, and signing out.

Signing in is ``POST /v1/auth/token`` (partners' API). Signing out records the
token's ``jti`` as revoked, so the token stops working everywhere (API and chat
actions) before it expires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from bot.deps import Context, bearer_token, verified_bearer
from bot.settings import Settings, get_settings
from partners import sessions
from partners.auth import Role, verify_token
from partners.db import engine_for

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@dataclass(frozen=True)
class SignedIn:
    """A request's verified bearer token and who it belongs to."""

    token: str
    subject: str
    role: Role


def signed_in(request: Request, context: Context) -> SignedIn:
    """FastAPI dependency: the verified, not signed-out bearer token of the request.

    Raises:
        HTTPException: 401 with the reason when the token is missing, invalid,
            expired or signed out; 503 when the server has no signing key.

    """
    token = bearer_token(request)
    identity = verified_bearer(token, context, channel="web")
    return SignedIn(token, identity.subject, identity.role)


def signed_in_partner(session: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
    """FastAPI dependency: like ``signed_in``, but only partners' own tokens pass.

    Raises:
        HTTPException: 403 for an operator's token.

    """
    if session.role != "partner":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a partner's own sign-in can do this")
    return session


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    session: Annotated[SignedIn, Depends(signed_in)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    """Sign out: the bearer token is refused from now on, by the API and by the chat.

    Raises:
        HTTPException: 400 for a token without an id (``jti``), which cannot be revoked.

    """
    claims = verify_token(session.token, settings)
    if not claims.token_id:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "this token has no id (jti), so it cannot be signed out"
        )
    sessions.revoke(
        engine_for(settings.effective_database_url),
        claims.token_id,
        claims.subject,
        claims.expires_at,
    )
    logger.info("signed out %s (token %s...)", claims.subject, claims.token_id[:6])
    return Response(status_code=status.HTTP_204_NO_CONTENT)
