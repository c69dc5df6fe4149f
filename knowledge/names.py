"""Names in a message: resolving them to catalogue entries, spotting unknown ones.

"What does the Quantum Baking competency require?" names a competency the
catalogue lacks; "U-XYZ-999" a course that does not exist. Such questions get
"I don't know that one" with the closest names, never an answer about something
merely similar.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from knowledge.catalogue import Catalogue
from knowledge.entities import EntityMatch
from knowledge.models import Competency, Course
from knowledge.search import search

SUGGESTION_COUNT = 3
GENERIC_WORDS = {
    "a", "an", "the", "this", "that", "which", "what", "each", "every", "first", "next",
    "new", "one", "any", "my", "our", "your", "their", "same", "other", "another",
    "required", "needed", "single", "right", "only", "last", "previous", "second",
    "many", "most", "few", "how", "whose", "its", "his", "her", "of", "for", "in",
}  # fmt: skip
CONNECTORS = {"and", "or", "-", "plus"}
NAMED_COMPETENCY = re.compile(
    r"(?:^|\b(?:the|a|an|about|does|is|for|of|toward|towards|earn|get)\s+)"
    r"(?P<name>[\w&/+.'-]+(?:\s+[\w&/+.'-]+){0,3}?)\s+competenc(?:y|ies)\b",
    re.IGNORECASE,
)
COURSE_ID = re.compile(r"\bU-[A-Z0-9]+(?:-[A-Z0-9]+)*\b", re.IGNORECASE)


def unknown_competency(text: str, entities: Sequence[EntityMatch]) -> str | None:
    """Return the name of a competency the message names that the catalogue lacks.

    The words before "competency" name a known one when a catalogue phrase
    (name or alias) is among them ("multicloud integration competency"), or when
    typo matches cover every word ("securiti competency"). A typo match on part of
    the name ("Baking" in "Quantum Baking") does not make it known.
    """
    matches = [m for m in entities if m.label == "competency"]
    for found in NAMED_COMPETENCY.finditer(text):
        offset = found.start("name")
        words = [
            (word.group(), offset + word.start(), offset + word.end())
            for word in re.finditer(r"[^\s/,&+]+", found.group("name"))
        ]
        while words and words[0][0].lower() in GENERIC_WORDS:
            words = words[1:]
        if not words or any(word.lower() in GENERIC_WORDS for word, _, _ in words):
            continue  # "the first competency", "which competency": not a name
        inside = [m for m in matches if m.start < words[-1][2] and m.end > words[0][1]]
        if any(not m.fuzzy for m in inside):
            continue
        content = [(s, e) for word, s, e in words if word.lower() not in CONNECTORS]
        if content and all(any(m.start <= s and e <= m.end for m in inside) for s, e in content):
            continue
        return " ".join(word for word, _, _ in words)
    return None


def unknown_course(text: str, catalogue: Catalogue) -> str | None:
    """Return a course id in the message that the catalogue lacks."""
    for found in COURSE_ID.finditer(text):
        if found.group(0).upper() not in catalogue.course_by_id:
            return found.group(0).upper()
    return None


def competency_suggestions(name: str, catalogue: Catalogue) -> list[tuple[str, str]]:
    """Competencies close to ``name``: by spelling first, then by meaning."""
    by_phrase = {
        phrase.lower(): competency
        for competency in catalogue.competencies
        for phrase in (competency.name, *competency.aliases)
    }
    close = difflib.get_close_matches(name.lower(), list(by_phrase), n=SUGGESTION_COUNT, cutoff=0.6)
    found: dict[str, str] = {by_phrase[p].id: by_phrase[p].name for p in close}
    for hit in search(f"{name} competency", k=SUGGESTION_COUNT, kind="competency"):
        found.setdefault(hit.doc_id, hit.title)
    return list(found.items())[:SUGGESTION_COUNT]


def hinted_ids(hints: Sequence[str], catalogue: Catalogue) -> list[str]:
    """Return the competency and course ids that Rasa's entity values refer to."""
    found = [resolve_competency(h, catalogue) or resolve_course(h, catalogue) for h in hints]
    return [item.id for item in found if item is not None]


def resolve_competency(reference: str | None, catalogue: Catalogue) -> Competency | None:
    """Return the competency an id, name or alias (exact, any case) refers to."""
    if not reference:
        return None
    return catalogue.competency_by_id.get(reference.upper()) or catalogue.find_competency(reference)


def resolve_course(reference: str | None, catalogue: Catalogue) -> Course | None:
    """Return the course an id or title (exact, any case) refers to."""
    if not reference:
        return None
    by_id = catalogue.course_by_id.get(reference.strip().upper())
    if by_id is not None:
        return by_id
    wanted = reference.strip().casefold()
    return next((c for c in catalogue.courses if c.title.casefold() == wanted), None)
