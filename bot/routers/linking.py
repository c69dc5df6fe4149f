"""Account linking API: a signed-in partner links or unlinks chat identities.

The assistant gives an unlinked Slack user a one-time link to ``/link?code=...``;
the web page shows what the code would link (``GET /v1/links/pending``) and, once
the partner confirms, redeems it (``POST /v1/links``). The account screen lists the
partner's links and removes them (``DELETE /v1/links/{id}``). Looking up and redeeming
codes is rate limited per client address and per partner (``bot.rate_limits``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.deps import Context
from bot.rate_limits import client_address, rate_limits
from bot.routers.auth import SignedIn, signed_in_partner
from partners import linking

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/links", tags=["account linking"])
# Ids are database integers: a larger number names no link (and SQLite cannot take it).
MAX_ID = 2**31 - 1


class PendingLinkOut(BaseModel):
    """What a link code would link."""

    channel: str
    external_user_id: str
    team_id: str | None
    expires_at: dt.datetime


class LinkIn(BaseModel):
    """The confirmation of a link code."""

    code: str = Field(min_length=1, max_length=200)


class LinkOut(BaseModel):
    """A chat identity linked to the signed-in partner."""

    id: int
    channel: str
    external_user_id: str
    team_id: str | None
    linked_at: dt.datetime


def _db(context: Context) -> Iterator[Session]:
    with context.session() as session:
        yield session


async def link_code_quota(
    request: Request, signed: Annotated[SignedIn, Depends(signed_in_partner)]
) -> SignedIn:
    """FastAPI dependency: the partner's sign-in, counted against the link-code limits.

    Raises:
        RateLimitedError: 429 with ``Retry-After``.

    """
    limiter = rate_limits(request)
    await limiter.hit(limiter.rules.link_address, client_address(request))
    await limiter.hit(limiter.rules.link_account, signed.subject)
    return signed


def _link_out(link: linking.LinkedIdentity) -> LinkOut:
    return LinkOut(
        id=link.id,
        channel=link.channel,
        external_user_id=link.external_user_id,
        team_id=link.team_id,
        linked_at=link.linked_at,
    )


@router.get("/pending")
def pending(
    code: Annotated[str, Query(min_length=1, max_length=200)],
    _signed: Annotated[SignedIn, Depends(link_code_quota)],
    db: Annotated[Session, Depends(_db)],
) -> PendingLinkOut:
    """Show what ``code`` would link, without using it.

    Raises:
        HTTPException: 410 when the code is unknown, used or expired.

    """
    try:
        found = linking.pending_link(db, code)
    except linking.LinkCodeError as exc:
        raise HTTPException(status.HTTP_410_GONE, str(exc)) from exc
    return PendingLinkOut(
        channel=found.channel,
        external_user_id=found.external_user_id,
        team_id=found.team_id,
        expires_at=found.expires_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def confirm(
    body: LinkIn,
    signed: Annotated[SignedIn, Depends(link_code_quota)],
    db: Annotated[Session, Depends(_db)],
) -> LinkOut:
    """Link the code's chat identity to the signed-in partner.

    Raises:
        HTTPException: 410 when the code is unknown, used or expired.

    """
    try:
        link = linking.redeem_link_code(db, body.code, signed.subject)
    except linking.LinkCodeError as exc:
        raise HTTPException(status.HTTP_410_GONE, str(exc)) from exc
    db.commit()
    logger.info("linked %s user %s to %s", link.channel, link.external_user_id, link.partner_id)
    return _link_out(link)


@router.get("")
def my_links(
    signed: Annotated[SignedIn, Depends(signed_in_partner)],
    db: Annotated[Session, Depends(_db)],
) -> list[LinkOut]:
    """List the chat identities linked to the signed-in partner."""
    return [_link_out(link) for link in linking.links_of_partner(db, signed.subject)]


@router.delete("/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
def unlink(
    link_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    signed: Annotated[SignedIn, Depends(signed_in_partner)],
    db: Annotated[Session, Depends(_db)],
) -> Response:
    """Unlink one of the signed-in partner's chat identities.

    Raises:
        HTTPException: 404 when the partner has no such link.

    """
    if not linking.unlink_for_partner(db, signed.subject, link_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"you have no linked account {link_id}")
    db.commit()
    logger.info("unlinked chat identity %s from %s", link_id, signed.subject)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
