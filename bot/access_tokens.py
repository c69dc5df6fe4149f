"""The answer of every sign-in: an access token, and for a person also their name.

The three ways in under ``/v1/auth`` (``bot.routers.auth``: the passcode form, the
portal's hand-over in ``bot.routers.portal``, the company account in
``bot.routers.oidc``) answer with these models and sign with ``signed_token``. They live
below the routers because ``bot.routers.auth`` includes the other two.
"""

from __future__ import annotations

import logging

from fastapi import HTTPException, status
from pydantic import BaseModel

from partners.auth import MissingSecretError, Role, issue_token
from partners.models import Person
from settings import Settings

logger = logging.getLogger(__name__)

NOT_CONFIGURED = "sign-in is not configured on this server"


class TokenOut(BaseModel):
    """An access token for the ``Authorization: Bearer`` header."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: Role
    subject: str


class PersonOut(BaseModel):
    """The person of the partner who signed in."""

    name: str


class PersonTokenOut(TokenOut):
    """An access token for a person's sign-in (portal or company account)."""

    person: PersonOut


def signed_token(
    subject: str, role: Role, settings: Settings, record_source: str | None = None
) -> TokenOut:
    """Sign ``subject``'s access token (``partners.auth.issue_token``) as the API answers it.

    Raises:
        HTTPException: 503 when the server has no token signing key.

    """
    try:
        access_token, lifetime = issue_token(subject, role, settings, record_source=record_source)
    except MissingSecretError as exc:
        logger.error("cannot sign access tokens: %s", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, NOT_CONFIGURED) from exc
    return TokenOut(access_token=access_token, expires_in=lifetime, role=role, subject=subject)


def person_token(settings: Settings, person: Person) -> PersonTokenOut:
    """Issue the partner's access token for a verified person (portal, company account).

    Raises:
        HTTPException: 503 when the server has no token signing key.

    """
    partner = person.partner
    token = signed_token(partner.id, "partner", settings, record_source=partner.source)
    return PersonTokenOut(**token.model_dump(), person=PersonOut(name=person.name))
