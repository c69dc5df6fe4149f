"""Cross-reference checks between the catalogue files.

Each entry has already passed its pydantic model; these checks catch what a single
entry cannot show: unknown or duplicate ids, prerequisite cycles, tiers whose
requirements go down, benefits a country excludes that no tier grants. Every
problem is one line naming the file, the entry and the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.models import Competency, Course, Fact, ProgramRules

TIER_ORDER = ("Registered", "Silver", "Gold", "Platinum")


@dataclass(frozen=True)
class FileNames:
    """How each file is named in messages (relative to the repo root when inside it)."""

    competencies: str
    courses: str
    tiers: str
    facts: str


def check_all(
    competencies: Sequence[Competency],
    courses: Sequence[Course],
    rules: ProgramRules,
    facts: Sequence[Fact],
    files: FileNames,
) -> list[str]:
    """Run every cross-reference check.

    Args:
        competencies: Entries of ``competencies.yaml``.
        courses: Entries of ``courses.yaml``.
        rules: Contents of ``tiers.yaml``.
        facts: Entries of ``facts.yaml``.
        files: Display names of the four files.

    Returns:
        One message per problem; empty when the catalogue is consistent.

    """
    problems = _duplicate_ids(files.competencies, [c.id for c in competencies])
    problems += _duplicate_ids(files.courses, [c.id for c in courses])
    problems += _duplicate_ids(files.facts, [f.id for f in facts])
    problems += check_competencies(competencies, courses, files.competencies)
    problems += check_courses(competencies, courses, files.courses)
    problems += check_rules(rules, competencies, files.tiers)
    return problems


def _duplicate_ids(file: str, ids: Iterable[str]) -> list[str]:
    first_seen: dict[str, int] = {}
    problems = []
    for index, entry_id in enumerate(ids, start=1):
        if entry_id in first_seen:
            problems.append(
                f"{file}: entry {entry_id}: field 'id': duplicate id "
                f"(entries #{first_seen[entry_id]} and #{index})"
            )
        else:
            first_seen[entry_id] = index
    return problems


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def check_competencies(
    competencies: Sequence[Competency], courses: Sequence[Course], file: str
) -> list[str]:
    """Names and aliases unambiguous, required courses real and enough credits on offer."""
    problems: list[str] = []
    course_by_id = {c.id: c for c in courses}
    owner: dict[str, str] = {}
    for competency in competencies:
        for name in {_key(competency.id), _key(competency.name)}:
            if owner.setdefault(name, competency.id) != competency.id:
                problems.append(
                    f"{file}: entry {competency.id}: field 'name': '{competency.name}' is "
                    f"also a name or alias of {owner[name]}"
                )
    for competency in competencies:
        for alias in competency.aliases:
            if owner.setdefault(_key(alias), competency.id) != competency.id:
                problems.append(
                    f"{file}: entry {competency.id}: field 'aliases': '{alias}' is "
                    f"also a name or alias of {owner[_key(alias)]}"
                )
        for course_id in competency.requirements.required_courses:
            course = course_by_id.get(course_id)
            if course is None:
                problems.append(
                    f"{file}: entry {competency.id}: field 'requirements.required_courses': "
                    f"unknown course '{course_id}'"
                )
            elif competency.id not in course.competencies:
                problems.append(
                    f"{file}: entry {competency.id}: field 'requirements.required_courses': "
                    f"course '{course_id}' does not count toward {competency.id}"
                )
        on_offer = sum(c.credits for c in courses if competency.id in c.competencies)
        if competency.requirements.credits > on_offer:
            problems.append(
                f"{file}: entry {competency.id}: field 'requirements.credits': "
                f"{competency.requirements.credits} credits required but the courses "
                f"counting toward it give only {on_offer}"
            )
    return problems


def check_courses(
    competencies: Sequence[Competency], courses: Sequence[Course], file: str
) -> list[str]:
    """Competency and prerequisite references exist; titles unique; no cycles."""
    problems: list[str] = []
    competency_ids = {c.id for c in competencies}
    course_ids = {c.id for c in courses}
    titles: dict[str, str] = {}
    for course in courses:
        for competency_id in course.competencies:
            if competency_id not in competency_ids:
                problems.append(
                    f"{file}: entry {course.id}: field 'competencies': "
                    f"unknown competency '{competency_id}'"
                )
        for prerequisite in course.prerequisites:
            if prerequisite == course.id:
                problems.append(
                    f"{file}: entry {course.id}: field 'prerequisites': "
                    "a course cannot be its own prerequisite"
                )
            elif prerequisite not in course_ids:
                problems.append(
                    f"{file}: entry {course.id}: field 'prerequisites': "
                    f"unknown course '{prerequisite}'"
                )
        if titles.setdefault(_key(course.title), course.id) != course.id:
            problems.append(
                f"{file}: entry {course.id}: field 'title': '{course.title}' is also "
                f"the title of {titles[_key(course.title)]}"
            )
    for cycle in _prerequisite_cycles(courses):
        problems.append(
            f"{file}: entry {cycle[0]}: field 'prerequisites': prerequisite cycle "
            + " -> ".join(cycle)
        )
    return problems


def _prerequisite_cycles(courses: Sequence[Course]) -> list[list[str]]:
    """Find prerequisite cycles by depth-first search; each cycle is reported once."""
    graph = {c.id: [p for p in c.prerequisites if p != c.id] for c in courses}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = fully explored
    cycles: list[list[str]] = []
    for root in graph:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, child_index = stack.pop()
            if child_index == 0:
                state[node] = 1
                path.append(node)
            children = graph.get(node, [])
            if child_index < len(children):
                stack.append((node, child_index + 1))
                child = children[child_index]
                if state.get(child) == 1:
                    cycles.append(path[path.index(child) :] + [child])
                elif child in graph and not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return cycles


def _months_after(start: dt.date, months: int) -> dt.date:
    month_index = start.year * 12 + start.month - 1 + months
    year, month = divmod(month_index, 12)
    next_month = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(start.day, last_day))


def check_rules(rules: ProgramRules, competencies: Sequence[Competency], file: str) -> list[str]:
    """Tier order and monotonic requirements, transition dates, country consistency."""
    problems: list[str] = []
    by_id = {c.id: c for c in competencies}
    csat = by_id.get(rules.client_satisfaction_competency)
    if csat is None:
        problems.append(
            f"{file}: entry (top level): field 'client_satisfaction_competency': "
            f"unknown competency '{rules.client_satisfaction_competency}'"
        )
    else:
        others = [c.id for c in competencies if c.area == csat.area and c.id != csat.id]
        if others:
            problems.append(
                f"{file}: entry (top level): field 'client_satisfaction_competency': "
                f"exactly one client-satisfaction competency expected, but "
                f"{', '.join(others)} share its area '{csat.area}'"
            )
    expected_end = _months_after(rules.transition.start, rules.transition.months)
    if rules.transition.end != expected_end:
        problems.append(
            f"{file}: entry transition: field 'end': {rules.transition.end} is not "
            f"{rules.transition.months} months after {rules.transition.start} "
            f"(expected {expected_end})"
        )
    problems += _check_tiers(rules, len(competencies), file)
    problems += _check_countries(rules, file)
    return problems


def _check_tiers(rules: ProgramRules, competency_count: int, file: str) -> list[str]:
    problems: list[str] = []
    for rank, (tier, expected) in enumerate(zip(rules.tiers, TIER_ORDER, strict=False)):
        if tier.name != expected or tier.rank != rank:
            problems.append(
                f"{file}: entry {tier.name}: field 'rank': tiers must be listed lowest first "
                f"as {', '.join(TIER_ORDER)} with ranks 0-3 (found rank {tier.rank} "
                f"at position {rank + 1})"
            )
        if tier.requirements.competencies > competency_count:
            problems.append(
                f"{file}: entry {tier.name}: field 'requirements.competencies': "
                f"{tier.requirements.competencies} exceeds the {competency_count} in the catalogue"
            )
    for lower, higher in zip(rules.tiers, rules.tiers[1:], strict=False):
        low, high = lower.requirements, higher.requirements
        decreasing = {
            "competencies": high.competencies < low.competencies,
            "client_satisfaction_competency": low.client_satisfaction_competency
            and not high.client_satisfaction_competency,
            "min_satisfaction_score": (high.min_satisfaction_score or 0)
            < (low.min_satisfaction_score or 0),
            "revenue": low.revenue and not high.revenue,
        }
        for name, is_lower in decreasing.items():
            if is_lower:
                problems.append(
                    f"{file}: entry {higher.name}: field 'requirements.{name}': lower than "
                    f"{lower.name}'s (a higher tier includes the lower tiers' requirements)"
                )
    return problems


def _check_countries(rules: ProgramRules, file: str) -> list[str]:
    problems: list[str] = []
    tier_benefits = {t.name: set(t.benefits) for t in rules.tiers}
    seen: set[str] = set()
    for country in rules.countries:
        if country.code in seen:
            problems.append(f"{file}: entry {country.code}: field 'code': duplicate country code")
        seen.add(country.code)
        thresholds = country.revenue_thresholds
        missing = [name for name in TIER_ORDER if name not in thresholds]
        if missing:
            problems.append(
                f"{file}: entry {country.code}: field 'revenue_thresholds': "
                f"missing {', '.join(missing)}"
            )
        values = [thresholds[name] for name in TIER_ORDER if name in thresholds]
        if any(value < 0 for value in values) or values != sorted(values):
            problems.append(
                f"{file}: entry {country.code}: field 'revenue_thresholds': "
                "thresholds must be zero or more and never lower for a higher tier"
            )
        for tier_name, excluded in country.excluded_benefits.items():
            for benefit in excluded:
                if benefit not in tier_benefits.get(tier_name, set()):
                    problems.append(
                        f"{file}: entry {country.code}: field 'excluded_benefits.{tier_name}': "
                        f"'{benefit}' is not one of the {tier_name} tier's benefits"
                    )
    return problems
