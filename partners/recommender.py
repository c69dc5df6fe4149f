"""Course recommendations that close a partner's gap to the next tier fastest.

Scoring (docs/partners.md has the long form):

1. Targets and their remaining need in credits (``partners.targets``); a free-text
   goal adds the competencies of the courses that match it.
2. Greedy rounds: each course not completed is scored with its unmet prerequisites
   as one bundle: how much remaining need the bundle covers (each course's credits
   capped at what is still needed) per hour of the bundle. With a goal, the score is
   blended with the course's rank in the semantic search. The best bundle is taken
   (prerequisites first), the remaining need is reduced, and the next round starts.
3. Vouchers are allocated greedily down the final list to voucher-eligible courses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from knowledge.models import Course
from partners.catalogue import ProgramCatalogue
from partners.course_search import CourseSearch, default_course_search
from partners.targets import Need, Target, choose_targets, needs_of
from partners.tiers import PartnerSnapshot

GOAL_HITS = 20
GOAL_TARGET_HITS = 5
GOAL_WEIGHT = 0.6
MAX_LIMIT = 20


@dataclass(frozen=True)
class Recommendation:
    """One recommended course, in the order to take it."""

    course_id: str
    title: str
    hours: float
    level: str
    delivery: str
    counts_toward: tuple[str, ...]
    gap_credits: int
    voucher_eligible: bool
    voucher_covered: bool = False
    prerequisite_for: str | None = None
    goal_match: bool = False
    explanation: str = ""


@dataclass(frozen=True)
class Recommendations:
    """The ranked list plus what it aims at."""

    items: list[Recommendation]
    targets: list[Target]
    vouchers_available: int
    goal: str | None = None
    notes: list[str] = field(default_factory=list)


def _bundle(
    course: Course, catalogue: ProgramCatalogue, done: set[str], seen: set[str] | None = None
) -> list[Course]:
    """Return the course after its unmet prerequisites (recursively), those first."""
    seen = set() if seen is None else seen
    seen.add(course.id)
    bundle: list[Course] = []
    for prerequisite_id in course.prerequisites:
        prerequisite = catalogue.courses.get(prerequisite_id)
        if prerequisite is None or prerequisite_id in done or prerequisite_id in seen:
            continue
        for item in _bundle(prerequisite, catalogue, done, seen):
            if item not in bundle:
                bundle.append(item)
    bundle.append(course)
    return bundle


def _coverage(bundle: Sequence[Course], needs: dict[str, Need]) -> int:
    trial = {c: replace(n, required=set(n.required)) for c, n in needs.items()}
    return sum(
        trial[c].take(course) for course in bundle for c in course.competencies if c in trial
    )


def recommend(
    catalogue: ProgramCatalogue,
    snapshot: PartnerSnapshot,
    *,
    limit: int = 3,
    goal: str | None = None,
    search: CourseSearch | None = None,
) -> Recommendations:
    """Rank the courses that close the partner's gap fastest.

    Args:
        catalogue: Tier rules, competencies and courses.
        snapshot: The partner's record.
        limit: How many courses to pick; their unmet prerequisites come on top.
        goal: Free text such as "we want to get into AI"; blends in semantic search.
        search: Course search for the goal; ``knowledge.search`` by default.

    Returns:
        The recommendations in the order to take them.

    """
    limit = max(1, min(limit, MAX_LIMIT))
    goal = (goal or "").strip() or None
    notes: list[str] = []
    relevance: dict[str, float] = {}
    if goal:
        search = search or default_course_search(catalogue)
        hits = search(goal, GOAL_HITS)
        relevance = {course_id: 1 - rank / GOAL_HITS for rank, course_id in enumerate(hits)}
        if not hits:
            notes.append("No course clearly matched your goal; ranked by your tier gap only.")
    goal_competencies = [
        c
        for course_id in list(relevance)[:GOAL_TARGET_HITS]
        for c in catalogue.courses[course_id].competencies
    ]
    targets = choose_targets(catalogue, snapshot, goal_competencies)
    needs = needs_of(catalogue, snapshot, [t.competency_id for t in targets])
    done = set(snapshot.completed_courses)
    picks: list[_Pick] = []
    for _ in range(limit):
        bundle = _best_bundle(catalogue, needs, done, relevance)
        if bundle is None:
            break
        for course in bundle:
            remaining = {c: needs[c].amount() for c in course.competencies if c in needs}
            covered = sum(needs[c].take(course) for c in remaining)
            prerequisite_for = None if course is bundle[-1] else bundle[-1].id
            picks.append(_Pick(course, prerequisite_for, remaining, covered))
            done.add(course.id)
    names = {t.competency_id: t.name for t in targets}
    items = _explain(picks, catalogue, names, relevance, snapshot.available_vouchers)
    if not items:
        notes.append("No open course counts toward the competencies you still need.")
    return Recommendations(
        items=items,
        targets=targets,
        vouchers_available=snapshot.available_vouchers,
        goal=goal,
        notes=notes,
    )


@dataclass(frozen=True)
class _Pick:
    course: Course
    prerequisite_for: str | None
    remaining_before: dict[str, int]
    covered: int


def _best_bundle(
    catalogue: ProgramCatalogue,
    needs: dict[str, Need],
    done: set[str],
    relevance: dict[str, float],
) -> list[Course] | None:
    """Return the best-scoring bundle this round, or None when nothing helps."""
    rates: dict[str, tuple[float, list[Course]]] = {}
    for course in catalogue.courses.values():
        if course.id in done:
            continue
        bundle = _bundle(course, catalogue, done)
        covered = _coverage(bundle, needs)
        if covered <= 0 and course.id not in relevance:
            continue
        rates[course.id] = (covered / sum(c.duration_hours for c in bundle), bundle)
    if not rates:
        return None
    top_rate = max(rate for rate, _ in rates.values()) or 1.0

    def score(course_id: str) -> tuple[float, float, str]:
        rate, bundle = rates[course_id]
        value = rate / top_rate
        if relevance:
            value = (1 - GOAL_WEIGHT) * value + GOAL_WEIGHT * relevance.get(course_id, 0.0)
        # Ties go to the shorter bundle, then to the lower course id (stable output).
        return (-value, sum(c.duration_hours for c in bundle), course_id)

    return rates[min(rates, key=score)][1]


def _explain(
    picks: Sequence[_Pick],
    catalogue: ProgramCatalogue,
    names: dict[str, str],
    relevance: dict[str, float],
    vouchers: int,
) -> list[Recommendation]:
    items: list[Recommendation] = []
    left = vouchers
    for pick in picks:
        course = pick.course
        parts: list[str] = []
        if pick.prerequisite_for:
            parts.append(f"needed first for {catalogue.courses[pick.prerequisite_for].title}")
        counted = [c for c, remaining in pick.remaining_before.items() if remaining > 0]
        if counted:
            toward = ", ".join(
                f"{names[c]} ({pick.remaining_before[c]} of "
                f"{catalogue.competencies[c].requirements.credits} credits still needed)"
                for c in counted
            )
            parts.append(f"counts toward {toward}")
        if course.id in relevance:
            parts.append("matches your goal")
        parts.append(f"{course.duration_hours:g} h")
        covered = course.voucher_eligible and left > 0
        if covered:
            parts.append(f"voucher eligible — you have {left} voucher{'' if left == 1 else 's'}")
            left -= 1
        elif course.voucher_eligible:
            parts.append("voucher eligible, but no vouchers left")
        items.append(
            Recommendation(
                course_id=course.id,
                title=course.title,
                hours=course.duration_hours,
                level=course.level,
                delivery=course.delivery,
                counts_toward=tuple(counted),
                gap_credits=pick.covered,
                voucher_eligible=course.voucher_eligible,
                voucher_covered=covered,
                prerequisite_for=pick.prerequisite_for,
                goal_match=course.id in relevance,
                explanation="; ".join(parts),
            )
        )
    return items
