"""Figures a sample partner of a given tier should reach (``partners.sample_data``).

A partner aimed at a tier meets that tier's requirements and misses one or two of
the next tier's (competencies, score, revenue or client satisfaction), so the
sample partners show every kind of gap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from knowledge.models import ProgramRules
from partners.tiers import effective_requirements, revenue_threshold, tiers_by_rank


@dataclass(frozen=True)
class Profile:
    """What a generated partner should reach: counts and figures."""

    competencies: int
    client_satisfaction: bool
    score: float
    revenue: int


def pick_profile(rules: ProgramRules, rnd: random.Random, country: str, tier_index: int) -> Profile:
    """Pick figures that hold tier ``tier_index`` and miss something of the next."""
    tiers = tiers_by_rank(rules)
    own = effective_requirements(rules, tiers[tier_index].name)
    upper = tiers[tier_index + 1] if tier_index + 1 < len(tiers) else None
    failing: set[str] = set()
    if upper is not None:
        options = ["competencies", "score", "revenue"]
        if not own.client_satisfaction_competency:
            options.append("client_satisfaction")
        failing = set(rnd.sample(options, k=rnd.choice((1, 1, 1, 2))))
    target = effective_requirements(rules, upper.name) if upper else own

    need_count = target.competencies
    if "competencies" in failing:
        count = rnd.randint(own.competencies, max(own.competencies, need_count - 1))
    else:
        count = need_count + rnd.randint(0, 2)
    client_sat = own.client_satisfaction_competency or (
        "client_satisfaction" not in failing and rnd.random() < 0.6
    )
    if count == 0 and client_sat:
        count = 1

    floor = own.min_satisfaction_score or 5.0
    goal = target.min_satisfaction_score or floor
    if "score" in failing and goal > floor:
        score = round(rnd.uniform(max(floor, goal - 1.2), goal - 0.1), 1)
    else:
        score = round(rnd.uniform(goal, min(10.0, goal + 1.2)), 1)

    low, _ = revenue_threshold(rules, country, own.tier)
    high, _ = revenue_threshold(rules, country, target.tier)
    if "revenue" in failing and high > low:
        revenue = rnd.randint(max(low, high // 5), int(high * 0.97))
    else:
        revenue = rnd.randint(high, int(max(high, low, 50_000) * 2.2))
    revenue = max(revenue // 1000 * 1000, low)
    return Profile(count, client_sat, score, revenue)
