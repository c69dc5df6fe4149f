"""A partner's standing in the program: the answer behind "what is my tier?".

Shared by the chat actions and the partner API, so both say the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from knowledge.provenance import merge, sample_figures, tier_figures
from partners.catalogue import ProgramCatalogue
from partners.snapshot import load_snapshot
from partners.tiers import (
    PartnerSnapshot,
    Requirement,
    current_tier,
    days_left,
    next_tier_gap,
    transferable_credits,
)


@dataclass(frozen=True)
class PartnerStatus:
    """Tier, the next tier's requirements, the transition deadline and resources.

    ``snapshot`` is the record it was computed from, for what else is asked of it
    (another tier's gap, recommendations, "what if").
    ``basis_sample_figures`` are the sample figures the tier itself and the deadline
    rest on; with those behind each requirement shown they make ``sample_figures``.
    """

    partner_id: str
    name: str
    country: str
    tier: str
    recorded_tier: str
    next_tier: str | None
    items: tuple[Requirement, ...]
    competencies: tuple[str, ...]
    days_left: int
    transition_end: dt.date
    vouchers_available: int
    transferable_credits: dict[str, int]
    snapshot: PartnerSnapshot = field(repr=False)
    basis_sample_figures: tuple[str, ...] = ()

    @property
    def missing(self) -> tuple[Requirement, ...]:
        """The next tier's requirements still unmet."""
        return tuple(item for item in self.items if not item.met)

    @property
    def sample_figures(self) -> tuple[str, ...]:
        """Figure paths this status states that are sample values (labelled in replies)."""
        return merge(self.basis_sample_figures, *(item.sample_figures for item in self.items))

    def as_dict(self, catalogue: ProgramCatalogue) -> dict[str, Any]:
        """JSON-ready form for the API."""
        return {
            "partner_id": self.partner_id,
            "name": self.name,
            "country": self.country,
            "tier": self.tier,
            "recorded_tier": self.recorded_tier,
            "next_tier": self.next_tier,
            "gap": [
                {
                    "key": item.key,
                    "label": item.label,
                    "have": item.have,
                    "need": item.need,
                    "unit": item.unit,
                    "met": item.met,
                    "text": item.describe(),
                    "sample_figures": list(item.sample_figures),
                }
                for item in self.items
            ],
            "competencies": [
                {"id": c, "name": catalogue.competency_name(c)} for c in self.competencies
            ],
            "days_left": self.days_left,
            "transition_end": self.transition_end.isoformat(),
            "vouchers_available": self.vouchers_available,
            "transferable_credits": [
                {"competency_id": c, "name": catalogue.competency_name(c), "credits": n}
                for c, n in self.transferable_credits.items()
            ],
            "sample_figures": list(self.sample_figures),
        }


def status_from_snapshot(
    catalogue: ProgramCatalogue, snapshot: PartnerSnapshot, recorded_tier: str, today: dt.date
) -> PartnerStatus:
    """Evaluate a snapshot against the rules (also used for "what if" questions)."""
    rules = catalogue.rules
    gap = next_tier_gap(rules, snapshot)
    tier = current_tier(rules, snapshot).name
    basis = [*tier_figures(rules, tier, snapshot.country), "transition.end"]
    return PartnerStatus(
        partner_id=snapshot.partner_id,
        name=snapshot.name,
        country=snapshot.country,
        tier=tier,
        recorded_tier=recorded_tier,
        next_tier=gap.target if gap else None,
        items=gap.items if gap else (),
        competencies=tuple(sorted(snapshot.competencies)),
        days_left=days_left(rules.transition, today),
        transition_end=rules.transition.end,
        vouchers_available=snapshot.available_vouchers,
        transferable_credits=transferable_credits(
            catalogue.competencies.values(), snapshot.certifications
        ),
        snapshot=snapshot,
        basis_sample_figures=sample_figures(rules, basis),
    )


def recommendation_sample_figures(
    catalogue: ProgramCatalogue, status: PartnerStatus
) -> tuple[str, ...]:
    """Return what course recommendations rest on that is sample (catalogue files, gap)."""
    parts = sample_figures(catalogue.rules, ("competencies", "courses"))
    return merge(status.sample_figures, parts)


def partner_status(
    session: Session, catalogue: ProgramCatalogue, partner_id: str, today: dt.date
) -> PartnerStatus | None:
    """Load and evaluate one partner, with its snapshot; None when there is no such one."""
    from partners.models import Partner

    snapshot = load_snapshot(session, partner_id, today)
    partner = session.get(Partner, partner_id)
    if snapshot is None or partner is None:
        return None
    return status_from_snapshot(catalogue, snapshot, partner.tier, today)
