"""The live catalogue's entity tagger, and the entities of the message being answered.

The tagger itself (``knowledge.entity_tagger``) knows nothing of the catalogue: this
module builds its vocabulary from a loaded catalogue (``catalogue_vocabulary``), for
the live release's recognizer (``knowledge.live``) and, through the file the knowledge
build writes (``VOCABULARY_FILE``), for the Rasa model's.
"""

from __future__ import annotations

from collections.abc import Sequence

from knowledge import live
from knowledge.catalogue import Catalogue, documents
from knowledge.entity_tagger import (
    WORD,
    EntityLabel,
    EntityMatch,
    EntityRecognizer,
    TaggedText,
    Term,
    Vocabulary,
)
from knowledge.models import Document

__all__ = [
    "EntityLabel",
    "EntityMatch",
    "EntityRecognizer",
    "Term",
    "catalogue_recognizer",
    "extract_entities",
    "message_entities",
    "recognizer",
]

# How partners name the tier rules' countries besides their names and codes (the
# country lookup table of data/nlu/entities.yml lists the same; a test checks it).
COUNTRY_ALIASES = {
    "US": [
        "USA",
        "U.S.",
        "U.S.A.",
        "America",
        "United States of America",
        "the states",
        "American",
    ],
    "CA": ["Canadian"],
    "BR": ["Brazilian", "Brasil"],
    "MX": ["Mexican"],
    "GB": ["UK", "U.K.", "Britain", "Great Britain", "England", "British"],
    "DE": ["Deutschland", "German"],
    "FR": ["French"],
    "IT": ["Italian", "Italia"],
    "ES": ["Spanish", "Espana", "España"],
    "NL": ["Holland", "the Netherlands", "Dutch"],
    "IN": ["Indian"],
    "JP": ["Japanese"],
    "AU": ["Australian", "Aus"],
    "SG": ["Singaporean"],
    "ZA": ["RSA", "SA", "South African"],
}
# Short forms of tier names ("what else do we need for plat?").
TIER_ALIASES = {"Platinum": ["plat"]}


def catalogue_terms(catalogue: Catalogue) -> list[Term]:
    """Build the vocabulary from a loaded catalogue (``knowledge.catalogue``)."""
    terms: list[Term] = []
    for competency in catalogue.competencies:
        phrases = (competency.name, *competency.aliases, competency.id)
        terms.append(Term("competency", competency.id, competency.name, phrases))
    for course in catalogue.courses:
        terms.append(Term("course", course.id, course.title, (course.id, course.title)))
    for tier in catalogue.rules.tiers:
        aliases = TIER_ALIASES.get(tier.name, [])
        terms.append(Term("tier", tier.name, tier.name, (tier.name, *aliases)))
    for country in catalogue.rules.countries:
        aliases = COUNTRY_ALIASES.get(country.code, [])
        terms.append(
            Term("country", country.code, country.name, (country.name, country.code, *aliases))
        )
    return terms


def catalogue_words(catalogue: Catalogue, docs: Sequence[Document] | None = None) -> set[str]:
    """Return every word of the catalogue's texts (words that are not typos).

    Args:
        catalogue: The catalogue.
        docs: Its documents, when the caller has them already.

    """
    words: set[str] = set()
    for document in documents(catalogue) if docs is None else docs:
        words.update(WORD.findall(f"{document.title} {document.text}".casefold()))
    return words


def catalogue_vocabulary(
    catalogue: Catalogue, docs: Sequence[Document] | None = None
) -> Vocabulary:
    """Return what a tagger of ``catalogue``'s names knows (``docs``: its documents, if at hand)."""
    words = frozenset(catalogue_words(catalogue, docs))
    return Vocabulary(tuple(catalogue_terms(catalogue)), words)


def catalogue_recognizer(
    catalogue: Catalogue, docs: Sequence[Document] | None = None
) -> EntityRecognizer:
    """Build a recognizer of a catalogue's names (``docs``: its documents, if at hand)."""
    return EntityRecognizer(catalogue_vocabulary(catalogue, docs))


def recognizer() -> EntityRecognizer:
    """Return the recognizer of the live release (``knowledge.live``), built on first use."""
    return live.current().recognizer


def extract_entities(text: str) -> list[EntityMatch]:
    """Return the competencies, courses, tiers and countries named in ``text``."""
    return recognizer().extract(text)


def message_entities(text: str, tagged: TaggedText | None = None) -> list[EntityMatch]:
    """Return the entities named in ``text``, reusing the NLU's tagging where it holds.

    The Rasa server's NLU tagged the message already (``tagged``); its matches are
    the live release's when it tagged this very text with the live release's
    vocabulary. Otherwise (a button's payload made a question, a catalogue release
    newer than the Rasa model) the text is tagged here.
    """
    live_recognizer = recognizer()
    if (
        tagged is not None
        and tagged.text == text
        and tagged.vocabulary_id == live_recognizer.vocabulary.id
    ):
        return list(tagged.matches)
    return live_recognizer.extract(text)
