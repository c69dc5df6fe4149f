"""FastAPI dependencies shared by the routers: the partner context and the caller's identity.

Every route that needs to know who is calling goes through ``verified_bearer`` here, so
the rules for a missing, forged, expired or signed-out token live in one place.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from bot.settings import Settings, get_settings
from partners.auth import InvalidTokenError, MissingSecretError, is_operator_token
from partners.context import PartnerContext, context_for
from partners.identity import Identity, identity_from_token

logger = logging.getLogger(__name__)

CHALLENGE = {"WWW-Authenticate": "Bearer"}


def partner_context(settings: Annotated[Settings, Depends(get_settings)]) -> PartnerContext:
    """FastAPI dependency: store, catalogue and settings for partner features."""
    return context_for(settings)


Context = Annotated[PartnerContext, Depends(partner_context)]


def bearer_token(request: Request) -> str:
    """Return the request's bearer token.

    Raises:
        HTTPException: 401 with a reason when there is none.

    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "sign in first: send the access token as 'Authorization: Bearer <token>'",
            headers=CHALLENGE,
        )
    return token.strip()


def verified_bearer(token: str, context: PartnerContext, channel: str = "api") -> Identity:
    """Verify an access token completely (signature, expiry, sign-out, subject).

    Raises:
        HTTPException: 401 with the reason for a forged, expired or signed-out token;
            503 when the server has no signing key.

    """
    try:
        with context.session() as session:
            return identity_from_token(token, context.settings, session, channel=channel)
    except InvalidTokenError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, exc.reason, headers=CHALLENGE) from exc
    except MissingSecretError as exc:
        logger.error("cannot check access tokens: %s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "sign-in is not configured on this server"
        ) from exc


def caller(request: Request, context: Context) -> Identity:
    """FastAPI dependency: the verified caller, a partner or an operator.

    The operator token (``PA_OPERATOR_TOKEN``) passes as an operator; anything else
    must be a valid access token.
    """
    token = bearer_token(request)
    if is_operator_token(token, context.settings):
        return Identity(subject="operator", role="operator", channel="api")
    return verified_bearer(token, context)


Caller = Annotated[Identity, Depends(caller)]
