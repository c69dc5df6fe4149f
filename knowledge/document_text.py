"""The text of each index document, written the way a partner asks about it.

Each function turns one catalogue entry into a ``Document`` whose text holds what
a partner would want to know about it in plain sentences (course titles rather
than bare ids), so that both the search and a grounded answer can use it directly. Each document
also lists the sample figures its text states (``knowledge.provenance``), so that an
answer built from it says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from knowledge import provenance
from knowledge.models import Competency, Country, Course, Document, Fact, ProgramRules, Tier

TRANSITION_DOC_ID = "R-TRANSITION"

# How each delivery mode reads in a sentence ("8 hours, taught in a classroom").
DELIVERY_TEXT = {
    "self-paced": "self-paced online",
    "virtual classroom": "taught in a virtual classroom",
    "classroom": "taught in a classroom",
    "lab": "taught as a hands-on lab",
}


def tier_doc_id(tier_name: str) -> str:
    """Document id of a tier's rules, e.g. ``R-TIER-GOLD``."""
    return f"R-TIER-{tier_name.upper()}"


def country_doc_id(country_code: str) -> str:
    """Document id of a country's rules, e.g. ``R-COUNTRY-DE``."""
    return f"R-COUNTRY-{country_code.upper()}"


def _hours(hours: float) -> str:
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _course_ref(course_id: str, course_by_id: Mapping[str, Course]) -> str:
    course = course_by_id.get(course_id)
    return f"{course.title} ({course_id})" if course else course_id


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _people(count: int) -> str:
    return f"{count} certified " + ("person" if count == 1 else "people")


def _place(country_name: str) -> str:
    """Country name as it reads after "in": "the United Kingdom", "Germany"."""
    needs_article = country_name.startswith(("United ", "Netherlands", "Philippines"))
    return f"the {country_name}" if needs_article else country_name


def _money(amount: int, currency: str) -> str:
    return f"{amount:,} {currency}"


def competency_document(
    competency: Competency, course_by_id: Mapping[str, Course], rules: ProgramRules
) -> Document:
    """Describe a competency: what it covers, what it requires, what counts toward it."""
    req = competency.requirements
    counting = [c for c in course_by_id.values() if competency.id in c.competencies]
    parts = [
        f"{competency.name} ({competency.id}) is a competency in the {competency.area} area.",
        competency.description,
    ]
    if competency.aliases:
        parts.append(f"Partners also call it: {', '.join(competency.aliases)}.")
    required = [_course_ref(c, course_by_id) for c in req.required_courses]
    parts.append(
        f"Requirements to earn the {competency.name} competency: {req.credits} course "
        f"credits, {_people(req.certified_people)} and {req.client_references} client "
        + ("reference" if req.client_references == 1 else "references")
        + (f", including the required courses {_join(required)}." if required else ".")
    )
    if competency.credit_transfer:
        transfers = [
            f"{t.certification} counts {t.credits} credits" for t in competency.credit_transfer
        ]
        parts.append(
            f"Credit from earlier product certifications: {_join(transfers)} toward "
            f"{competency.name}."
        )
    else:
        parts.append("No earlier product certification transfers credit to it.")
    if counting:
        hours = sum(c.duration_hours for c in counting)
        parts.append(
            f"{len(counting)} University courses count toward it ({_hours(hours)} in all), "
            f"for example {_join([c.title for c in counting[:4]])}."
        )
    figures = ["competencies", "courses"]
    if competency.id == rules.client_satisfaction_competency:
        needed = [t.name for t in rules.tiers if t.requirements.client_satisfaction_competency]
        parts.append(
            f"It is the first competency every partner needs: {_join(needed)} all require it."
        )
        figures.append("client_satisfaction_competency")
        figures += [
            f"tiers.{t.name}.requirements.client_satisfaction_competency" for t in rules.tiers
        ]
    return Document(
        id=competency.id,
        kind="competency",
        title=competency.name,
        text=" ".join(parts),
        area=competency.area,
        sample_figures=provenance.sample_figures(rules, figures),
    )


def course_document(
    course: Course,
    course_by_id: Mapping[str, Course],
    competency_by_id: Mapping[str, Competency],
    rules: ProgramRules | None = None,
) -> Document:
    """Describe a course: level, length, delivery, prerequisites, credits, vouchers.

    ``rules`` says whether the course and competency files are sample; without
    them the course is taken as sample (a label too many beats a false fact).
    """
    names = [competency_by_id[c].name if c in competency_by_id else c for c in course.competencies]
    prerequisites = [_course_ref(p, course_by_id) for p in course.prerequisites]
    parts = [
        f"{course.title} ({course.id}) is {_article(course.level)} {course.level} "
        "PartnerWorld University course: "
        f"{_hours(course.duration_hours)}, "
        f"{DELIVERY_TEXT.get(course.delivery, course.delivery)}.",
        course.summary,
        f"Prerequisites: {_join(prerequisites)}." if prerequisites else "Prerequisites: none.",
        f"It counts toward the {_join(names)} "
        + ("competency" if len(names) == 1 else "competencies")
        + f" with {course.credits} credits"
        + (" toward each." if len(names) > 1 else "."),
        "Voucher eligible: yes, a free certification voucher can pay for it."
        if course.voucher_eligible
        else "Voucher eligible: no, vouchers cannot be used for this course.",
    ]
    first_area = competency_by_id.get(course.competencies[0])
    parts_stated = ("competencies", "courses")
    return Document(
        id=course.id,
        kind="course",
        title=course.title,
        text=" ".join(parts),
        area=first_area.area if first_area else None,
        level=course.level,
        sample_figures=(provenance.sample_figures(rules, parts_stated) if rules else parts_stated),
    )


