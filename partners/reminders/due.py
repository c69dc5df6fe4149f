"""Which reminders are due for a partner on a day: the rules in one place.

Four kinds, each with the subject it is about and the threshold it crossed (the send
record's key, ``partners.reminders.outbox``):

- ``tier_at_risk``: the transition window ends in 90, 30 or 7 days (the smallest
  threshold at or above the days left) and the partner misses requirements of its
  recorded tier (the tier engine's ``tier_gap``; then its computed tier is also below
  the recorded one). Subject: partner and tier.
- ``certification_expiring``: a certification of one of its people expires within
  30 days (``certifications.expires_on``). Subject: the certification.
- ``voucher_expiring``: available vouchers expire within 30 days, one reminder per
  expiry date. Subject: partner and date.
- ``one_course_away``: one course closes the gap to the next tier: every other
  requirement of that tier is met, it lacks one competency (Client Satisfaction if
  that is missing), whose certified people are there and whose remaining need in
  credits and required courses (the recommender's need, ``partners.targets``) one
  course with no unmet prerequisite covers. Subject: partner and tier.

A condition is checked afresh at every run, so a reminder postponed by quiet hours is
still sent while it holds, and one that no longer holds is not.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Course
from partners.catalogue import ProgramCatalogue
from partners.models import Certification, Person, Voucher
from partners.reminders import texts
from partners.status import PartnerStatus
from partners.targets import Need, needs_of
from partners.tiers import PartnerSnapshot, certified_people, next_tier_gap, tier_gap

logger = logging.getLogger(__name__)

TRANSITION_THRESHOLDS = (90, 30, 7)
EXPIRY_DAYS = 30
KINDS = ("tier_at_risk", "certification_expiring", "voucher_expiring", "one_course_away")


@dataclass(frozen=True)
class Notice:
    """One reminder due for a partner: what it is about and its text (markdown)."""

    kind: str
    subject: str
    threshold: str
    text: str


def transition_threshold(days_left: int) -> int | None:
    """Return the smallest threshold (90/30/7 days) at or above ``days_left``, or None."""
    if days_left <= 0:
        return None
    crossed = [days for days in TRANSITION_THRESHOLDS if days_left <= days]
    return min(crossed) if crossed else None


def tier_at_risk(
    catalogue: ProgramCatalogue, snapshot: PartnerSnapshot, status: PartnerStatus
) -> Notice | None:
    """Return the transition reminder when a threshold is crossed and the tier is at risk."""
    threshold = transition_threshold(status.days_left)
    if threshold is None:
        return None
    try:
        gap = tier_gap(catalogue.rules, snapshot, status.recorded_tier)
    except KeyError:
        logger.warning(
            "reminders: %s has recorded tier %r, which the rules lack; no transition reminder",
            snapshot.partner_id,
            status.recorded_tier,
        )
        return None
    if not gap.missing:
        return None
    return Notice(
        kind="tier_at_risk",
        subject=f"{snapshot.partner_id}:{status.recorded_tier}",
        threshold=f"{threshold}d",
        text=texts.tier_at_risk(status, gap.missing),
    )


def expiring_certifications(session: Session, partner_id: str, today: dt.date) -> list[Notice]:
    """Return a reminder per certification of the partner's people lapsing within 30 days."""
    rows = session.execute(
        select(Certification.id, Certification.name, Certification.expires_on, Person.name)
        .join(Person, Person.id == Certification.person_id)
        .where(
            Person.partner_id == partner_id,
            Certification.expires_on.is_not(None),
            Certification.expires_on >= today,
            Certification.expires_on <= today + dt.timedelta(days=EXPIRY_DAYS),
        )
        .order_by(Certification.expires_on, Certification.id)
    )
    return [
        Notice(
            kind="certification_expiring",
            subject=f"certification:{cert_id}",
            threshold=f"{EXPIRY_DAYS}d",
            text=texts.certification_expiring(name, person, expires_on, today),
        )
        for cert_id, name, expires_on, person in rows
        if expires_on is not None
    ]


