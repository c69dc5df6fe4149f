"""Find competencies, courses, tiers and countries named in a message.

Two passes over a blank English spaCy pipeline:

1. an ``EntityRuler`` with every catalogue name, alias, course id and title, tier
   name and country name or code (case-insensitive, codes excepted);
2. fuzzy matching for what the ruler missed: typos ("platnum", "germny") compared
   with difflib, and short forms before the word "competency" ("sec competency").

Words that occur in the catalogue's own texts are never treated as typos, so
ordinary words ("chain", "plan") do not turn into countries or competencies.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge import live
from knowledge.catalogue import Catalogue, documents
from knowledge.models import Document

EntityLabel = str  # "competency" | "course" | "tier" | "country"

FUZZY_CUTOFF = 0.84
MIN_FUZZY_LENGTH = 5
MIN_PREFIX_LENGTH = 3
COMPETENCY_WORDS = {"competency", "competencies", "comp"}
# Two-letter country codes that are also everyday words or acronyms in this domain.
AMBIGUOUS_CODES = {"IT", "IN", "AI", "ID", "ES", "AT", "BE", "NO", "OR", "ON", "AM", "ME"}
COUNTRY_ALIASES = {
    "GB": ["UK", "U.K.", "Britain", "Great Britain", "England"],
    "US": ["USA", "U.S.", "U.S.A.", "America", "United States of America"],
    "NL": ["Holland", "the Netherlands"],
    "ZA": ["RSA"],
}
TIER_CONTEXT = ["tier", "level", "partner", "partners", "status"]
WORD = re.compile(r"[a-z][a-z'&-]*")


@dataclass(frozen=True)
class EntityMatch:
    """One entity found in a text.

    Attributes:
        label: ``competency``, ``course``, ``tier`` or ``country``.
        value: The canonical name (competency name, course title, tier, country).
        id: Competency or course id, tier name, or ISO country code.
        start: Character offset where the mention starts.
        end: Character offset where it ends.
        fuzzy: True for a typo or short-form guess rather than a catalogue phrase.

    """

    label: EntityLabel
    value: str
    id: str
    start: int
    end: int
    fuzzy: bool = False


@dataclass(frozen=True)
class Term:
    """One thing that can be named: its label, id, canonical value and phrasings."""

    label: EntityLabel
    id: str
    value: str
    phrases: tuple[str, ...]


def blank_english() -> Any:
    """Return ``spacy.blank("en")``, spaCy imported the first time without torch.

    spaCy's machine-learning library (thinc) imports torch whenever it is installed
    (it is, for the index build's ONNX export): about 180 MB and 1.5 s of every app
    process, for a tokenizer and a phrase matcher that never use it. While spaCy is
    first imported, an import of torch raises ``ImportError``, which thinc expects;
    afterwards torch imports as before (the export, a benchmark).
    """
    if "spacy" not in sys.modules and "torch" not in sys.modules:
        sys.modules["torch"] = None  # type: ignore[assignment]
        try:
            import spacy
        finally:
            del sys.modules["torch"]
    import spacy

    return spacy.blank("en")


class EntityRecognizer:
    """Rule-based plus fuzzy entity recognition over a fixed vocabulary.

    Args:
        terms: Everything that can be named.
        known_words: Ordinary words of the domain, never corrected as typos.

    """

    def __init__(self, terms: Sequence[Term], known_words: Iterable[str] = ()) -> None:
        self._nlp: Any = blank_english()
        self._terms = {(term.label, term.id): term for term in terms}
        ruler: Any = self._nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        ruler.add_patterns(list(_patterns(terms)))
        self._fuzzy: dict[str, Term] = {}
        for term in terms:
            if term.label == "course":
                continue  # titles are long: typos there are left to the semantic search
            for phrase in (term.value, *term.phrases):
                key = phrase.casefold()
                if len(key) >= MIN_FUZZY_LENGTH and key not in self._fuzzy:
                    self._fuzzy[key] = term
        self._known_words = {word.casefold() for word in known_words}
        self._known_words.update(self._nlp.Defaults.stop_words)
        for key in self._fuzzy:
            self._known_words.update(WORD.findall(key))

    def extract(self, text: str) -> list[EntityMatch]:
        """Return the entities named in ``text``, in order of appearance."""
        doc = self._nlp(text)
        matches: list[EntityMatch] = []
        covered: set[int] = set()
        for span in doc.ents:
            term = self._terms.get((span.label_, span.ent_id_))
            if term is None:
                continue
            if term.label == "tier":  # "Registered partner": the tier is the first word
                span = span[:1]
            matches.append(_match(term, span.start_char, span.end_char))
            covered.update(range(span.start, span.end))
        matches.extend(self._short_forms(doc, covered))
        matches.extend(self._typos(doc, covered))
        return sorted(matches, key=lambda match: match.start)

    def _short_forms(self, doc: Any, covered: set[int]) -> list[EntityMatch]:
        """Match "<prefix> competency" where the prefix starts one competency's name."""
        found: list[EntityMatch] = []
        for token in doc[:-1]:
            following = doc[token.i + 1].lower_
            prefix = token.lower_
            if token.i in covered or following not in COMPETENCY_WORDS:
                continue
            if len(prefix) < MIN_PREFIX_LENGTH or not prefix.isalpha():
                continue
            if prefix in self._known_words:  # "which competency", "client competency"
                continue
            candidates = {
                term.id: term
                for key, term in self._fuzzy.items()
                if term.label == "competency" and key.startswith(prefix)
            }
            if len(candidates) == 1:
                term = next(iter(candidates.values()))
                found.append(_match(term, token.idx, token.idx + len(token.text), True))
                covered.add(token.i)
        return found

    def _typos(self, doc: Any, covered: set[int]) -> list[EntityMatch]:
        """Match one- and two-word spans that are close to a name but not words."""
        found: list[EntityMatch] = []
        keys = list(self._fuzzy)
        for length in (2, 1):
            for start in range(len(doc) - length + 1):
                span = doc[start : start + length]
                positions = range(span.start, span.end)
                if any(i in covered for i in positions) or not all(t.is_alpha for t in span):
                    continue
                words = [t.lower_ for t in span]
                if all(word in self._known_words for word in words):
                    continue
                candidate = " ".join(words)
                if len(candidate) < MIN_FUZZY_LENGTH:
                    continue
                close = difflib.get_close_matches(candidate, keys, n=1, cutoff=FUZZY_CUTOFF)
                if close:
                    found.append(
                        _match(self._fuzzy[close[0]], span.start_char, span.end_char, True)
                    )
                    covered.update(positions)
        return found


def _match(term: Term, start: int, end: int, fuzzy: bool = False) -> EntityMatch:
    return EntityMatch(term.label, term.value, term.id, start, end, fuzzy)


def _patterns(terms: Iterable[Term]) -> Iterable[dict[str, Any]]:
    for term in terms:
        base = {"label": term.label, "id": term.id}
        if term.label == "tier" and term.value == "Registered":
            # "registered" is an everyday word: only the capitalised name or
            # "registered tier/partner/..." names the tier.
            yield base | {"pattern": [{"ORTH": "Registered"}]}
            yield base | {"pattern": [{"LOWER": "registered"}, {"LOWER": {"IN": TIER_CONTEXT}}]}
            continue
        for phrase in {term.value, *term.phrases}:
            if term.label == "country" and re.fullmatch(r"[A-Z]{2,3}", phrase):
                if phrase not in AMBIGUOUS_CODES:
                    yield base | {"pattern": [{"ORTH": phrase}]}  # codes: upper case only
                continue
            yield base | {"pattern": phrase}


def catalogue_terms(catalogue: Catalogue) -> list[Term]:
    """Build the vocabulary from a loaded catalogue (``knowledge.catalogue``)."""
    terms: list[Term] = []
    for competency in catalogue.competencies:
        phrases = (competency.name, *competency.aliases, competency.id)
        terms.append(Term("competency", competency.id, competency.name, phrases))
    for course in catalogue.courses:
        terms.append(Term("course", course.id, course.title, (course.id, course.title)))
    for tier in catalogue.rules.tiers:
        terms.append(Term("tier", tier.name, tier.name, (tier.name,)))
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


def catalogue_recognizer(
    catalogue: Catalogue, docs: Sequence[Document] | None = None
) -> EntityRecognizer:
    """Build a recognizer of a catalogue's names (``docs``: its documents, if at hand)."""
    return EntityRecognizer(catalogue_terms(catalogue), catalogue_words(catalogue, docs))


def recognizer() -> EntityRecognizer:
    """Return the recognizer of the live release (``knowledge.live``), built on first use."""
    return live.current().recognizer


def extract_entities(text: str) -> list[EntityMatch]:
    """Return the competencies, courses, tiers and countries named in ``text``."""
    return recognizer().extract(text)
