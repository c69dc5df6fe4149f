"""Generator of fictitious sample partners, deterministic for a given catalogue.

Every run with the same catalogue and seed produces the same partners; dates are
relative to the transition start, never to the clock. Records are consistent with
the rules: an earned competency has its credits (courses plus transferred
certification credits), its required courses and its certified people. ``P-0001``
is a fixed demo partner: Silver in Germany, one competency, 0.4 satisfaction points
and some revenue short of Gold. ``partners.seed`` writes what this generates.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from knowledge.models import Competency, Course
from partners.catalogue import ProgramCatalogue
from partners.sample_names import company_name, email_part, person_name
from partners.sample_profiles import Profile, pick_profile
from partners.snapshot import mean_score
from partners.tiers import (
    PartnerSnapshot,
    effective_requirements,
    revenue_threshold,
    tiers_by_rank,
    transferable_credits,
)

RANDOM_SEED = 20260301
PEOPLE_ROLES = ("sales lead", "technical lead", "consultant", "architect", "developer")


@dataclass
class SamplePartner:
    """One generated partner before it is written."""

    id: str
    name: str
    country: str
    tier: str = ""
    competencies: dict[str, dt.date] = field(default_factory=dict)
    people: list[dict[str, Any]] = field(default_factory=list)
    completions: dict[tuple[int, str], dt.date] = field(default_factory=dict)
    certifications: list[dict[str, Any]] = field(default_factory=list)
    scores: list[tuple[int, int, float]] = field(default_factory=list)
    revenue: list[tuple[int, int]] = field(default_factory=list)
    vouchers: list[dict[str, Any]] = field(default_factory=list)


class SampleGenerator:
    """Builds sample partners from the catalogue with one seeded random generator."""

    def __init__(self, catalogue: ProgramCatalogue, seed: int = RANDOM_SEED) -> None:
        self.catalogue = catalogue
        self.rules = catalogue.rules
        self.random = random.Random(seed)
        self.reference = self.rules.transition.start
        self.client_sat = self.rules.client_satisfaction_competency
        self.others = [c for c in catalogue.competencies if c != self.client_sat]
        self.courses_for: dict[str, list[Course]] = {c: [] for c in catalogue.competencies}
        for course in catalogue.courses.values():
            for competency_id in course.competencies:
                self.courses_for.setdefault(competency_id, []).append(course)
        self._next_person_id = 1
        self._taken_names: set[str] = {"Nordlicht Systemhaus GmbH"}

    # ------------------------------------------------------------------ records
    def build(self, number: int, country: str, tier_index: int) -> SamplePartner:
        """Generate one partner aiming at tier ``tier_index``."""
        partner = SamplePartner(
            id=f"P-{number:04d}",
            name=company_name(self.random, country, self._taken_names),
            country=country,
        )
        return self._fill(partner, pick_profile(self.rules, self.random, country, tier_index))

    def build_demo(self) -> SamplePartner:
        """P-0001: Silver in Germany, one competency, 0.4 points and revenue short of Gold."""
        country = "DE" if self.catalogue.country("DE") else self.rules.countries[0].code
        gold = next(t for t in tiers_by_rank(self.rules) if t.rank == 2)
        silver_revenue, _ = revenue_threshold(self.rules, country, "Silver")
        gold_revenue, _ = revenue_threshold(self.rules, country, gold.name)
        required = effective_requirements(self.rules, gold.name)
        score = round((required.min_satisfaction_score or 8.0) - 0.4, 1)
        revenue = max(silver_revenue, gold_revenue - max(30_000, gold_revenue // 15))
        partner = SamplePartner(id="P-0001", name="Nordlicht Systemhaus GmbH", country=country)
        profile = Profile(max(1, required.competencies - 1), True, score, revenue)
        return self._fill(partner, profile, vouchers=2, legacy=2)

    def _fill(
        self,
        partner: SamplePartner,
        profile: Profile,
        *,
        vouchers: int | None = None,
        legacy: int | None = None,
    ) -> SamplePartner:
        rnd = self.random
        earned = [self.client_sat] if profile.client_satisfaction else []
        pool = list(self.others)
        rnd.shuffle(pool)
        earned += pool[: max(0, profile.competencies - len(earned))]
        in_progress = pool[len(earned) : len(earned) + rnd.randint(1, 2)]
        needed_people = max(
            (self.catalogue.competencies[c].requirements.certified_people for c in earned),
            default=0,
        )
        for _ in range(needed_people + rnd.randint(1, 4)):
            self._add_person(partner)

        held_legacy = self._legacy_certifications(partner, earned + in_progress, legacy)
        transfers = transferable_credits(
            (self.catalogue.competencies[c] for c in earned + in_progress), held_legacy
        )
        for competency_id in earned:
            competency = self.catalogue.competencies[competency_id]
            need = competency.requirements.credits - transfers.get(competency_id, 0)
            self._complete_toward(partner, competency, need)
            self._certify(partner, competency)
            partner.competencies[competency_id] = self._date(0, 240)
        for competency_id in in_progress:
            competency = self.catalogue.competencies[competency_id]
            share = rnd.uniform(0.2, 0.7) * competency.requirements.credits
            self._complete_toward(partner, competency, int(share), required_only=False)

        self._scores(partner, profile.score)
        self._revenue(partner, profile.revenue)
        self._vouchers(partner, vouchers)
        return partner

    def _add_person(self, partner: SamplePartner) -> int:
        first, last = person_name(self.random, partner.country)
        domain = email_part(partner.name.split()[0])
        person_id = self._next_person_id
        self._next_person_id += 1
        partner.people.append(
            {
                "id": person_id,
                "partner_id": partner.id,
                "name": f"{first} {last}",
                "email": f"{email_part(first)}.{email_part(last)}.{person_id}@{domain}.example",
                "role": self.random.choice(PEOPLE_ROLES),
            }
        )
        return person_id

    def _person(self, partner: SamplePartner) -> int:
        return int(self.random.choice(partner.people)["id"])

    def _date(self, low: int, high: int) -> dt.date:
        return self.reference + dt.timedelta(days=self.random.randint(low, high))

    def _legacy_certifications(
        self, partner: SamplePartner, competencies: list[str], count: int | None
    ) -> list[str]:
        names = sorted(
            {
                transfer.certification
                for c in competencies
                for transfer in self.catalogue.competencies[c].credit_transfer
            }
        )
        if count is None:
            count = self.random.choice((0, 0, 1, 1, 2, 3))
        held = self.random.sample(names, k=min(count, len(names)))
        for name in held:
            certification = {
                "person_id": self._person(partner),
                "name": name,
                "course_id": None,
                "earned_on": self._date(-2000, -60),
            }
            partner.certifications.append(certification)
        return held

    def _complete(
        self, partner: SamplePartner, course_id: str, person_id: int | None = None
    ) -> None:
        course = self.catalogue.courses.get(course_id)
        if course is None or any(key[1] == course_id for key in partner.completions):
            return
        for prerequisite in course.prerequisites:
            self._complete(partner, prerequisite)
        person = person_id if person_id is not None else self._person(partner)
        partner.completions[(person, course_id)] = self._date(-300, 230)

    def _complete_toward(
        self,
        partner: SamplePartner,
        competency: Competency,
        need: int,
        *,
        required_only: bool = True,
    ) -> None:
        done = {course_id for _, course_id in partner.completions}
        if required_only:
            for course_id in competency.requirements.required_courses:
                self._complete(partner, course_id)
                done = {course_id for _, course_id in partner.completions}
        credits = sum(
            course.credits
            for course in self.courses_for.get(competency.id, [])
            if course.id in done
        )
        candidates = [c for c in self.courses_for.get(competency.id, []) if c.id not in done]
        self.random.shuffle(candidates)
        for course in candidates:
            if credits >= need:
                break
            before = len(partner.completions)
            self._complete(partner, course.id)
            if len(partner.completions) > before:
                credits += course.credits

    def _certify(self, partner: SamplePartner, competency: Competency) -> None:
        """Give ``certified_people`` distinct people a course certification in it."""
        done = {course_id for _, course_id in partner.completions}
        courses = [c for c in self.courses_for.get(competency.id, []) if c.id in done]
        if not courses:
            return
        people = [int(p["id"]) for p in partner.people]
        chosen = self.random.sample(
            people, k=min(len(people), competency.requirements.certified_people)
        )
        for person_id in chosen:
            course = self.random.choice(courses)
            if (person_id, course.id) not in partner.completions:
                partner.completions[(person_id, course.id)] = self._date(-200, 200)
            certification = {
                "person_id": person_id,
                "name": f"{course.title} Certification",
                "course_id": course.id,
                "earned_on": self._date(0, 240),
            }
            partner.certifications.append(certification)

    def _scores(self, partner: SamplePartner, score: float) -> None:
        """Eight quarters; the latest four average exactly to ``score``."""
        last = self.reference + dt.timedelta(days=180)
        year, quarter = last.year, (last.month - 1) // 3 + 1
        quarters: list[tuple[int, int]] = []
        for _ in range(8):
            quarters.insert(0, (year, quarter))
            year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        older = [
            min(10.0, max(0.0, round(score + self.random.uniform(-1.0, 1.0), 1))) for _ in range(4)
        ]
        delta = round(self.random.uniform(0, min(0.6, 10 - score, score)), 1)
        latest = [score + delta, score - delta, score, score]
        self.random.shuffle(latest)
        values = older + [round(v, 1) for v in latest]
        partner.scores = [(y, q, v) for (y, q), v in zip(quarters, values, strict=True)]

    def _revenue(self, partner: SamplePartner, last_year: int) -> None:
        last = self.reference.year - 1
        partner.revenue = [(last, last_year)]
        for year in (last - 1, last - 2):
            partner.revenue.append(
                (year, int(last_year * self.random.uniform(0.7, 1.1)) // 1000 * 1000)
            )

    def _vouchers(self, partner: SamplePartner, available: int | None) -> None:
        earned = len([c for c in partner.certifications if c["course_id"]])
        earned *= self.rules.voucher_per_certification
        for index in range(max(earned, available or 0)):
            status = "available" if self.random.random() < 0.45 else "used"
            if available is not None:
                status = "available" if index < available else "used"
            expires = self.rules.transition.end + dt.timedelta(days=self.random.randint(30, 330))
            if available is None and self.random.random() < 0.1:
                expires = self.reference - dt.timedelta(days=self.random.randint(1, 90))
            voucher = {
                "code": f"V-{partner.id[2:]}-{index + 1:03d}",
                "partner_id": partner.id,
                "status": status,
                "expires_on": expires,
            }
            partner.vouchers.append(voucher)

    def snapshot(self, partner: SamplePartner) -> PartnerSnapshot:
        """Return the tier engine's view of a generated partner (to record its tier)."""
        last_year = max(partner.revenue)[1] if partner.revenue else 0
        return PartnerSnapshot(
            partner_id=partner.id,
            country=partner.country,
            competencies=frozenset(partner.competencies),
            satisfaction_score=mean_score(v for _, _, v in partner.scores[-4:]),
            revenue_last_year=last_year,
        )