def _requirement_text(tier: Tier, csat_name: str) -> str:
    req = tier.requirements
    if req.competencies == 0 and not req.revenue and not req.client_satisfaction_competency:
        return f"The {tier.name} tier has no competency, satisfaction or revenue requirement."
    parts = [f"{req.competencies} competencies"]
    if req.client_satisfaction_competency:
        parts[0] += f", {csat_name} among them"
    if req.min_satisfaction_score is not None:
        parts.append(
            f"an average client satisfaction score of at least {req.min_satisfaction_score:g}"
        )
    if req.revenue:
        parts.append("the country's revenue threshold")
    return f"To reach the {tier.name} tier a partner needs {_join(parts)}."


def tier_document(tier: Tier, rules: ProgramRules) -> Document:
    """Describe a tier: requirements, benefits and its revenue threshold per country."""
    csat = rules.client_satisfaction_competency
    csat_name = "the Client Satisfaction competency" if csat == "C-CLIENT-SAT" else csat
    parts = [
        f"{tier.name} tier (level {tier.rank + 1} of {len(rules.tiers)}).",
        tier.summary,
        _requirement_text(tier, csat_name),
        f"Benefits of {tier.name} partners: {'; '.join(tier.benefits)}.",
        "Benefits vary somewhat by country and are not tied to earnings: "
        "no tier pays a higher margin.",
    ]
    figures = [f"tiers.{tier.name}.{name}" for name in ("rank", "summary", "benefits")]
    figures += [f"tiers.{tier.name}.requirements"]
    if tier.requirements.client_satisfaction_competency:
        figures.append("client_satisfaction_competency")
    if tier.requirements.revenue:
        thresholds = [
            f"{c.name} {_money(c.revenue_thresholds[tier.name], c.currency)}"
            for c in rules.countries
            if tier.name in c.revenue_thresholds
        ]
        parts.append(f"{tier.name} revenue threshold by country: {'; '.join(thresholds)}.")
        figures += [f"countries.{c.code}.revenue_thresholds.{tier.name}" for c in rules.countries]
    return Document(
        id=tier_doc_id(tier.name),
        kind="rule",
        title=f"{tier.name} tier",
        text=" ".join(parts),
        sample_figures=provenance.sample_figures(rules, figures),
    )


def country_document(country: Country, rules: ProgramRules) -> Document:
    """Describe a country: revenue thresholds, local differences, benefits per tier."""
    place = _place(country.name)
    thresholds = [
        f"{t.name} {_money(country.revenue_thresholds[t.name], country.currency)}"
        for t in rules.tiers
        if t.requirements.revenue and t.name in country.revenue_thresholds
    ]
    parts = [
        f"Partner program rules in {place} ({country.code}).",
        f"Annual revenue thresholds in {place}, in {country.currency}: "
        f"{'; '.join(thresholds)}; Registered has none.",
    ]
    differences = []
    for tier in rules.tiers:
        excluded = country.excluded_benefits.get(tier.name, [])
        extra = country.extra_benefits.get(tier.name, [])
        if excluded:
            differences.append(
                f"{tier.name} partners in {place} do not get: {'; '.join(excluded)} "
                "(not allowed by local law)"
            )
        if extra:
            differences.append(f"{tier.name} partners in {place} also get: {'; '.join(extra)}")
    parts.append(
        "Differences from the standard benefits: " + ". ".join(differences) + "."
        if differences
        else f"Partners in {place} get the standard benefits of each tier."
    )
    for tier in rules.tiers:
        left_out = set(country.excluded_benefits.get(tier.name, []))
        added = country.extra_benefits.get(tier.name, [])
        benefits = [b for b in tier.benefits if b not in left_out] + list(added)
        parts.append(f"{tier.name} benefits in {place}: {'; '.join(benefits)}.")
    figures = [f"countries.{country.code}"]
    figures += [f"tiers.{t.name}.{name}" for t in rules.tiers for name in ("benefits", "rank")]
    figures += [f"tiers.{t.name}.requirements.revenue" for t in rules.tiers]
    return Document(
        id=country_doc_id(country.code),
        kind="rule",
        title=f"Tier rules and benefits in {place}",
        text=" ".join(parts),
        sample_figures=provenance.sample_figures(rules, figures),
    )


def transition_document(rules: ProgramRules, competencies: Sequence[Competency]) -> Document:
    """Describe the transition window and how earlier certifications carry credit."""
    window = rules.transition
    transfers = [
        f"{t.certification} gives {t.credits} credits toward {c.name}"
        for c in competencies[:3]
        for t in c.credit_transfer[:1]
    ]
    parts = [
        f"Transition window: partners have {window.months} months, from "
        f"{window.start:%-d %B %Y} to {window.end:%-d %B %Y}, to build the new competencies.",
        "Much of the credit from the product certifications a partner already holds "
        "applies toward the new competencies; each competency lists which earlier "
        "certifications transfer and how many credits they carry",
        f"(for example {_join(transfers)})." if transfers else ".",
        f"Every certification passed earns {rules.voucher_per_certification} free voucher"
        + ("" if rules.voucher_per_certification == 1 else "s")
        + " for further University classes.",
    ]
    figures = ["transition", "voucher_per_certification"]
    if transfers:
        figures.append("competencies")
    return Document(
        id=TRANSITION_DOC_ID,
        kind="rule",
        title="Transition to the competency program",
        text=" ".join(parts),
        sample_figures=provenance.sample_figures(rules, figures),
    )


def fact_document(fact: Fact) -> Document:
    """Wrap a fact, already answerable text, keeping its kind (rule or fact) and source."""
    return Document(
        id=fact.id,
        kind=fact.kind,
        title=fact.title,
        text=f"{fact.title}. {fact.text}",
        sample_figures=provenance.fact_sample_figures(fact),
    )
