"""Follow-up questions about the last competency or course, and course lists.

"How long is it?", "what are the prerequisites?", "how many credits?", "is it
voucher eligible?" refer to what the previous answer was about (the ``last_doc_id``
slot) unless the message names another competency or course. Every reply is made
of catalogue values and cites the entry they come from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge import live
from knowledge.answers import (
    Answer,
    AnswerContext,
    answer_question,
    grounded,
    unknown_competency_answer,
)
from knowledge.catalogue import Catalogue
from knowledge.entities import EntityMatch, message_entities
from knowledge.models import Competency, Course, Document
from knowledge.names import resolve_competency, resolve_course, unknown_competency
from knowledge.search import get_document

ASPECTS: dict[str, re.Pattern[str]] = {
    "voucher": re.compile(r"voucher"),
    "prerequisites": re.compile(r"pre-?req|before (?:i|we|you) (?:take|start)|first need"),
    "credits": re.compile(r"credit"),
    "transfer": re.compile(r"certification|transfer"),
    "duration": re.compile(r"how long|duration|hours?\b|how much time|take to|length"),
    "level": re.compile(r"\blevel\b|beginner|advanced|intermediate|difficult|\bhard\b"),
    "delivery": re.compile(r"deliver|online|classroom|self-paced|in person|format|remote|\blab\b"),
    "courses": re.compile(r"course|class|training"),
    "requirements": re.compile(r"requir|need|earn|criteria|get it|qualify"),
}
ASK_WHICH_COMPETENCY = (
    'Which competency do you mean? For example: "which courses count toward Security Operations?"'
)
LEVEL_ORDER = {"beginner": 0, "intermediate": 1, "advanced": 2}
ASK_WHICH = (
    "Which competency or course do you mean? For example: "
    '"how long is U-SEC-101?" or "what does the Security Operations competency require?"'
)


def _hours(hours: float) -> str:
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def aspect_of(text: str) -> str | None:
    """Return what a follow-up asks about (``duration``, ``credits`` ...), if clear."""
    lowered = text.lower()
    return next((name for name, pattern in ASPECTS.items() if pattern.search(lowered)), None)


def _doc(doc_id: str) -> Document:
    document = get_document(doc_id)
    if document is None:  # the catalogue and the index are checked to match
        raise LookupError(f"{doc_id} is not in the index")
    return document


def _course_line(course: Course, required: bool = False) -> str:
    voucher = "voucher eligible" if course.voucher_eligible else "no voucher"
    flag = " (required)" if required else ""
    return (
        f"- {course.id} {course.title}: {_hours(course.duration_hours)}, {course.level}, "
        f"{course.delivery}, {course.credits} credits, {voucher}{flag}"
    )


def course_aspect(course: Course, aspect: str | None, catalogue: Catalogue) -> Answer:
    """Answer one aspect of a course from its catalogue entry."""
    name = f"{course.title} ({course.id})"
    doc = _doc(course.id)
    if aspect == "duration":
        text = f"{name} takes {_hours(course.duration_hours)}, {course.delivery}."
    elif aspect == "prerequisites":
        prereqs = [f"{catalogue.course_by_id[p].title} ({p})" for p in course.prerequisites]
        text = f"{name} has no prerequisites."
        if prereqs:
            text = f"Prerequisites of {name}: {_join(prereqs)}."
    elif aspect in ("credits", "requirements", "transfer"):
        names = [f"{catalogue.competency_by_id[c].name} ({c})" for c in course.competencies]
        text = f"{name} gives {course.credits} credits toward {_join(names)}."
    elif aspect == "voucher":
        text = f"{name} is not voucher eligible."
        if course.voucher_eligible:
            text = f"{name} is voucher eligible: a free certification voucher can pay for it."
    elif aspect == "level":
        article = "an" if course.level[0] in "aeiou" else "a"
        text = f"{name} is {article} {course.level} course."
    elif aspect == "delivery":
        text = f"{name} is delivered {course.delivery} ({_hours(course.duration_hours)})."
    else:
        text = doc.text
    return grounded(text, [doc])


def competency_aspect(competency: Competency, aspect: str | None, catalogue: Catalogue) -> Answer:
    """Answer one aspect of a competency from its catalogue entry."""
    if aspect == "courses":
        return list_courses_for(competency, catalogue)
    doc = _doc(competency.id)
    if aspect == "duration":
        text = _competency_hours(competency, catalogue)
    elif aspect == "transfer":
        text = _competency_transfers(competency)
    elif aspect == "voucher":
        eligible = [c for c in catalogue.courses_by_competency[competency.id] if c.voucher_eligible]
        total = len(catalogue.courses_by_competency[competency.id])
        text = f"{len(eligible)} of the {total} courses that count toward {competency.name} "
        text += "are voucher eligible:\n" + "\n".join(_course_line(c) for c in eligible)
    elif aspect in ("requirements", "prerequisites", "credits"):
        text = _competency_requirements(competency, catalogue)
    else:
        text = doc.text
    return grounded(text, [doc])


def _competency_hours(competency: Competency, catalogue: Catalogue) -> str:
    required = [catalogue.course_by_id[c] for c in competency.requirements.required_courses]
    courses = required or list(catalogue.courses_by_competency[competency.id])
    which = "required courses" if required else "courses that count toward it"
    hours = _hours(sum(course.duration_hours for course in courses))
    lines = "\n".join(_course_line(course) for course in courses)
    return f"The {len(courses)} {which} of {competency.name} take {hours} in all:\n{lines}"


def _competency_transfers(competency: Competency) -> str:
    transfers = [f"{t.certification}: {t.credits} credits" for t in competency.credit_transfer]
    if not transfers:
        return f"No earlier certification transfers credit to {competency.name}."
    return f"Earlier certifications that count toward {competency.name}: {'; '.join(transfers)}."


def _competency_requirements(competency: Competency, catalogue: Catalogue) -> str:
    req = competency.requirements
    courses = [f"{catalogue.course_by_id[c].title} ({c})" for c in req.required_courses]
    text = (
        f"To earn {competency.name} ({competency.id}) a partner needs {req.credits} course "
        f"credits, {req.certified_people} certified people and {req.client_references} "
        "client references"
    )
    return text + (f", including the required courses {_join(courses)}." if courses else ".")


def list_courses_for(competency: Competency, catalogue: Catalogue) -> Answer:
    """List the courses counting toward a competency, required ones first."""
    required = set(competency.requirements.required_courses)
    courses = sorted(
        catalogue.courses_by_competency[competency.id],
        key=lambda c: (c.id not in required, LEVEL_ORDER[c.level], c.id),
    )
    total = sum(course.duration_hours for course in courses)
    text = (
        f"{len(courses)} courses count toward **{competency.name}** ({competency.id}), "
        f"{_hours(total)} in all:\n" + "\n".join(_course_line(c, c.id in required) for c in courses)
    )
    return grounded(text, [_doc(competency.id)])


def _named(entities: Sequence[EntityMatch], label: str) -> str | None:
    return next((match.id for match in entities if match.label == label), None)


@live.pinned()  # one release for the whole turn, whatever is installed meanwhile
def answer_followup(text: str, context: AnswerContext | None = None) -> Answer:
    """Answer a follow-up about the competency or course discussed last.

    A competency or course named in ``text`` wins over the conversation's last
    document; without either, the reply asks which one is meant. A last document
    that is a rule or fact has no such details, so the text is answered as a new
    question.
    """
    context = context or AnswerContext()
    catalogue = live.current().catalogue
    entities = message_entities(text, context.tagged)
    missing = unknown_competency(text, entities)
    if missing:
        return unknown_competency_answer(missing, catalogue)
    aspect = aspect_of(text)
    course = resolve_course(_named(entities, "course"), catalogue)
    competency = resolve_competency(_named(entities, "competency"), catalogue)
    if course is None and competency is None and context.last_doc_id:
        course = resolve_course(context.last_doc_id, catalogue)
        competency = resolve_competency(context.last_doc_id, catalogue)
    if course is None and competency is None:
        course = resolve_course(context.course, catalogue)
        competency = resolve_competency(context.competency, catalogue)
    if course is not None:
        return course_aspect(course, aspect, catalogue)
    if competency is not None:
        return competency_aspect(competency, aspect, catalogue)
    if context.last_doc_id:
        return answer_question(text, context)
    return Answer(text=ASK_WHICH)


@live.pinned()  # one release for the whole turn, whatever is installed meanwhile
def list_courses(text: str, context: AnswerContext | None = None) -> Answer:
    """List the courses that count toward the competency named or discussed last."""
    context = context or AnswerContext()
    catalogue = live.current().catalogue
    entities = message_entities(text, context.tagged)
    missing = unknown_competency(text, entities)
    if missing:
        return unknown_competency_answer(missing, catalogue)
    competency = resolve_competency(_named(entities, "competency"), catalogue)
    if competency is None:
        competency = resolve_competency(context.competency, catalogue) or resolve_competency(
            context.last_doc_id, catalogue
        )
    if competency is None:
        last_course = resolve_course(context.last_doc_id, catalogue)
        if last_course is not None:
            competency = catalogue.competency_by_id[last_course.competencies[0]]
    if competency is None:
        return Answer(text=ASK_WHICH_COMPETENCY)
    return list_courses_for(competency, catalogue)
