"""Who a partner-portal user is: the portal's signed token, checked, and the person behind it.

The partner portal signs a short-lived JWT for its signed-in user and the chat widget
hands it to the assistant (``POST /v1/auth/portal``, docs/security.md). It is trusted
only when all of these hold:

- it is signed with RS256 or ES256 (never HS256 or ``none``) by a key the portal
  publishes in its JWKS (``partners.portal_keys``), the key's algorithm matching;
- ``iss`` is the portal, ``aud`` names this assistant, ``exp`` has not passed and
  ``iat`` is not in the future (``LEEWAY_SECONDS`` either way for clock skew), it
  lives at most ``MAX_LIFETIME_SECONDS``, and ``sub`` names the user.

The user is then matched to a person of the program (``linked_person``): ``sub`` is the
portal's user id, which is the office's CRM contact id in ``people.external_id``; a
portal without CRM ids sends the e-mail instead. Failing that, the ``email`` claim
(or an e-mail ``sub``) matches ``people.email`` regardless of case, but only when
exactly one person has it: a shared address names nobody for sure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from partners.models import Person
from partners.operators import looks_like_email
from partners.portal_keys import ALLOWED_ALGORITHMS, PortalKeys, UnknownKeyError

LEEWAY_SECONDS = 30
MAX_LIFETIME_SECONDS = 3600
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]

NOT_LINKED = "this portal user is not linked to a partner of the program"


class PortalTokenError(Exception):
    """A portal token that must not be trusted; ``reason`` says why, for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AmbiguousPersonError(Exception):
    """More than one person of the program has the e-mail that was to identify one."""


@dataclass(frozen=True)
class PortalUser:
    """The verified claims of a portal token."""

    subject: str
    email: str | None
    name: str | None


async def verify_portal_token(
    token: str, keys: PortalKeys, *, issuer: str, audience: str
) -> PortalUser:
    """Check a portal token's signature and claims (see the module docstring).

    Raises:
        PortalTokenError: The token must not be trusted; the reason says why.
        partners.portal_keys.PortalKeysUnavailableError: The portal's keys cannot be
            fetched now.

    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise PortalTokenError("the portal token is not a signed JWT") from exc
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        shown = str(algorithm)[:20]
        raise PortalTokenError(f"the portal token must be signed with RS256 or ES256, not {shown}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise PortalTokenError("the portal token names no signing key (kid)")
    try:
        key = await keys.key_for(kid)
    except UnknownKeyError as exc:
        raise PortalTokenError(
            "the portal token is signed with a key the portal does not publish"
        ) from exc
    if key.algorithm_name != algorithm:
        raise PortalTokenError(f"the portal's key {kid[:40]} is not an {algorithm} key")
    claims = _checked_claims(token, key.key, algorithm, issuer=issuer, audience=audience)
    if int(claims["exp"]) - int(claims["iat"]) > MAX_LIFETIME_SECONDS:
        raise PortalTokenError("the portal token lives too long: at most an hour is accepted")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.strip():
        raise PortalTokenError("the portal token names no user (sub)")
    email, name = claims.get("email"), claims.get("name")
    return PortalUser(
        subject=subject.strip(),
        email=email.strip() if isinstance(email, str) and email.strip() else None,
        name=name if isinstance(name, str) else None,
    )


def _checked_claims(
    token: str, key: Any, algorithm: str, *, issuer: str, audience: str
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=issuer,
            audience=audience,
            leeway=LEEWAY_SECONDS,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise PortalTokenError("the portal token has expired; the portal signs a new one") from exc
    except jwt.ImmatureSignatureError as exc:
        raise PortalTokenError("the portal token is issued in the future") from exc
    except jwt.InvalidIssuerError as exc:
        raise PortalTokenError("the portal token was not issued by the partner portal") from exc
    except jwt.InvalidAudienceError as exc:
        raise PortalTokenError("the portal token is not meant for this assistant (aud)") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise PortalTokenError(f"the portal token has no {exc.claim} claim") from exc
    except jwt.InvalidSignatureError as exc:
        raise PortalTokenError("the portal token's signature is not valid") from exc
    except jwt.InvalidTokenError as exc:
        raise PortalTokenError(f"the portal token is not valid: {str(exc)[:80]}") from exc
    return claims


def linked_person(session: Session, *, external_id: str | None, email: str | None) -> Person | None:
    """Return the person with this CRM contact id, else the only one with this e-mail.

    Raises:
        AmbiguousPersonError: No person has the id and several have the e-mail.

    """
    if external_id:
        person = session.scalar(select(Person).where(Person.external_id == external_id))
        if person is not None:
            return person
    if not email:
        return None
    matches = session.scalars(
        select(Person).where(func.lower(Person.email) == email.strip().lower()).limit(2)
    ).all()
    if len(matches) > 1:
        raise AmbiguousPersonError(email)
    return matches[0] if matches else None


def portal_person(session: Session, user: PortalUser) -> Person | None:
    """Return the person a verified portal user is (see ``linked_person``), or None.

    Raises:
        AmbiguousPersonError: Several people share the e-mail that was to identify one.

    """
    email = user.email or (user.subject if looks_like_email(user.subject) else None)
    return linked_person(session, external_id=user.subject, email=email)
