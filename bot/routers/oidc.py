"""Company-account sign-in on the assistant's page: ``/v1/auth/oidc/...`` (``bot.oidc``).

1. ``GET /v1/auth/oidc/login``: the page's "Sign in with your company account" link;
   redirects to the provider and sets the sealed login cookie.
2. ``GET /v1/auth/oidc/callback``: the provider sends the browser back here; the code is
   redeemed, the ID token verified and its e-mail matched to one person of the program.
   The outcome goes into a second sealed cookie, ``SIGN_IN_COOKIE``, and the browser to
   ``/#oidc``.
3. ``POST /v1/auth/oidc/session``: the page, back at ``/``, exchanges that cookie for
   the access token (the same answer as ``POST /v1/auth/portal``) or the reason it failed.

Why not hand the access token over in the address: a token in a query string ends up
in server and proxy logs, and one in a fragment in the browser's history. This cookie
holds no token, only who signed in (or why not), for two minutes; it is HttpOnly,
SameSite=Strict (no other site's request carries it), sent only to the exchange, and
deleted by it; the token is issued by the exchange, into the page's own script.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from bot import oidc
from bot.access_tokens import PersonTokenOut, person_token
from bot.deps import Context
from bot.rate_limits import client_address, rate_limits
from partners.context import PartnerContext
from partners.models import Person
from partners.portal_identity import AmbiguousPersonError, linked_person
from settings import Settings, get_settings

logger = logging.getLogger(__name__)

# Included into bot.routers.auth, which owns the /v1/auth prefix and the tag.
router = APIRouter(prefix="/oidc")

SIGN_IN_COOKIE = "pa_oidc_sign_in"
SIGN_IN_SECONDS = 120
SESSION_PATH = "/v1/auth/oidc/session"
PAGE_AFTER_SIGN_IN = "/#oidc"
OIDC_OFF = "company sign-in is not configured"
NO_PERSON = "your company account is not linked to a partner of the program"
NOTHING_WAITING = (
    "no company sign-in is waiting: start again with 'Sign in with your company account'"
)


def _configured(settings: Annotated[Settings, Depends(get_settings)]) -> Settings:
    if not settings.oidc_configured:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, OIDC_OFF)
    return settings


Configured = Annotated[Settings, Depends(_configured)]


def _back_to_page(request: Request, settings: Settings, outcome: dict[str, object]) -> Response:
    """Send the browser to the page with the sealed outcome for the exchange."""
    response = RedirectResponse(PAGE_AFTER_SIGN_IN, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SIGN_IN_COOKIE,
        oidc.seal(settings, SIGN_IN_COOKIE, outcome, SIGN_IN_SECONDS),
        max_age=SIGN_IN_SECONDS,
        path=SESSION_PATH,
        secure=_secure(request, settings),
        httponly=True,
        samesite="strict",
    )
    response.delete_cookie(oidc.LOGIN_COOKIE, path=oidc.CALLBACK_PATH)
    return response


def _secure(request: Request, settings: Settings) -> bool:
    # Behind a TLS-terminating balancer the request itself looks like plain HTTP.
    return oidc.redirect_uri(settings, str(request.base_url)).startswith("https://")


@router.get("/login", include_in_schema=False)
async def login(request: Request, settings: Configured) -> Response:
    """Start a company sign-in: redirect to the provider's sign-in page."""
    limiter = rate_limits(request)
    await limiter.hit(limiter.rules.sign_in_address, client_address(request))
    callback = oidc.redirect_uri(settings, str(request.base_url))
    try:
        address, pending = await oidc.begin(
            settings, oidc.provider(request.app.state, settings), callback
        )
    except oidc.OidcSignInError as exc:
        return _back_to_page(request, settings, {"error": exc.reason})
    response = RedirectResponse(address, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        oidc.LOGIN_COOKIE,
        oidc.sealed_login(settings, pending),
        max_age=oidc.LOGIN_SECONDS,
        path=oidc.CALLBACK_PATH,
        secure=_secure(request, settings),
        httponly=True,
        samesite="lax",  # the provider's redirect back is a top-level navigation
    )
    return response


def _person_of(context: PartnerContext, email: str) -> dict[str, object]:
    with context.session() as session:
        try:
            person = linked_person(session, external_id=None, email=email)
        except AmbiguousPersonError:
            logger.info("company sign-in refused: several people share the account's e-mail")
            return {"error": "several people of the program have your company e-mail address"}
        if person is None:
            logger.info("company sign-in refused: the account's e-mail names no person")
            return {"error": NO_PERSON}
        logger.info("company sign-in of person %s of %s", person.id, person.partner_id)
        return {"person": person.id}


@router.get("/callback", include_in_schema=False)
async def callback(request: Request, settings: Configured, context: Context) -> Response:
    """Take the provider's redirect back: verify, find the person, return to the page."""
    limiter = rate_limits(request)
    await limiter.hit(limiter.rules.sign_in_address, client_address(request))
    pending = oidc.pending_login(settings, request.cookies.get(oidc.LOGIN_COOKIE))
    query = {name: value for name, value in request.query_params.items() if value}
    try:
        claims = await oidc.finish(
            settings, oidc.provider(request.app.state, settings), pending, query
        )
        email = oidc.verified_email(claims)
    except oidc.OidcSignInError as exc:
        return _back_to_page(request, settings, {"error": exc.reason})
    outcome = await asyncio.to_thread(_person_of, context, email)
    return _back_to_page(request, settings, outcome)


def _token_for_person(context: PartnerContext, person_id: int) -> PersonTokenOut | None:
    with context.session() as session:
        person = session.get(Person, person_id)
        return person_token(context.settings, person) if person is not None else None


@router.post("/session")
async def session(
    request: Request, response: Response, settings: Configured, context: Context
) -> PersonTokenOut:
    """Exchange this browser's finished company sign-in for the partner's access token.

    Raises:
        HTTPException: 401 with the reason when no sign-in is waiting or it failed;
            503 when company sign-in is not configured.

    """
    limiter = rate_limits(request)
    await limiter.hit(limiter.rules.sign_in_address, client_address(request))
    outcome = oidc.unseal(settings, SIGN_IN_COOKIE, request.cookies.get(SIGN_IN_COOKIE))
    person_id = outcome.get("person") if outcome else None
    if outcome is None or not isinstance(person_id, int):
        reason = str(outcome.get("error")) if outcome and outcome.get("error") else NOTHING_WAITING
        raise _refused(reason)
    answer = await asyncio.to_thread(_token_for_person, context, person_id)
    if answer is None:
        raise _refused(NO_PERSON)
    response.delete_cookie(SIGN_IN_COOKIE, path=SESSION_PATH, httponly=True, samesite="strict")
    return answer


def _refused(reason: str) -> HTTPException:
    # The cookie is spent either way: a second exchange finds nothing.
    forget = f"{SIGN_IN_COOKIE}=; Max-Age=0; Path={SESSION_PATH}; HttpOnly; SameSite=strict"
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        reason,
        headers={"WWW-Authenticate": "Bearer", "Set-Cookie": forget},
    )
