"""Signing in and out (``/v1/auth``): access tokens, who holds one, and signing out.

This router owns ``/v1/auth``. ``POST /v1/auth/token`` exchanges a partner id or
operator e-mail for a JWT.

Partners sign in with a passcode only in the sample mode (``PA_SEED_SAMPLE_DATA``); real
partners come through the partner portal (``POST /v1/auth/portal``, the portal's
signed token: ``bot.routers.portal``) or their company account (OpenID Connect,
``/v1/auth/oidc/...``: ``bot.routers.oidc``). Both are included into this router; both
answer ``PersonTokenOut`` (``bot.access_tokens``).
``GET /v1/auth/methods`` tells the page which of these this server offers.

The form is OAuth2's password form (``username``, ``password``), so the API docs'
"Authorize" button works. A username with an ``@`` is an operator account's e-mail
(``partners.operators``): its token carries the account's role, ``operator`` or
``program_manager``. Anything else is a partner id, and its token the ``partner`` role.

A flood of bad sign-ins must not cost more than it is allowed to: attempts are counted
per client address and failures per account (``bot.rate_limits``), and passcodes are
checked on a few threads of their own with a bounded queue (``PasscodeChecker``), never
on the event loop or the thread pool that every other route shares.

Signing out (``POST /v1/auth/logout``) records the token's ``jti`` as revoked
(``partners.revoked_tokens``), so the token stops working everywhere (API and chat
actions) before it expires. ``signed_in`` and ``signed_in_partner`` are the dependencies
of routes that need the verified bearer token itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from bot.access_tokens import TokenOut, signed_token
from bot.api_errors import documented
from bot.deps import Context, bearer_token, verified_bearer
from bot.rate_limits import client_address, rate_limits
from bot.routers import oidc, portal
from partners.auth import PasscodeChecker, PasscodeCheckerBusyError, Role, verify_token
from partners.context import PartnerContext
from partners.models import Partner
from partners.operators import active_role, find_operator, looks_like_email, normalise_email
from partners.revoked_tokens import revoke
from settings import Settings, get_settings

logger = logging.getLogger(__name__)

# Every sign-in, under one prefix. bot.main adds what they all answer (401, 429, 503);
# each route here, and each included router below, adds what only it answers.
router = APIRouter(prefix="/v1/auth", tags=["auth"])

_WRONG = "unknown partner id or wrong passcode"
_WRONG_OPERATOR = "unknown operator account or wrong passcode"
BUSY = "too many sign-ins at once; try again in a second"
PASSCODE_SAMPLE_ONLY = (
    "partners sign in with a passcode only on the sample installation: "
    "sign in through the partner portal or your company account"
)
BUSY_RETRY_AFTER_SECONDS = 1


class MethodsOut(BaseModel):
    """The ways to sign in that this server offers."""

    passcode_for_partners: bool
    company_account: bool
    portal: bool


def passcode_checker(request: Request) -> PasscodeChecker:
    """Return the app's passcode checker: own threads, a bounded queue (one per app)."""
    checker: PasscodeChecker | None = getattr(request.app.state, "passcode_checker", None)
    if checker is None:
        settings = rate_limits(request).settings
        checker = PasscodeChecker(settings.signin_hash_workers, settings.signin_hash_queue)
        request.app.state.passcode_checker = checker
    return checker


def _stored_hash(context: PartnerContext, subject: str) -> str | None:
    with context.session() as session:
        partner = session.get(Partner, subject) if subject else None
        return partner.passcode_hash if partner else None


def _record_source(context: PartnerContext, partner_id: str) -> str | None:
    with context.session() as session:
        partner = session.get(Partner, partner_id)
        return partner.source if partner else None


def _stored_operator_hash(context: PartnerContext, email: str) -> str | None:
    # A disabled account has no usable hash: it fails like a wrong passcode, same cost.
    with context.session() as session:
        operator = find_operator(session, email)
        return operator.passcode_hash if operator and not operator.disabled else None


