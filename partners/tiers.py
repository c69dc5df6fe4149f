"""The tier engine: pure functions from program rules and a partner's record to its tier.

Every tier's requirements include those of the tiers below it (``tiers.yaml`` is
written that way; ``effective_requirements`` enforces it for any rule set), so a
partner holds the highest tier whose requirements it meets, and the gap to a tier is
exactly that tier's unmet requirements.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from knowledge.models import Competency, Course, ProgramRules, Tier, TransitionWindow
from knowledge.provenance import requirement_sample_figures

RequirementKey = Literal["competencies", "client_satisfaction", "satisfaction_score", "revenue"]


@dataclass(frozen=True)
class HeldCertification:
    """One certification one of the partner's people holds.

    Attributes:
        person_id: Who holds it (people are counted once per competency).
        name: The certification's name (a legacy one transfers credits by name).
        course_id: The course whose exam it is, None for a legacy certification.

    """

    person_id: int
    name: str
    course_id: str | None = None


@dataclass(frozen=True)
class PartnerSnapshot:
    """What the tier engine and the recommender know about one partner.

    Attributes:
        partner_id: The partner's id, e.g. ``P-0001``.
        country: ISO country code; selects the revenue thresholds.
        competencies: Ids of the competencies earned (client satisfaction included).
        satisfaction_score: Average client-satisfaction score (0-10), None if none yet.
        revenue_last_year: Revenue of the latest full year, in the country's currency.
        certifications: Names of the certifications the partner's people hold.
        completed_courses: Ids of the courses any of the partner's people completed.
        available_vouchers: Unused, unexpired vouchers.
        name: The company name.
        held_certifications: Every certification each person holds (certified people).

    """

    partner_id: str
    country: str
    competencies: frozenset[str] = frozenset()
    satisfaction_score: float | None = None
    revenue_last_year: int = 0
    certifications: frozenset[str] = frozenset()
    completed_courses: frozenset[str] = frozenset()
    available_vouchers: int = 0
    name: str = ""
    held_certifications: frozenset[HeldCertification] = frozenset()


@dataclass(frozen=True)
class EffectiveRequirements:
    """A tier's requirements with those of every lower tier folded in."""

    tier: str
    competencies: int
    client_satisfaction_competency: bool
    min_satisfaction_score: float | None
    revenue_tiers: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Requirement:
    """One requirement of a tier, evaluated for one partner.

    ``sample_figures`` are the figure paths behind ``need`` that are sample values
    (``knowledge.provenance``): a reply that shows the requirement says so.
    """

    key: RequirementKey
    label: str
    have: float
    need: float
    unit: str
    met: bool
    sample_figures: tuple[str, ...] = ()

    def describe(self) -> str:
        """Say how the partner stands, e.g. "Client satisfaction score: 7.6 of 8.0 needed"."""
        if self.key == "client_satisfaction":
            return f"{self.label}: {'earned' if self.met else 'not earned yet'}"
        if self.key == "satisfaction_score":
            return f"{self.label}: {self.have:.1f} of {self.need:.1f} needed"
        if self.key == "revenue":
            return (
                f"{self.label}: {self.have:,.0f} {self.unit} of {self.need:,.0f} {self.unit} needed"
            )
        return f"{self.label}: {self.have:.0f} of {self.need:.0f}"


@dataclass(frozen=True)
class TierGap:
    """Where a partner stands against a tier it does not hold (or holds)."""

    current: str
    target: str
    items: tuple[Requirement, ...]

    @property
    def missing(self) -> tuple[Requirement, ...]:
        """The requirements still unmet."""
        return tuple(item for item in self.items if not item.met)


class UnknownCountryError(ValueError):
    """The partner's country has no entry in the tier rules."""


def tiers_by_rank(rules: ProgramRules) -> list[Tier]:
    """Return the tiers lowest first."""
    return sorted(rules.tiers, key=lambda tier: tier.rank)


def effective_requirements(rules: ProgramRules, tier_name: str) -> EffectiveRequirements:
    """Fold the requirements of ``tier_name`` and every tier below it into one set.

    Raises:
        KeyError: No tier has this name.

    """
    tiers = tiers_by_rank(rules)
    names = [tier.name for tier in tiers]
    if tier_name not in names:
        raise KeyError(f"unknown tier {tier_name!r}; tiers are {', '.join(names)}")
    upto = tiers[: names.index(tier_name) + 1]
    scores = [t.requirements.min_satisfaction_score for t in upto]
    known_scores = [score for score in scores if score is not None]
    return EffectiveRequirements(
        tier=tier_name,
        competencies=max(t.requirements.competencies for t in upto),
        client_satisfaction_competency=any(
            t.requirements.client_satisfaction_competency for t in upto
        ),
        min_satisfaction_score=max(known_scores) if known_scores else None,
        revenue_tiers=tuple(t.name for t in upto if t.requirements.revenue),
    )


def revenue_threshold(rules: ProgramRules, country: str, tier_name: str) -> tuple[int, str]:
    """Return the revenue a tier needs in ``country`` and the currency.

    The threshold is the highest one among the tier and the lower tiers that apply
    the revenue requirement (0 when none applies).

    Raises:
        UnknownCountryError: The rules have no such country.

    """
    entry = next((item for item in rules.countries if item.code == country), None)
    if entry is None:
        raise UnknownCountryError(f"no tier rules for country {country!r}")
    names = effective_requirements(rules, tier_name).revenue_tiers
    thresholds: dict[str, int] = {str(k): v for k, v in entry.revenue_thresholds.items()}
    threshold = max((thresholds.get(name, 0) for name in names), default=0)
    return threshold, entry.currency


