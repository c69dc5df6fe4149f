"""Sign-in: ``POST /v1/auth/token`` exchanges a partner id and passcode for a JWT.

The form is OAuth2's password form (``username``, ``password``), so the API docs'
"Authorize" button works. Operators sign in with the username ``operator`` and the
operator token as password, and get a token with the ``operator`` role.
"""

from __future__ import annotations

import hmac
import logging
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy.orm import Session

from bot.settings import Settings, get_settings
from partners.auth import (
    MissingSecretError,
    Role,
    hash_passcode,
    is_operator_token,
    issue_token,
    verify_passcode,
)
from partners.db import engine_for
from partners.models import Partner

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/auth", tags=["auth"])

OPERATOR_USERNAME = "operator"
_WRONG = "unknown partner id or wrong passcode"


@cache
def _dummy_hash() -> str:
    # Checked when the partner id is unknown, so both failures take the same time.
    return hash_passcode("not a passcode", salt=b"partner-assistant")


class TokenOut(BaseModel):
    """An access token for the ``Authorization: Bearer`` header and chat metadata."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: Role
    subject: str


@router.post("/token")
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    settings: Annotated[Settings, Depends(get_settings)],
) -> TokenOut:
    """Sign in with a partner id (e.g. ``P-0001``) and passcode; get a bearer token.

    Raises:
        HTTPException: 401 for an unknown id or a wrong passcode; 503 when the
            server has no token signing key.

    """
    username = form.username.strip()
    role: Role
    if hmac.compare_digest(username.lower().encode(), OPERATOR_USERNAME.encode()):
        if not is_operator_token(form.password, settings):
            raise _unauthorised()
        role, subject = "operator", OPERATOR_USERNAME
    else:
        subject = username.upper()
        with Session(engine_for(settings.effective_database_url)) as session:
            partner = session.get(Partner, subject) if subject else None
            stored = partner.passcode_hash if partner else None
        if not verify_passcode(form.password, stored or _dummy_hash()) or stored is None:
            logger.info("failed sign-in for %r", subject[:20])
            raise _unauthorised()
        role = "partner"
    try:
        access_token, lifetime = issue_token(subject, role, settings)
    except MissingSecretError as exc:
        logger.error("cannot sign access tokens: %s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "sign-in is not configured on this server"
        ) from exc
    return TokenOut(access_token=access_token, expires_in=lifetime, role=role, subject=subject)


def _unauthorised() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, _WRONG, headers={"WWW-Authenticate": "Bearer"}
    )
