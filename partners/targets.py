"""Which competencies the course recommendations work toward, and how much each needs.

Targets: Client Satisfaction first when the next tier requires it and it is
missing; then, for each further competency the tier misses, the unearned
competency closest to completion; without a competency gap, the two closest ones;
plus the competencies a free-text goal points at. Remaining need, in credits:
required credits minus credits from completed courses and from held legacy
certifications, but at least the credits of the required courses not yet taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.models import Course
from partners.catalogue import ProgramCatalogue
from partners.snapshot import course_credits
from partners.tiers import PartnerSnapshot, next_tier_gap, transferable_credits

FALLBACK_TARGETS = 2


@dataclass(frozen=True)
class Target:
    """A competency the recommendations work toward."""

    competency_id: str
    name: str
    required_credits: int
    remaining: int
    reason: str


@dataclass
class Need:
    """The remaining need of one target, reduced course by course."""

    credits: int
    required: set[str]
    required_credits: dict[str, int]

    def amount(self) -> int:
        """Credits still needed, required courses included."""
        missing_required = sum(self.required_credits[c] for c in self.required)
        return max(self.credits, missing_required)

    def take(self, course: Course) -> int:
        """Count ``course`` toward the need; return how much need it covered."""
        before = self.amount()
        self.credits = max(0, self.credits - course.credits)
        self.required.discard(course.id)
        return before - self.amount()


def needs_of(
    catalogue: ProgramCatalogue, snapshot: PartnerSnapshot, competency_ids: Iterable[str]
) -> dict[str, Need]:
    """Return the remaining need of each competency for this partner."""
    earned_credits = course_credits(catalogue.courses, snapshot.completed_courses)
    transfers = transferable_credits(catalogue.competencies.values(), snapshot.certifications)
    needs: dict[str, Need] = {}
    for competency_id in competency_ids:
        competency = catalogue.competencies[competency_id]
        credits = competency.requirements.credits
        credits -= earned_credits.get(competency_id, 0) + transfers.get(competency_id, 0)
        required = {
            c
            for c in competency.requirements.required_courses
            if c not in snapshot.completed_courses and c in catalogue.courses
        }
        needs[competency_id] = Need(
            credits=max(0, credits),
            required=required,
            required_credits={c: catalogue.courses[c].credits for c in required},
        )
    return needs


def choose_targets(
    catalogue: ProgramCatalogue,
    snapshot: PartnerSnapshot,
    extra: Sequence[str] = (),
) -> list[Target]:
    """Pick the competencies to work toward (see the module docstring)."""
    unearned = [c for c in catalogue.competencies if c not in snapshot.competencies]
    needs = needs_of(catalogue, snapshot, unearned)
    gap = next_tier_gap(catalogue.rules, snapshot)
    chosen: dict[str, str] = {}
    if gap is not None:
        for item in gap.missing:
            if item.key == "client_satisfaction" and item.need > item.have:
                chosen[catalogue.rules.client_satisfaction_competency] = (
                    f"required for {gap.target}"
                )
        counted = next((i for i in gap.missing if i.key == "competencies"), None)
        missing = int(counted.need - counted.have) if counted else 0
        closest = sorted(
            (c for c in unearned if c not in chosen), key=lambda c: (needs[c].amount(), c)
        )
        for competency_id in closest[: max(0, missing - len(chosen))]:
            chosen[competency_id] = f"one more competency for {gap.target}"
    if not chosen:
        closest = sorted(unearned, key=lambda c: (needs[c].amount(), c))
        for competency_id in closest[:FALLBACK_TARGETS]:
            chosen[competency_id] = "closest competency to complete next"
    for competency_id in extra:
        if competency_id in needs and competency_id not in chosen:
            chosen[competency_id] = "matches your goal"
    return [
        Target(
            competency_id=c,
            name=catalogue.competency_name(c),
            required_credits=catalogue.competencies[c].requirements.credits,
            remaining=needs[c].amount(),
            reason=reason,
        )
        for c, reason in chosen.items()
        if c in needs
    ]