def evaluate(
    rules: ProgramRules, snapshot: PartnerSnapshot, tier_name: str
) -> tuple[Requirement, ...]:
    """Evaluate every requirement of ``tier_name`` for the partner, met or not."""
    required = effective_requirements(rules, tier_name)
    items: list[Requirement] = []
    if required.competencies > 0:
        have = len(snapshot.competencies)
        items.append(
            Requirement(
                key="competencies",
                label="Competencies earned (client satisfaction included)",
                have=have,
                need=required.competencies,
                unit="competencies",
                met=have >= required.competencies,
            )
        )
    if required.client_satisfaction_competency:
        held = rules.client_satisfaction_competency in snapshot.competencies
        items.append(
            Requirement(
                key="client_satisfaction",
                label="Client Satisfaction competency",
                have=1 if held else 0,
                need=1,
                unit="competency",
                met=held,
            )
        )
    if required.min_satisfaction_score is not None:
        score = snapshot.satisfaction_score
        items.append(
            Requirement(
                key="satisfaction_score",
                label="Client satisfaction score",
                have=score if score is not None else 0.0,
                need=required.min_satisfaction_score,
                unit="score",
                met=score is not None and score >= required.min_satisfaction_score,
            )
        )
    if required.revenue_tiers:
        threshold, currency = revenue_threshold(rules, snapshot.country, tier_name)
        items.append(
            Requirement(
                key="revenue",
                label="Revenue last year",
                have=snapshot.revenue_last_year,
                need=threshold,
                unit=currency,
                met=snapshot.revenue_last_year >= threshold,
            )
        )
    return tuple(
        dataclasses.replace(
            item,
            sample_figures=requirement_sample_figures(rules, tier_name, item.key, snapshot.country),
        )
        for item in items
    )


def meets(rules: ProgramRules, snapshot: PartnerSnapshot, tier_name: str) -> bool:
    """Whether the partner meets every requirement of ``tier_name``."""
    return all(item.met for item in evaluate(rules, snapshot, tier_name))


def current_tier(rules: ProgramRules, snapshot: PartnerSnapshot) -> Tier:
    """Return the highest tier whose requirements the partner meets.

    Every partner holds at least the lowest tier.
    """
    tiers = tiers_by_rank(rules)
    held = tiers[0]
    for tier in tiers[1:]:
        if not meets(rules, snapshot, tier.name):
            break
        held = tier
    return held


def next_tier(rules: ProgramRules, tier_name: str) -> Tier | None:
    """Return the tier above ``tier_name``, or None at the top."""
    tiers = tiers_by_rank(rules)
    names: list[str] = [tier.name for tier in tiers]
    position = names.index(tier_name)
    return tiers[position + 1] if position + 1 < len(tiers) else None


def tier_gap(rules: ProgramRules, snapshot: PartnerSnapshot, target: str) -> TierGap:
    """Evaluate the partner against any tier, e.g. "what do I miss for Gold?"."""
    return TierGap(
        current=current_tier(rules, snapshot).name,
        target=target,
        items=evaluate(rules, snapshot, target),
    )


def next_tier_gap(rules: ProgramRules, snapshot: PartnerSnapshot) -> TierGap | None:
    """Return the requirements of the partner's next tier, each met or missing.

    Returns:
        The gap, or None when the partner already holds the highest tier.

    """
    upper = next_tier(rules, current_tier(rules, snapshot).name)
    return tier_gap(rules, snapshot, upper.name) if upper else None


def days_left(transition: TransitionWindow, today: dt.date) -> int:
    """Days from ``today`` until the transition window ends (0 once it has ended)."""
    return max(0, (transition.end - today).days)


def transferable_credits(
    competencies: Iterable[Competency], certifications: Iterable[str]
) -> dict[str, int]:
    """Credits the held legacy certifications carry into each competency.

    A certification counts once per competency however many people hold it, and a
    competency never receives more than it requires.

    Returns:
        Competency id to credits, only for competencies that receive any.

    """
    held = {name.casefold() for name in certifications}
    credits: dict[str, int] = {}
    for competency in competencies:
        total = sum(
            transfer.credits
            for transfer in competency.credit_transfer
            if transfer.certification.casefold() in held
        )
        total = min(total, competency.requirements.credits)
        if total > 0:
            credits[competency.id] = total
    return credits


def certified_people(
    competencies: Iterable[Competency],
    courses: Mapping[str, Course],
    held: Iterable[HeldCertification],
) -> dict[str, int]:
    """People certified in each competency: a person counts once per competency.

    A course certification counts toward every competency its course lists; a legacy
    certification toward every competency it transfers credits into.

    Returns:
        Competency id to the number of distinct people, only for competencies with any.

    """
    by_name: dict[str, set[str]] = {}
    for competency in competencies:
        for transfer in competency.credit_transfer:
            by_name.setdefault(transfer.certification.casefold(), set()).add(competency.id)
    people: dict[str, set[int]] = {}
    for certification in held:
        course = courses.get(certification.course_id) if certification.course_id else None
        counted = set(course.competencies) if course else set()
        counted |= by_name.get(certification.name.casefold(), set())
        for competency_id in counted:
            people.setdefault(competency_id, set()).add(certification.person_id)
    return {competency_id: len(ids) for competency_id, ids in people.items()}
