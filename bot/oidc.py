"""OpenID Connect sign-in with the company's identity provider, for the assistant's page.

Authorization code flow with PKCE (S256), done by Authlib's Starlette client: discovery
from ``PA_OIDC_ISSUER/.well-known/openid-configuration``, the authorization address
with ``state``, ``nonce`` and the code challenge, the code exchanged with the code
verifier, and the ID token verified against the provider's JWKS (signature, ``iss`` =
the configured issuer, ``aud`` = our client id, ``exp``, ``iat``, ``nonce``, ``at_hash``).

Nothing of a pending sign-in is kept in the server's memory, so any app process can
take the callback: ``state``, ``nonce`` and the code verifier travel in a sealed cookie
(``LOGIN_COOKIE``: HMAC-signed with a key derived from ``PA_JWT_SECRET``, HttpOnly,
SameSite=Lax, ten minutes, only sent to the callback). The callback accepts only the
``state`` of that cookie, so nobody can finish a sign-in this browser did not start.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from joserfc.errors import JoseError
from starlette.datastructures import State

from settings import Settings

logger = logging.getLogger(__name__)

# Authlib's HTTP client is httpx2 where that is installed (huggingface_hub brings it),
# httpx otherwise: either one's failures mean the provider could not be reached.
try:
    import httpx2

    _HTTP_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:  # pragma: no cover - httpx2 is in the lock file
    _HTTP_ERRORS = (httpx.HTTPError,)

SCOPES = "openid email profile"
CALLBACK_PATH = "/v1/auth/oidc/callback"
HTTP_TIMEOUT_SECONDS = 10.0
ID_TOKEN_LEEWAY_SECONDS = 60
LOGIN_COOKIE = "pa_oidc_login"
LOGIN_SECONDS = 600
_SEAL_ALGORITHM = "HS256"
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")

UNAVAILABLE = "company sign-in is not available right now; try again in a minute"


class OidcSignInError(Exception):
    """A company sign-in that did not succeed; ``reason`` is fit to show the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PendingLogin:
    """What the callback needs from the start of the same browser's sign-in."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


def _seal_key(settings: Settings) -> bytes:
    # Its own key, derived from the token secret: a sealed cookie never passes for a token.
    return hmac.new(settings.jwt_secret.encode(), b"pa-oidc-cookies", hashlib.sha256).digest()


def seal(settings: Settings, purpose: str, content: dict[str, Any], seconds: int) -> str:
    """Sign ``content`` for a cookie of ``purpose`` that expires after ``seconds``."""
    now = dt.datetime.now(dt.timezone.utc)
    claims = {**content, "aud": purpose, "exp": now + dt.timedelta(seconds=seconds)}
    return jwt.encode(claims, _seal_key(settings), algorithm=_SEAL_ALGORITHM)


def unseal(settings: Settings, purpose: str, value: str | None) -> dict[str, Any] | None:
    """Return a sealed cookie's content, or None when missing, forged, expired or not ours."""
    if not value:
        return None
    try:
        content: dict[str, Any] = jwt.decode(
            value, _seal_key(settings), algorithms=[_SEAL_ALGORITHM], audience=purpose
        )
    except jwt.InvalidTokenError:
        return None
    return content


def pending_login(settings: Settings, cookie: str | None) -> PendingLogin | None:
    """Read the login cookie back; None when it is missing, forged or expired."""
    content = unseal(settings, LOGIN_COOKIE, cookie)
    fields = ("state", "nonce", "code_verifier", "redirect_uri")
    if content is None or not all(isinstance(content.get(name), str) for name in fields):
        return None
    return PendingLogin(*(content[name] for name in fields))


def sealed_login(settings: Settings, login: PendingLogin) -> str:
    """Return the login cookie's value for ``login``."""
    content = {
        "state": login.state,
        "nonce": login.nonce,
        "code_verifier": login.code_verifier,
        "redirect_uri": login.redirect_uri,
    }
    return seal(settings, LOGIN_COOKIE, content, LOGIN_SECONDS)


def redirect_uri(settings: Settings, request_base_url: str) -> str:
    """Return the callback address registered at the provider (``PA_OIDC_REDIRECT_URL``)."""
    if settings.oidc_redirect_url.strip():
        return settings.oidc_redirect_url.strip()
    base = settings.public_url.strip() or request_base_url
    return base.rstrip("/") + CALLBACK_PATH


def _issuer(settings: Settings) -> str:
    return settings.oidc_issuer.strip().rstrip("/")


