"""Partner API (``/v1/partners``): a partner's status and course recommendations.

``/v1/partners/me/...`` answers for the signed-in partner. ``/v1/partners/{id}/...``
answers for operator accounts (a JWT with the ``operator`` or ``program_manager``
role) and for a partner asking about itself; any other partner gets 403.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from bot.deps import Caller, Context
from partners.context import PartnerContext
from partners.identity import Identity
from partners.models import Partner
from partners.recommender import MAX_LIMIT, recommend
from partners.snapshot import load_snapshot
from partners.status import partner_status, recommendation_sample_figures

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/partners", tags=["partners"])

PartnerId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,16}$", examples=["P-0001"])]


class RecommendationOut(BaseModel):
    """One recommended course."""

    course_id: str
    title: str
    hours: float
    level: str
    delivery: str
    counts_toward: list[str]
    gap_credits: int
    voucher_eligible: bool
    voucher_covered: bool
    prerequisite_for: str | None
    goal_match: bool
    explanation: str


class RecommendationsOut(BaseModel):
    """Recommended courses, in the order to take them."""

    partner_id: str
    next_tier: str | None
    goal: str | None
    items: list[RecommendationOut]
    targets: list[dict[str, Any]]
    vouchers_available: int
    notes: list[str]
    sample_figures: list[str] = Field(
        default_factory=list,
        description="Figure paths the recommendation rests on that are sample values "
        "(docs/data.md, 'Where figures come from'); empty when none.",
    )


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many courses to pick.")]
Goal = Annotated[str | None, Query(max_length=300, description='e.g. "get into AI"')]


def _own_id(identity: Identity) -> str:
    if identity.partner_id is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "operators have no partner record of their own; use /v1/partners/{id}/...",
        )
    return identity.partner_id


def _allowed_id(identity: Identity, partner_id: str) -> str:
    partner_id = partner_id.upper()
    if not identity.is_operator and identity.partner_id != partner_id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "a partner may only read its own status and recommendations"
        )
    return partner_id


def _status(context: PartnerContext, partner_id: str) -> dict[str, Any]:
    with context.session() as session:
        found = partner_status(session, context.catalogue, partner_id, context.today())
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no partner {partner_id}")
    return found.as_dict(context.catalogue)


def _recommendations(
    context: PartnerContext, partner_id: str, limit: int, goal: str | None
) -> RecommendationsOut:
    with context.session() as session:
        snapshot = load_snapshot(session, partner_id, context.today())
        found = partner_status(session, context.catalogue, partner_id, context.today())
    if snapshot is None or found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no partner {partner_id}")
    result = recommend(context.catalogue, snapshot, limit=limit, goal=goal)
    return RecommendationsOut(
        partner_id=partner_id,
        next_tier=found.next_tier,
        goal=result.goal,
        items=[
            RecommendationOut.model_validate(item, from_attributes=True) for item in result.items
        ],
        targets=[
            {
                "competency_id": t.competency_id,
                "name": t.name,
                "required_credits": t.required_credits,
                "remaining_credits": t.remaining,
                "reason": t.reason,
            }
            for t in result.targets
        ],
        vouchers_available=result.vouchers_available,
        notes=result.notes,
        sample_figures=list(recommendation_sample_figures(context.catalogue, found)),
    )


class SampleDataOut(BaseModel):
    """Whether this installation still holds the fictitious sample partners."""

    sample_partners: int = Field(
        description="How many sample partners the store holds; 0 once the office's "
        "records replaced them (the sign-in page shows its sample note only above 0)."
    )


@router.get("/sample-data")
def sample_data(context: Context) -> SampleDataOut:
    """Say whether sample partners exist (no sign-in needed; no partner data in it)."""
    with context.session() as session:
        count = session.scalar(
            select(func.count()).select_from(Partner).where(Partner.source == "sample")
        )
    return SampleDataOut(sample_partners=count or 0)


@router.get("/me/status")
def my_status(identity: Caller, context: Context) -> dict[str, Any]:
    """Return the signed-in partner's tier, next tier, gap, deadline, vouchers, credits."""
    return _status(context, _own_id(identity))


@router.get("/me/recommendations")
def my_recommendations(
    identity: Caller, context: Context, limit: Limit = 3, goal: Goal = None
) -> RecommendationsOut:
    """Courses that close the signed-in partner's gap fastest (optionally toward a goal)."""
    return _recommendations(context, _own_id(identity), limit, goal)


@router.get("/{partner_id}/status")
def partner_status_by_id(
    partner_id: PartnerId, identity: Caller, context: Context
) -> dict[str, Any]:
    """Return a partner's status: operators for anyone, partners only for themselves."""
    return _status(context, _allowed_id(identity, partner_id))


@router.get("/{partner_id}/recommendations")
def partner_recommendations_by_id(
    partner_id: PartnerId, identity: Caller, context: Context, limit: Limit = 3, goal: Goal = None
) -> RecommendationsOut:
    """Return a partner's recommendations: operators for anyone, partners for themselves."""
    return _recommendations(context, _allowed_id(identity, partner_id), limit, goal)
