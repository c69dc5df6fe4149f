"""The catalogue entity tagger: one module for the app and the Rasa server.

It finds competencies, courses, tiers and countries named in a message, in two
passes over a blank English spaCy pipeline:

1. an ``EntityRuler`` with every catalogue name, alias, course id and title, tier
   name and country name or code (case-insensitive, codes excepted);
2. fuzzy matching for what the ruler missed: typos ("platnum", "germny") compared
   with difflib, and short forms before the word "competency" ("sec competency").

Words that occur in the catalogue's own texts are never treated as typos, so
ordinary words ("chain", "plan") do not turn into countries or competencies.

A message is tagged once. The Rasa server's NLU tags it
(``rasa_addons/components/catalogue_entity_extractor.py``) with the vocabulary the
knowledge build exported (``Vocabulary.write``), and the parse data carries the
matches as Rasa entities (``rasa_entity``) with the vocabulary's id
(``VOCABULARY_PROPERTY``). The knowledge action reads them back (``tagged_message``)
and tags again only when the live catalogue release knows other names than the
model does (``knowledge.entities.message_entities``).

So this module imports no Rasa, no pydantic and nothing else of the app: the Rasa
server's Python 3.10 environment runs it with Rasa's own spaCy (3.4).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

# The vocabulary's file: in the index directory, and inside the Rasa model.
VOCABULARY_FILE = "entity_vocabulary.json"
# Parse-data key of the id of the vocabulary that tagged a message.
VOCABULARY_PROPERTY = "entity_vocabulary"
# The ``extractor`` of the Rasa entities the tagger makes.
EXTRACTOR = "CatalogueEntityExtractor"
# Labels whose Rasa entity value is the catalogue id (the others': the name).
ID_VALUED = ("competency", "course")
# Part of every vocabulary id: raise it when the tagging itself changes, so a model
# tagged by the old rules is not taken for the app's.
TAGGER_VERSION = 1
# Machine-learning libraries thinc imports if installed, and the tagger never uses.
BULKY = ("torch", "tensorflow", "mxnet")

EntityLabel = str  # "competency" | "course" | "tier" | "country"

FUZZY_CUTOFF = 0.84
MIN_FUZZY_LENGTH = 5
MIN_PREFIX_LENGTH = 3
COMPETENCY_WORDS = {"competency", "competencies", "comp"}
# Two-letter country codes that are also everyday words or acronyms in this domain.
AMBIGUOUS_CODES = {"IT", "IN", "AI", "ID", "ES", "AT", "BE", "NO", "OR", "ON", "AM", "ME"}
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
    """Return ``spacy.blank("en")``, spaCy imported the first time without torch or TensorFlow.

    spaCy's machine-learning library (thinc) imports torch and TensorFlow whenever
    they are installed (torch is in the app's environment, for the index build's ONNX
    export; TensorFlow in Rasa's): hundreds of MB and seconds of every process, for a
    tokenizer and a phrase matcher that never use them. While spaCy is first
    imported, an import of either raises ``ImportError``, which thinc expects;
    afterwards they import as before (the export, a benchmark, Rasa's training).
    """
    blocked = [] if "spacy" in sys.modules else [m for m in BULKY if m not in sys.modules]
    for module in blocked:
        sys.modules[module] = None  # type: ignore[assignment]
    try:
        import spacy
    finally:
        for module in blocked:
            del sys.modules[module]

    return spacy.blank("en")


class EntityRecognizer:
    """Rule-based plus fuzzy entity recognition over a fixed vocabulary.

    Args:
        vocabulary: Everything that can be named, and the ordinary words of the
            domain, never corrected as typos.

    Attributes:
        vocabulary: What it was built from; ``vocabulary.id`` names it.

    """

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        terms, known_words = vocabulary.terms, vocabulary.known_words
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
        self._close = CloseMatcher(list(self._fuzzy), FUZZY_CUTOFF)

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
                close = self._close.closest(candidate)
                if close is not None:
                    found.append(_match(self._fuzzy[close], span.start_char, span.end_char, True))
                    covered.update(positions)
        return found


class CloseMatcher:
    """``difflib.get_close_matches(word, keys, n=1, cutoff=cutoff)``, over fixed keys.

    difflib screens each key with two upper bounds of the similarity, from the lengths
    and from the characters both strings share, before it computes the similarity;
    one key at a time, that screening was most of the tagger's time (0.5 of 0.6 ms a
    message). Here both bounds are computed for all keys at once from each key's
    character counts, and only the keys that pass are compared as difflib compares
    them, with the same arithmetic: the result is difflib's.

    Args:
        keys: The strings a word may be close to.
        cutoff: The least similarity (``SequenceMatcher.ratio``) that counts.

    """

    def __init__(self, keys: Sequence[str], cutoff: float) -> None:
        self._keys = list(keys)
        self._cutoff = cutoff
        self._column = {char: i for i, char in enumerate(sorted({c for k in keys for c in k}))}
        self._counts = np.zeros((len(self._keys), len(self._column)), dtype=np.int64)
        for row, key in enumerate(self._keys):
            for char in key:
                self._counts[row, self._column[char]] += 1
        self._lengths = np.array([len(key) for key in self._keys], dtype=np.int64)

    def closest(self, word: str) -> str | None:
        """Return the key most similar to ``word`` (ties: the greatest key), if close enough."""
        wanted = np.zeros(len(self._column), dtype=np.int64)
        for char in word:
            column = self._column.get(char)
            if column is not None:
                wanted[column] += 1
        total = self._lengths + len(word)
        # difflib's real_quick_ratio and quick_ratio: 2 * (bound on matches) / total
        by_length = 2.0 * np.minimum(self._lengths, len(word)) / total
        by_characters = 2.0 * np.minimum(self._counts, wanted).sum(axis=1) / total
        passing = np.flatnonzero((by_length >= self._cutoff) & (by_characters >= self._cutoff))
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        best: tuple[float, str] | None = None
        for row in passing:
            key = self._keys[row]
            matcher.set_seq1(key)
            score = matcher.ratio()
            if score >= self._cutoff and (best is None or (score, key) > best):
                best = (score, key)
        return None if best is None else best[1]


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
            if term.label == "country" and phrase == term.id:
                if phrase not in AMBIGUOUS_CODES:  # codes: upper case only ("us", "de")
                    yield base | {"pattern": [{"ORTH": phrase}]}
                continue
            yield base | {"pattern": phrase}


@dataclass(frozen=True)
class Vocabulary:
    """What a tagger knows: the names it finds and the words that are not typos.

    Attributes:
        terms: Everything that can be named.
        known_words: Ordinary words of the domain (the catalogue's texts), never
            corrected as typos.

    """

    terms: tuple[Term, ...]
    known_words: frozenset[str]

    @cached_property
    def id(self) -> str:
        """Names this vocabulary: the same names and words, the same id, in any process."""
        digest = hashlib.sha256(json.dumps(self.as_json(), sort_keys=True).encode())
        return digest.hexdigest()[:16]

    def as_json(self) -> dict[str, Any]:
        """Return the vocabulary as plain JSON (``from_json`` reads it back)."""
        return {
            "tagger_version": TAGGER_VERSION,
            "terms": [[t.label, t.id, t.value, list(t.phrases)] for t in self.terms],
            "known_words": sorted(self.known_words),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Vocabulary:
        """Read ``as_json``'s output.

        Raises:
            ValueError: Another tagger version wrote it, or it is not a vocabulary.

        """
        if data.get("tagger_version") != TAGGER_VERSION:
            raise ValueError(
                f"vocabulary of tagger version {data.get('tagger_version')!r}, "
                f"this tagger is version {TAGGER_VERSION}: run the knowledge build again"
            )
        try:
            terms = tuple(
                Term(str(label), str(id_), str(value), tuple(map(str, phrases)))
                for label, id_, value, phrases in data["terms"]
            )
            return cls(terms, frozenset(map(str, data["known_words"])))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a vocabulary file: {error!r}") from error

    def write(self, path: Path) -> bool:
        """Write the vocabulary to ``path`` unless it holds this one already; True if written."""
        text = json.dumps(self.as_json(), indent=0, sort_keys=True) + "\n"
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        return True

    @classmethod
    def read(cls, path: Path) -> Vocabulary:
        """Read a vocabulary ``write`` wrote (``ValueError`` if it is not one)."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class TaggedText:
    """A message as the Rasa server's NLU tagged it.

    Attributes:
        text: The message.
        vocabulary_id: The id of the vocabulary that tagged it.
        matches: What it found, in order of appearance.

    """

    text: str
    vocabulary_id: str
    matches: tuple[EntityMatch, ...]


def rasa_entity(match: EntityMatch) -> dict[str, Any]:
    """Return ``match`` as a Rasa entity, valued as the slots of domain.yml take it.

    The value is the catalogue id of a competency or course and the name of a tier or
    country (as the NLU data's synonyms had it). The id and the canonical name, and
    whether the match was a typo guess, come along (``id``, ``name``, ``fuzzy``), so
    the app rebuilds the match without tagging again (``tagged_message``).
    """
    return {
        "entity": match.label,
        "value": match.id if match.label in ID_VALUED else match.value,
        "start": match.start,
        "end": match.end,
        "extractor": EXTRACTOR,
        "id": match.id,
        "name": match.value,
        "fuzzy": match.fuzzy,
    }


def payload_values(entities: Iterable[Mapping[str, Any]], labels: Iterable[str]) -> list[str]:
    """Return the values of entities with these labels that the tagger did not make.

    A button's ``/intent{...}`` payload names what it is about; the tagger's own
    matches travel as ``tagged_message`` does, with their typo marks.
    """
    wanted = set(labels)
    return [
        str(entity["value"])
        for entity in entities
        if entity.get("entity") in wanted
        and entity.get("value")
        and entity.get("extractor") != EXTRACTOR
    ]


def tagged_message(parse_data: Mapping[str, Any]) -> TaggedText | None:
    """Return the tagger's matches in a message's parse data; None if it did not tag it.

    Entities of other origins (a button's ``/intent{...}`` payload) are left out.
    """
    vocabulary_id = parse_data.get(VOCABULARY_PROPERTY)
    text = parse_data.get("text")
    if not isinstance(vocabulary_id, str) or not isinstance(text, str):
        return None
    matches = []
    for entity in parse_data.get("entities") or []:
        if not isinstance(entity, Mapping) or entity.get("extractor") != EXTRACTOR:
            continue
        try:
            matches.append(
                EntityMatch(
                    label=str(entity["entity"]),
                    value=str(entity["name"]),
                    id=str(entity["id"]),
                    start=int(entity["start"]),
                    end=int(entity["end"]),
                    fuzzy=bool(entity.get("fuzzy", False)),
                )
            )
        except (KeyError, TypeError, ValueError):
            return None  # not the tagger's format: the app tags the text itself
    return TaggedText(text, vocabulary_id, tuple(matches))