def _operator_role(context: PartnerContext, email: str) -> Role | None:
    with context.session() as session:
        return active_role(session, email)


@router.post("/token", responses=documented(400, 422))
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    context: Context,
) -> TokenOut:
    """Sign in and get a bearer token: a partner id (e.g. ``P-0001``) or an operator's e-mail.

    Raises:
        HTTPException: 401 for an unknown account or a wrong passcode; 429 when the
            client address or the account has tried too often; 503 when too many
            sign-ins wait for a passcode check, the partner store is down, or the
            server has no token signing key.

    """
    settings = context.settings
    username = form.username.strip()
    is_operator = looks_like_email(username)
    subject = normalise_email(username) if is_operator else username.upper()
    limiter = rate_limits(request)
    await limiter.hit(limiter.rules.sign_in_address, client_address(request))
    await limiter.check(limiter.rules.sign_in_failures_account, subject)
    if not is_operator and not settings.seed_sample_data:
        raise _unauthorised(PASSCODE_SAMPLE_ONLY)
    role: Role | None = "partner"
    load = partial(_stored_operator_hash if is_operator else _stored_hash, context, subject)
    passcode_ok = await _check_passcode(request, form.password, load)
    if passcode_ok and is_operator:
        # Read after the check, so an account disabled meanwhile gets no token.
        role = await asyncio.to_thread(_operator_role, context, subject)
    if not passcode_ok or role is None:
        logger.info("failed sign-in for %r", subject[:40])
        await limiter.hit(limiter.rules.sign_in_failures_account, subject)
        raise _unauthorised(_WRONG_OPERATOR if is_operator else _WRONG)
    source = None if is_operator else await asyncio.to_thread(_record_source, context, subject)
    return signed_token(subject, role, settings, record_source=source)


async def _check_passcode(
    request: Request, passcode: str, load_stored: Callable[[], str | None]
) -> bool:
    """Whether ``passcode`` matches what ``load_stored`` reads; an unknown account costs the same.

    A partner-store failure is left to the app's handler (``bot.api_errors``): 503.
    """
    try:
        return await passcode_checker(request).verify(passcode, load_stored)
    except PasscodeCheckerBusyError as exc:
        logger.warning("sign-in refused: %s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            BUSY,
            headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        ) from exc


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, reason, headers={"WWW-Authenticate": "Bearer"}
    )


@router.get("/methods", responses=documented(400, 422))
async def methods(settings: Annotated[Settings, Depends(get_settings)]) -> MethodsOut:
    """Which sign-ins this server offers, for the sign-in page."""
    return MethodsOut(
        passcode_for_partners=settings.seed_sample_data,
        company_account=settings.oidc_configured,
        portal=settings.portal_sign_in_configured,
    )


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


def signed_in_partner(caller: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
    """FastAPI dependency: like ``signed_in``, but only partners' own tokens pass.

    Raises:
        HTTPException: 403 for an operator's token.

    """
    if caller.role != "partner":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a partner's own sign-in can do this")
    return caller


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=documented(400))
def logout(caller: Annotated[SignedIn, Depends(signed_in)], context: Context) -> Response:
    """Sign out: the bearer token is refused from now on, by the API and by the chat.

    Raises:
        HTTPException: 400 for a token without an id (``jti``), which cannot be revoked.

    """
    claims = verify_token(caller.token, context.settings)
    if not claims.token_id:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "this token has no id (jti), so it cannot be signed out"
        )
    revoke(
        context.engine,
        claims.token_id,
        claims.subject,
        claims.expires_at,
    )
    logger.info("signed out %s (token %s...)", claims.subject, claims.token_id[:6])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# The portal's hand-over and the company sign-in: their routes, this router's prefix.
router.include_router(portal.router, responses=documented(400, 422))
router.include_router(oidc.router)