def provider(state: State, settings: Settings) -> StarletteOAuth2App:
    """Return the app's client of the configured provider (it caches the discovery)."""
    key = (_issuer(settings), settings.oidc_client_id, settings.oidc_client_secret)
    cached: tuple[tuple[str, str, str], StarletteOAuth2App] | None = getattr(
        state, "oidc_provider", None
    )
    if cached is not None and cached[0] == key:
        return cached[1]
    registry = OAuth()
    client: StarletteOAuth2App = registry.register(
        "company",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        server_metadata_url=f"{_issuer(settings)}/.well-known/openid-configuration",
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "timeout": HTTP_TIMEOUT_SECONDS,
        },
    )
    state.oidc_provider = (key, client)
    return client


async def begin(
    settings: Settings, client: StarletteOAuth2App, callback: str
) -> tuple[str, PendingLogin]:
    """Return the provider's authorization address and what the callback will need.

    Raises:
        OidcSignInError: The provider cannot be reached or describes another issuer.

    """
    try:
        metadata = await client.load_server_metadata()
        if str(metadata.get("issuer", "")).rstrip("/") != _issuer(settings):
            logger.error(
                "company sign-in: the discovery document names issuer %r, not %r",
                metadata.get("issuer"),
                _issuer(settings),
            )
            client.server_metadata.clear()
            raise OidcSignInError(UNAVAILABLE)
        started = await client.create_authorization_url(callback)
    except (*_HTTP_ERRORS, ValueError, AuthlibBaseError, RuntimeError) as exc:
        client.server_metadata.clear()  # discover afresh next time
        logger.error("company sign-in: the provider %s failed: %r", _issuer(settings), exc)
        raise OidcSignInError(UNAVAILABLE) from exc
    login = PendingLogin(started["state"], started["nonce"], started["code_verifier"], callback)
    return str(started["url"]), login


async def finish(
    settings: Settings,
    client: StarletteOAuth2App,
    login: PendingLogin | None,
    query: dict[str, str],
) -> dict[str, Any]:
    """Check the callback against ``login``, redeem the code and verify the ID token.

    Returns:
        The ID token's verified claims.

    Raises:
        OidcSignInError: With the reason to show.

    """
    if query.get("error"):
        # An OAuth error code (RFC 6749: "access_denied"); anything else is not shown.
        error = query["error"] if _ERROR_CODE.fullmatch(query["error"]) else "unknown error"
        logger.info("company sign-in refused by the provider: %s", error)
        raise OidcSignInError(f"the company sign-in was cancelled or refused ({error})")
    if login is None:
        raise OidcSignInError(
            "the company sign-in took too long or was started elsewhere; please start again"
        )
    if not hmac.compare_digest(query.get("state", ""), login.state):
        logger.warning("company sign-in: the callback's state is not this browser's")
        raise OidcSignInError("the company sign-in does not belong to this browser; start again")
    if not query.get("code"):
        raise OidcSignInError("the provider sent no authorization code; please start again")
    try:
        token = await client.fetch_access_token(
            redirect_uri=login.redirect_uri,
            code=query["code"],
            code_verifier=login.code_verifier,
        )
        if "id_token" not in token:
            raise OidcSignInError("the provider sent no ID token; is the openid scope allowed?")
        claims = await client.parse_id_token(
            token,
            nonce=login.nonce,
            claims_options={
                "iss": {"essential": True, "value": _issuer(settings)},
                "aud": {"essential": True, "value": settings.oidc_client_id},
            },
            leeway=ID_TOKEN_LEEWAY_SECONDS,
        )
    except (JoseError, AuthlibBaseError, ValueError) as exc:
        logger.warning("company sign-in: the provider's answer is not valid: %r", exc)
        raise OidcSignInError(
            "the company sign-in could not be verified; please start again"
        ) from exc
    except _HTTP_ERRORS as exc:
        logger.error("company sign-in: the provider %s failed: %r", _issuer(settings), exc)
        raise OidcSignInError(UNAVAILABLE) from exc
    return dict(claims)


def verified_email(claims: dict[str, Any]) -> str:
    """Return the e-mail that names the person, from verified ID-token claims.

    Raises:
        OidcSignInError: No e-mail, or the provider says it is not verified.

    """
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise OidcSignInError("your company account shares no e-mail address with the assistant")
    if claims.get("email_verified") is False:
        raise OidcSignInError("your company account's e-mail address is not verified")
    return email.strip()
