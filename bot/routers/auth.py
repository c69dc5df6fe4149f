"""Sign-in: ``POST /v1/auth/token`` exchanges a partner id and passcode for a JWT.

The form is OAuth2's password form (``username``, ``password``), so the API docs'
"Authorize" button works. Operators sign in with the username ``operator`` and the
operator token as password, and get a token with the ``operator`` role.

A flood of bad sign-ins must not cost more than it is allowed to: attempts are counted
per client address and failures per partner id (``bot.rate_limits``), and passcodes are
checked on a few threads of their own with a bounded queue (``PasscodeChecker``), never
on the event loop or the thread pool that every other route shares.
"""

from __future__ import annotations

import hmac
import logging
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy.orm import Session

from bot.rate_limits import client_address, rate_limits
from bot.settings import Settings, get_settings
from partners.auth import (
    MissingSecretError,
    PasscodeChecker,
    PasscodeCheckerBusyError,
    Role,
    is_operator_token,
    issue_token,
)
from partners.db import engine_for
from partners.models import Partner

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/auth", tags=["auth"])

OPERATOR_USERNAME = "operator"
_WRONG = "unknown partner id or wrong passcode"
BUSY = "too many sign-ins at once; try again in a second"
BUSY_RETRY_AFTER_SECONDS = 1


class TokenOut(BaseModel):
    """An access token for the ``Authorization: Bearer`` header."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: Role
    subject: str


def passcode_checker(request: Request) -> PasscodeChecker:
    """Return the app's passcode checker: own threads, a bounded queue (one per app)."""
    checker: PasscodeChecker | None = getattr(request.app.state, "passcode_checker", None)
    if checker is None:
        settings = rate_limits(request).settings
        checker = PasscodeChecker(settings.signin_hash_workers, settings.signin_hash_queue)
        request.app.state.passcode_checker = checker
    return checker


def _stored_hash(settings: Settings, subject: str) -> str | None:
    with Session(engine_for(settings.effective_database_url)) as session:
        partner = session.get(Partner, subject) if subject else None
        return partner.passcode_hash if partner else None


@router.post("/token")
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    settings: Annotated[Settings, Depends(get_settings)],
) -> TokenOut:
    """Sign in with a partner id (e.g. ``P-0001``) and passcode; get a bearer token.

    Raises:
        HTTPException: 401 for an unknown id or a wrong passcode; 429 when the client
            address or the partner id has tried too often; 503 when too many sign-ins
            wait for a passcode check, the partner store is down, or the server has no
            token signing key.

    """
    username = form.username.strip()
    is_operator = hmac.compare_digest(username.lower().encode(), OPERATOR_USERNAME.encode())
    subject = OPERATOR_USERNAME if is_operator else username.upper()
    limiter = rate_limits(request)
    await limiter.hit(limiter.rules.sign_in_address, client_address(request))
    await limiter.check(limiter.rules.sign_in_failures_account, subject)
    role: Role
    if is_operator:
        signed_in = is_operator_token(form.password, settings)
        role = "operator"
    else:
        signed_in = await _check_partner_passcode(request, settings, subject, form.password)
        role = "partner"
    if not signed_in:
        logger.info("failed sign-in for %r", subject[:20])
        await limiter.hit(limiter.rules.sign_in_failures_account, subject)
        raise _unauthorised()
    try:
        access_token, lifetime = issue_token(subject, role, settings)
    except MissingSecretError as exc:
        logger.error("cannot sign access tokens: %s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "sign-in is not configured on this server"
        ) from exc
    return TokenOut(access_token=access_token, expires_in=lifetime, role=role, subject=subject)


async def _check_partner_passcode(
    request: Request, settings: Settings, subject: str, passcode: str
) -> bool:
    """Whether ``passcode`` is ``subject``'s; an unknown partner costs the same hash.

    A partner-store failure is left to the app's handler (``bot.api_errors``): 503.
    """
    try:
        return await passcode_checker(request).verify(
            passcode, partial(_stored_hash, settings, subject)
        )
    except PasscodeCheckerBusyError as exc:
        logger.warning("sign-in refused: %s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            BUSY,
            headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        ) from exc


def _unauthorised() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, _WRONG, headers={"WWW-Authenticate": "Bearer"}
    )
