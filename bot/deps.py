"""FastAPI dependencies shared by the routers: the partner context and the caller's identity.

Every route that needs to know who is calling goes through ``verified_bearer`` here, so
the rules for a missing, forged, expired or signed-out token live in one place.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from partners.auth import InvalidTokenError, MissingSecretError
from partners.context import PartnerContext, context_for
from partners.identity import Identity, identity_from_token
from settings import Settings, get_settings

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
    """FastAPI dependency: the verified caller, a partner or an operator account."""
    return verified_bearer(bearer_token(request), context)


Caller = Annotated[Identity, Depends(caller)]

OPERATORS_ONLY = "only operators of the program office may do this"
PROGRAM_MANAGERS_ONLY = "only a program manager of the program office may do this"


def operator_caller(identity: Caller) -> Identity:
    """FastAPI dependency: an operator account of any role; partners get 403.

    Raises:
        HTTPException: 401 without a valid token, 403 for a partner's token.

    """
    if not identity.is_operator:
        raise HTTPException(status.HTTP_403_FORBIDDEN, OPERATORS_ONLY)
    return identity


OperatorCaller = Annotated[Identity, Depends(operator_caller)]


def program_manager(identity: OperatorCaller) -> Identity:
    """FastAPI dependency: a program manager; other operators and partners get 403.

    Raises:
        HTTPException: 401 without a valid token, 403 for anyone else.

    """
    if not identity.is_program_manager:
        raise HTTPException(status.HTTP_403_FORBIDDEN, PROGRAM_MANAGERS_ONLY)
    return identity


ProgramManager = Annotated[Identity, Depends(program_manager)]
