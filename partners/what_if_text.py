"""What the assistant says about a what-if: the one place for its wording.

An answer says what was supposed, the tier that would follow (up, down or the
same), what would still be missing for the next tier (or the tier asked about), by
when (the transition deadline) and that the partner record is unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.provenance import merge, sample_figures, with_sample_note
from partners.catalogue import ProgramCatalogue
from partners.messages import deadline, requirement_lines
from partners.tiers import PartnerSnapshot, Requirement
from partners.what_if import closest_competencies, what_if
from partners.what_if_changes import Applied, CompetencyProgress, Outcome
from partners.what_if_mentions import Extractor
from partners.what_if_parse import Question, parse_what_if

EXAMPLES = (
    '"what if we earned Security and Data?", "what if two more people certify in Cloud?", '
    '"what if our satisfaction score rose to 8.6?" or "what if our revenue reached 600,000?"'
)
HELP = (
    "I can work out what-ifs about competencies, certified people, satisfaction score and "
    f"revenue; for example: {EXAMPLES} You can also combine them in one question."
)
UNCHANGED = "This is only a what-if: your partner record is unchanged."
NO_EFFECT = ("already_held", "not_held", "no_score")


@dataclass(frozen=True)
class WhatIfAnswer:
    """The reply to a what-if, and the outcome behind it (None: nothing to compute)."""

    text: str
    outcome: Outcome | None


def answer_what_if(
    catalogue: ProgramCatalogue,
    record: PartnerSnapshot,
    text: str,
    *,
    recorded_tier: str,
    today: dt.date,
    hinted_competencies: Iterable[str] = (),
    extract: Extractor | None = None,
) -> WhatIfAnswer:
    """Read the question, compute it on a copy of ``record`` and explain the outcome."""
    hypothesis = parse_what_if(
        text, catalogue, extract=extract, hinted_competencies=hinted_competencies
    )
    closest = [catalogue.competency_name(c) for c in closest_competencies(catalogue, record, 2)]
    questions = [question_text(question, closest) for question in hypothesis.questions]
    if not hypothesis.changes:
        return WhatIfAnswer("\n".join(questions) or HELP, None)
    outcome = what_if(
        catalogue,
        record,
        hypothesis.changes,
        recorded_tier=recorded_tier,
        today=today,
        target_tier=hypothesis.target_tier,
    )
    return WhatIfAnswer(explain(outcome, catalogue, questions), outcome)


def explain(outcome: Outcome, catalogue: ProgramCatalogue, questions: Sequence[str] = ()) -> str:
    """Answer a what-if from its outcome; ``questions`` are asked back at the end."""
    before, after = outcome.before, outcome.after
    supposed = _suppositions(outcome, catalogue)
    lines = [_no_effect(a, catalogue) for a in outcome.applied if a.kind in NO_EFFECT]
    if supposed:
        have = (
            f"have {len(after.competencies)} competencies and "
            if outcome.competencies_changed
            else ""
        )
        lines.append(
            f"If {_join(supposed)}, you would {have}{_move(before.tier, after.tier, catalogue)}."
        )
    else:
        lines.append(f"Nothing would change: you would still be **{after.tier}**.")
    for applied in outcome.applied:
        if applied.kind == "certify" and applied.progress is not None:
            lines.append(_progress(applied.progress, outcome, catalogue))
    if outcome.vouchers_earned:
        each = catalogue.rules.voucher_per_certification
        lines.append(
            f"Each certification passed earns {each} course voucher{_s(each)}: "
            f"{outcome.vouchers_earned} more."
        )
    lines += [_revenue_note(a, catalogue) for a in outcome.applied if a.kind == "revenue"]
    lines = [line for line in lines if line]
    lines += _still_missing(outcome, catalogue)
    lines.append(deadline(after))
    lines.append(UNCHANGED)
    lines += questions
    return with_sample_note("\n".join(lines), _sample_figures(outcome, catalogue))


def _sample_figures(outcome: Outcome, catalogue: ProgramCatalogue) -> tuple[str, ...]:
    """Return the sample figures the answer rests on: tiers, gap, competency rules."""
    target = outcome.target.items if outcome.target else ()
    parts: list[str] = []
    if any(applied.kind == "certify" for applied in outcome.applied):
        parts += ["competencies", "courses", "voucher_per_certification"]
    if any(a.kind == "more" or (a.kind == "earn" and a.area) for a in outcome.applied):
        parts += ["competencies", "courses"]
    return merge(
        outcome.before.sample_figures,
        outcome.after.sample_figures,
        *(item.sample_figures for item in target),
        sample_figures(catalogue.rules, parts),
    )


def question_text(question: Question, closest: Sequence[str]) -> str:
    """Ask back what a what-if left open; ``closest`` names competencies to suggest."""
    if question.kind == "certify_where":
        count = question.count
        subject = {0: "they", 1: "the person"}.get(count, f"the {count} people")
        who = (
            "one more person certifies"
            if count == 1
            else f"{_number_word(count or 2)} more people certify"
        )
        example = closest[0] if closest else "Security Operations"
        hint = f" You are closest to {_join(list(closest))}." if closest else ""
        return (
            f"Certified people count toward one competency: which one would {subject} "
            f'certify in?{hint} For example: "what if {who} in {example}?"'
        )
    if question.kind == "people_count":
        return (
            "How many more people would certify? For example: "
            '"what if two more people certify in Security?"'
        )
    if question.kind == "score_value":
        return (
            "What score do you mean? Client satisfaction scores run from 0 to 10; for "
            'example: "what if our satisfaction score rose to 8.6?"'
        )
    return (
        'How much revenue do you mean? For example: "what if our revenue reached 600,000?" '
        'or "what if our revenue grew by 20%?"'
    )


def _suppositions(outcome: Outcome, catalogue: ProgramCatalogue) -> list[str]:
    """Say what was supposed, one phrase per change; competencies earned together."""
    phrases: list[str] = []
    earned: list[str] = []
    for applied in outcome.applied:
        if applied.kind == "earn":
            earned.append(_competency(applied, catalogue))
            continue
        if earned:
            phrases.append(f"you earned {_join(earned)}")
            earned = []
        phrase = _supposition(applied, outcome, catalogue)
        if phrase:
            phrases.append(phrase)
    if earned:
        phrases.append(f"you earned {_join(earned)}")
    return phrases


def _competency(applied: Applied, catalogue: ProgramCatalogue) -> str:
    """Name the competency; for one chosen from an area, say how it was chosen."""
    name = catalogue.competency_name(applied.competency_ids[0])
    if applied.area:
        return f"{name} (of the {applied.area} competencies, the one you are closest to)"
    return name


def _supposition(applied: Applied, outcome: Outcome, catalogue: ProgramCatalogue) -> str:
    names = [catalogue.competency_name(c) for c in applied.competency_ids]
    if applied.kind == "lose":
        return f"you lost {names[0]}"
    if applied.kind == "more":
        counted = f" (I counted the ones you are closest to: {_join(names)})" if names else ""
        noun = "competency" if applied.count == 1 else "competencies"
        return f"you earned {applied.count} more {noun}{counted}"
    if applied.kind == "certify":
        who = (
            "one more of your people"
            if applied.count == 1
            else f"{applied.count} more of your people"
        )
        return f"{who} certified in {_competency(applied, catalogue)}"
    if applied.kind == "score":
        now = "you have no score yet" if applied.before is None else f"it is {applied.before:.1f}"
        return f"your client satisfaction score was {applied.after:.1f} ({now})"
    if applied.kind == "revenue":
        return _revenue(applied, outcome, catalogue)
    return ""


def _revenue(applied: Applied, outcome: Outcome, catalogue: ProgramCatalogue) -> str:
    record = catalogue.country(outcome.before.country)
    now = f"{applied.before or 0:,.0f} {record.currency if record else ''}".strip()
    text = f"your revenue last year was {applied.after or 0:,.0f} {applied.unit}".strip()
    if applied.country is None:
        return f"{text} (it is {now})"
    there = catalogue.country(applied.country)
    home = record.name if record else outcome.before.country
    return f"{text} in {there.name if there else applied.country} (your record: {now} in {home})"


def _revenue_note(applied: Applied, catalogue: ProgramCatalogue) -> str:
    """Say which thresholds and currency a revenue what-if was compared in, when unusual."""
    notes = []
    if applied.country is not None:
        there = catalogue.country(applied.country)
        name = there.name if there else applied.country
        notes.append(
            f"I compared it with {name}'s revenue thresholds, as if you were a partner there."
        )
    if applied.written_currency and applied.written_currency != applied.unit:
        notes.append(
            f"Those thresholds are in {applied.unit}, so I read the amount as {applied.unit}."
        )
    return " ".join(notes)


def _no_effect(applied: Applied, catalogue: ProgramCatalogue) -> str:
    names = [catalogue.competency_name(c) for c in applied.competency_ids]
    if applied.kind == "already_held":
        if applied.area and not names:
            return f"You hold no {applied.area} competency I could add."
        return f"You already hold {names[0]}." if names else ""
    if applied.kind == "not_held":
        what = names[0] if names else f"any {applied.area} competency"
        return f"You don't hold {what}, so there is nothing to lose."
    return (
        f"You have no client satisfaction score yet, so I can't move it by {applied.after:+.1f}; "
        'ask with a score instead, for example "what if our satisfaction score was 8.0?"'
    )


def _move(before: str, after: str, catalogue: ProgramCatalogue) -> str:
    old, new = catalogue.tier(before), catalogue.tier(after)
    if old is None or new is None or old.rank == new.rank:
        return f"still be **{after}**"
    direction = "move up" if new.rank > old.rank else "drop"
    return f"{direction} from {before} to **{after}**"


def _progress(progress: CompetencyProgress, outcome: Outcome, catalogue: ProgramCatalogue) -> str:
    name = catalogue.competency_name(progress.competency_id)
    people = f"{progress.people} of the {progress.people_needed} certified people it needs"
    if progress.competency_id in outcome.before.competencies:
        return f"You already hold {name}: more certified people do not change your tier."
    if progress.complete:
        references = progress.client_references
        return (
            f"{name} would then have {people} and its credits and required courses, so I "
            f"counted it as earned. It also needs {references} client reference"
            f"{_s(references)}, which your partner record does not hold: the program office "
            "checks those."
        )
    missing = []
    if progress.people < progress.people_needed:
        missing.append(f"{progress.people_needed - progress.people} more certified people")
    if progress.credits_missing:
        missing.append(f"{progress.credits_missing} course credits")
    if progress.courses_missing:
        courses = [
            f"{c} {catalogue.courses[c].title}"
            for c in progress.courses_missing
            if c in catalogue.courses
        ]
        missing.append(f"the required course{_s(len(courses))} {_join(courses)}")
    still = _join(missing)
    return f"{name} would have {people}, but it would not be earned yet: it still needs {still}."


def _still_missing(outcome: Outcome, catalogue: ProgramCatalogue) -> list[str]:
    after, target = outcome.after, outcome.target
    old, new = catalogue.tier(outcome.before.tier), catalogue.tier(after.tier)
    dropped = old is not None and new is not None and new.rank < old.rank
    miss = "you would miss" if dropped else "you would still miss"
    if target is not None:
        if not target.missing:
            return [f"That meets every requirement of {target.target}."]
        return [f"For {target.target} {miss}:", *_bullets(target.missing)]
    if after.next_tier is None:
        return ["That is the highest tier."]
    if not after.missing:
        return []
    return [f"For {after.next_tier} {miss}:", *_bullets(after.missing)]


def _bullets(items: tuple[Requirement, ...]) -> list[str]:
    return requirement_lines(items, show_met=False)


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _number_word(count: int) -> str:
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    return words.get(count, str(count))
