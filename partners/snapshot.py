"""Read one partner's record from the store into a ``PartnerSnapshot``.

The figures the tier engine compares are derived here, with these rules:

- revenue: the latest recorded year before today's year (the last full year);
- satisfaction: the mean of the latest four quarters recorded, rounded to 0.1, so
  the score a partner sees is exactly the one compared with the threshold;
- courses: a course counts once per partner, however many people completed it;
- vouchers: status ``available`` and not expired today.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.models import Course
from partners.models import (
    Certification,
    CourseCompletion,
    EarnedCompetency,
    Partner,
    Person,
    Revenue,
    SatisfactionScore,
    Voucher,
)
from partners.tiers import HeldCertification, PartnerSnapshot

SCORE_QUARTERS = 4


def load_snapshot(session: Session, partner_id: str, today: dt.date) -> PartnerSnapshot | None:
    """Return the partner's snapshot as of ``today``, or None if there is no such partner."""
    partner = session.get(Partner, partner_id)
    if partner is None:
        return None
    competencies = session.scalars(
        select(EarnedCompetency.competency_id).where(EarnedCompetency.partner_id == partner_id)
    )
    people = select(Person.id).where(Person.partner_id == partner_id).scalar_subquery()
    certifications = session.scalars(
        select(Certification.name).where(Certification.person_id.in_(people)).distinct()
    )
    courses = session.scalars(
        select(CourseCompletion.course_id).where(CourseCompletion.person_id.in_(people)).distinct()
    )
    held = session.execute(
        select(Certification.person_id, Certification.name, Certification.course_id).where(
            Certification.person_id.in_(people)
        )
    )
    vouchers = session.scalar(
        select(func.count())
        .select_from(Voucher)
        .where(
            Voucher.partner_id == partner_id,
            Voucher.status == "available",
            Voucher.expires_on >= today,
        )
    )
    return PartnerSnapshot(
        partner_id=partner.id,
        name=partner.name,
        country=partner.country,
        competencies=frozenset(competencies),
        satisfaction_score=_satisfaction(session, partner_id),
        revenue_last_year=_revenue_last_year(session, partner_id, today),
        certifications=frozenset(certifications),
        completed_courses=frozenset(courses),
        available_vouchers=vouchers or 0,
        held_certifications=frozenset(HeldCertification(*row) for row in held),
    )


def _revenue_last_year(session: Session, partner_id: str, today: dt.date) -> int:
    amount = session.scalar(
        select(Revenue.amount)
        .where(Revenue.partner_id == partner_id, Revenue.year < today.year)
        .order_by(Revenue.year.desc())
        .limit(1)
    )
    return int(amount or 0)


def _satisfaction(session: Session, partner_id: str) -> float | None:
    scores = list(
        session.scalars(
            select(SatisfactionScore.score)
            .where(SatisfactionScore.partner_id == partner_id)
            .order_by(SatisfactionScore.year.desc(), SatisfactionScore.quarter.desc())
            .limit(SCORE_QUARTERS)
        )
    )
    return mean_score(scores)


def mean_score(scores: Iterable[float]) -> float | None:
    """Average quarterly scores the way the program reports them (one decimal)."""
    values = list(scores)
    return round(sum(values) / len(values), 1) if values else None


def course_credits(courses: dict[str, Course], completed: Iterable[str]) -> dict[str, int]:
    """Credits per competency that the completed courses earned (each course once)."""
    credits: dict[str, int] = defaultdict(int)
    for course_id in set(completed):
        course = courses.get(course_id)
        if course is None:
            continue
        for competency_id in course.competencies:
            credits[competency_id] += course.credits
    return dict(credits)
