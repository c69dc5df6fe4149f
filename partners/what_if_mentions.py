"""What a what-if question names: competencies, tiers, countries and competency areas.

Competencies, tiers and countries come from the entity recogniser
(``knowledge.entities``, which follows the live catalogue; no catalogue is cached
here); areas ("Cloud", "Data and analytics", or an area's first word: "Data") from
the competency areas of the catalogue passed in. If the recogniser fails, the
catalogue's names and aliases are matched as written, so a what-if still works.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from knowledge.entities import EntityMatch
from partners.catalogue import ProgramCatalogue

logger = logging.getLogger(__name__)
Extractor = Callable[[str], Sequence[EntityMatch]]
LABELS = {"competency", "tier", "country"}


def find_mentions(text: str, catalogue: ProgramCatalogue, extract: Extractor) -> list[EntityMatch]:
    """Return the competencies, tiers, countries and areas (label ``area``) in ``text``."""
    try:
        found = list(extract(text))
    except Exception:  # the recogniser failing (spaCy, a bad catalogue): names still work
        logger.warning("entity recogniser unavailable; matching catalogue names", exc_info=True)
        found = _names(text, catalogue)
    mentions = [m for m in found if m.label in LABELS]
    # The recogniser may know a competency this catalogue does not (during a swap).
    mentions = [m for m in mentions if m.label != "competency" or m.id in catalogue.competencies]
    return mentions + _areas(text, catalogue, mentions)


def _names(text: str, catalogue: ProgramCatalogue) -> list[EntityMatch]:
    """Competency, tier and country names as written in the catalogue, longest first."""
    terms = [
        ("competency", c.id, phrase)
        for c in catalogue.competencies.values()
        for phrase in (c.id, c.name, *c.aliases)
    ]
    terms += [("tier", t.name, t.name) for t in catalogue.rules.tiers]
    terms += [("country", c.code, c.name) for c in catalogue.rules.countries]
    found: list[EntityMatch] = []
    taken: set[int] = set()
    for label, key, phrase in sorted(terms, key=lambda term: -len(term[2])):
        for match in re.finditer(rf"\b{re.escape(phrase)}\b", text, re.I):
            if not taken.intersection(range(*match.span())):
                found.append(EntityMatch(label, phrase, key, *match.span()))
                taken.update(range(*match.span()))
    return sorted(found, key=lambda match: match.start)


def _areas(
    text: str, catalogue: ProgramCatalogue, mentions: Sequence[EntityMatch]
) -> list[EntityMatch]:
    """Areas named outside other mentions: the full name or its first word ("Data")."""
    taken = {i for m in mentions for i in range(m.start, m.end)}
    names = sorted({c.area for c in catalogue.competencies.values()}, key=len, reverse=True)
    found: list[EntityMatch] = []
    for name in names:
        first = name.split()[0]
        phrases = [name] + ([first] if len(first) >= 3 and first.lower() != "client" else [])
        for phrase in phrases:
            for match in re.finditer(rf"\b{re.escape(phrase)}\b", text, re.I):
                span = range(match.start(), match.end())
                if any(i in taken for i in span):
                    continue
                found.append(EntityMatch("area", name, name, match.start(), match.end()))
                taken.update(span)
    return found