def expiring_vouchers(session: Session, partner_id: str, today: dt.date) -> list[Notice]:
    """Return a reminder per date on which available vouchers expire within 30 days."""
    dates = session.scalars(
        select(Voucher.expires_on).where(
            Voucher.partner_id == partner_id,
            Voucher.status == "available",
            Voucher.expires_on >= today,
            Voucher.expires_on <= today + dt.timedelta(days=EXPIRY_DAYS),
        )
    )
    counts: dict[dt.date, int] = {}
    for day in dates:
        counts[day] = counts.get(day, 0) + 1
    return [
        Notice(
            kind="voucher_expiring",
            subject=f"{partner_id}:{day.isoformat()}",
            threshold=f"{EXPIRY_DAYS}d",
            text=texts.vouchers_expiring(count, day, today),
        )
        for day, count in sorted(counts.items())
    ]


@dataclass(frozen=True)
class OneCourse:
    """The course that alone would lift the partner to ``tier``."""

    tier: str
    competency_id: str
    course: Course


def one_course_to_next_tier(
    catalogue: ProgramCatalogue, snapshot: PartnerSnapshot
) -> OneCourse | None:
    """Return the one course that closes the gap to the next tier, or None (module doc)."""
    rules = catalogue.rules
    gap = next_tier_gap(rules, snapshot)
    if gap is None or not gap.missing:
        return None
    if any(item.key in ("satisfaction_score", "revenue") for item in gap.missing):
        return None
    counted = next((item for item in gap.missing if item.key == "competencies"), None)
    short = int(counted.need - counted.have) if counted else 0
    client_sat = rules.client_satisfaction_competency
    if any(item.key == "client_satisfaction" for item in gap.missing):
        if short > 1:
            return None
        candidates = [client_sat]
    elif short == 1:
        candidates = [
            c for c in catalogue.competencies if c not in snapshot.competencies and c != client_sat
        ]
    else:
        return None
    people = certified_people(
        catalogue.competencies.values(), catalogue.courses, snapshot.held_certifications
    )
    needs = needs_of(catalogue, snapshot, [c for c in candidates if c in catalogue.competencies])
    options: list[tuple[float, str, str]] = []
    for competency_id, need in needs.items():
        required_people = catalogue.competencies[competency_id].requirements.certified_people
        if people.get(competency_id, 0) < required_people or need.amount() == 0:
            continue
        for course in _closing_courses(catalogue, snapshot, competency_id, need):
            options.append((course.duration_hours, course.id, competency_id))
    if not options:
        return None
    _, course_id, competency_id = min(options)
    return OneCourse(gap.target, competency_id, catalogue.courses[course_id])


def _closing_courses(
    catalogue: ProgramCatalogue, snapshot: PartnerSnapshot, competency_id: str, need: Need
) -> list[Course]:
    """Courses open to the partner now (prerequisites done) that meet ``need`` alone."""
    done = snapshot.completed_courses
    found = []
    for course in catalogue.courses.values():
        if course.id in done or competency_id not in course.competencies:
            continue
        if any(p not in done for p in course.prerequisites if p in catalogue.courses):
            continue
        trial = Need(need.credits, set(need.required), dict(need.required_credits))
        trial.take(course)
        if trial.amount() == 0:
            found.append(course)
    return found


def one_course_away(catalogue: ProgramCatalogue, snapshot: PartnerSnapshot) -> Notice | None:
    """Return the "one course away" reminder when exactly one course closes the gap."""
    found = one_course_to_next_tier(catalogue, snapshot)
    if found is None:
        return None
    competency = catalogue.competencies[found.competency_id]
    return Notice(
        kind="one_course_away",
        subject=f"{snapshot.partner_id}:{found.tier}",
        threshold="once",
        text=texts.one_course_away(
            catalogue.rules, snapshot.country, found.tier, competency, found.course
        ),
    )


def due_notices(
    session: Session,
    catalogue: ProgramCatalogue,
    snapshot: PartnerSnapshot,
    status: PartnerStatus,
    today: dt.date,
) -> list[Notice]:
    """Every reminder due for the partner on ``today``, sample-labelled where needed."""
    notices: list[Notice] = []
    at_risk = tier_at_risk(catalogue, snapshot, status)
    if at_risk is not None:
        notices.append(at_risk)
    notices += expiring_certifications(session, snapshot.partner_id, today)
    notices += expiring_vouchers(session, snapshot.partner_id, today)
    closer = one_course_away(catalogue, snapshot)
    if closer is not None:
        notices.append(closer)
    return notices
