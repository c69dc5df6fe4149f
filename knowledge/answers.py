"""Grounded answers to program questions, built only from catalogue documents.

Every answer's text is a document of the index (or values of the catalogue entry
it describes) and cites it ("Source: C-SECURITY Security Operations"); nothing is
written that the catalogue does not say. When the best match scores below
``ANSWER_THRESHOLD`` the answer is "I don't know that one" with close matches
offered instead. No Rasa here: actions and tests call these functions directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from knowledge import live
from knowledge.catalogue import Catalogue
from knowledge.document_text import country_doc_id, tier_doc_id
from knowledge.embedder import Vectors
from knowledge.entities import EntityMatch, message_entities
from knowledge.entity_tagger import TaggedText
from knowledge.models import Document
from knowledge.names import (
    SUGGESTION_COUNT,
    competency_suggestions,
    hinted_ids,
    unknown_competency,
    unknown_course,
)
from knowledge.provenance import merge, with_sample_note
from knowledge.search import Hit, engine, get_document, search

# Least relevance (search score before the entity lift) of an answerable question.
# Calibrated with scripts/bench_knowledge.py (docs/benchmarks.md, "Knowledge
# retrieval"): every question of tests/knowledge/retrieval_questions.yaml scores
# >= 0.38, out-of-scope questions score <= 0.32 unless they name a country.
ANSWER_THRESHOLD = 0.35
# Added to the score of documents a message names (a competency, course or
# country): a name the partner typed beats a merely similar text.
ENTITY_BOOST = 0.15
# A fact or rule scoring within this margin of the best hit is answered with it
# (at most MAX_RELATED of them): see related_documents.
RELATED_MARGIN = 0.07
MAX_RELATED = 2
SEARCH_DEPTH = 10
DONT_KNOW = "I don't know that one"
BENEFIT_QUESTION = re.compile(
    r"benefit|\bget\b|\bgets\b|offer|receive|perk|entitle|revenue|threshold", re.IGNORECASE
)
COURSE_WORDS = re.compile(r"\b(?:course|courses|class|classes|training|module)\b", re.I)
COMPETENCY_WORD = re.compile(r"\bcompetenc", re.IGNORECASE)


@dataclass(frozen=True)
class AnswerContext:
    """What the conversation already knows (slot values and Rasa's entities).

    Attributes:
        last_doc_id: The document the previous answer was about.
        competency: A competency the user named earlier (id, name or alias).
        course: A course the user named earlier (id or title).
        hints: Competencies and courses a button's payload names (ids, names or
            aliases; ``entity_tagger.payload_values``); they lift those documents
            like recognised names.
        text_embedding: The embedding Rasa's NLU computed of exactly the text being
            answered, as packed in the parse data (``minilm_onnx.pack_vector``):
            searching that text uses it instead of embedding the text again, if the
            search's model made it (``SearchEngine.vector_from``).
        tagged: The catalogue names Rasa's NLU tagged in the message
            (``entity_tagger.tagged_message``): the answer uses them instead of
            tagging the text again, if they are the live release's names for the
            text being answered (``entities.message_entities``).

    """

    last_doc_id: str | None = None
    competency: str | None = None
    course: str | None = None
    hints: tuple[str, ...] = ()
    text_embedding: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    tagged: TaggedText | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Answer:
    """A reply: text, the documents it cites, and close matches to offer.

    Attributes:
        text: Markdown text for the user.
        citations: ``(doc id, title)`` of each document the text comes from.
        suggestions: ``(doc id, title)`` of documents the user may have meant.
        doc: The document the answer is about (for follow-ups), if any.
        sample_figures: Figure paths the text states that are sample values (the
            text then ends with the sample label).
        unknown: ``competency`` or ``course`` when the message names one the
            catalogue lacks ("the Quantum Baking competency"): a guess at a known
            one in the same words ("Baking" as Banking) is no longer what the
            conversation is about.

    """

    text: str
    citations: list[tuple[str, str]] = field(default_factory=list)
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    doc: Document | None = None
    sample_figures: tuple[str, ...] = ()
    unknown: str | None = None

    @property
    def known(self) -> bool:
        """Whether the question was answered (rather than "I don't know")."""
        return self.doc is not None


def cite(documents: Sequence[Document]) -> str:
    """Return the source line for documents: ``Source: C-SECURITY Security Operations``."""
    return "Source: " + "; ".join(f"{doc.id} {doc.title}" for doc in documents)


def grounded(text: str, documents: Sequence[Document]) -> Answer:
    """Build an answer about ``documents[0]`` from catalogue text, with its sources.

    When a cited document states a sample figure, the answer ends with the sample
    label (``knowledge.provenance``).
    """
    sample = merge(*(doc.sample_figures for doc in documents))
    return Answer(
        text=with_sample_note(f"{text}\n\n{cite(documents)}", sample),
        citations=[(doc.id, doc.title) for doc in documents],
        doc=documents[0],
        sample_figures=sample,
    )


def dont_know(
    subject: str | None, suggestions: Sequence[tuple[str, str]], unknown: str | None = None
) -> Answer:
    """Say the assistant does not know, offering close matches when there are any.

    Args:
        subject: What is not known, for the text.
        suggestions: ``(doc id, title)`` of close matches.
        unknown: The kind of a name the message gives that the catalogue lacks.

    """
    text = f"{DONT_KNOW}" + (f" ({subject})" if subject else "") + "."
    if suggestions:
        text += " Did you mean " + ", ".join(f"**{title}**" for _, title in suggestions) + "?"
    else:
        text += " I can answer questions about competencies, tiers, benefits and courses."
    return Answer(text=text, suggestions=list(suggestions), unknown=unknown)


def entity_boosts(text: str, entities: Sequence[EntityMatch]) -> dict[str, float]:
    """Return ``ENTITY_BOOST`` for each document the message names.

    A competency alias inside a question about a course ("kubernetes fundamentals
    course duration") names the course's subject, not the competency: no lift then.
    """
    about_courses = COURSE_WORDS.search(text) and not COMPETENCY_WORD.search(text)
    labels = ("course",) if about_courses else ("competency", "course")
    named = {match.id for match in entities if match.label in labels}
    named |= {country_doc_id(m.id) for m in entities if m.label == "country"}
    return dict.fromkeys(named, ENTITY_BOOST)


def ranked_hits(
    text: str,
    entities: Sequence[EntityMatch],
    k: int = SEARCH_DEPTH,
    hinted: Sequence[str] = (),
    vector: Vectors | None = None,
) -> tuple[list[Hit], float]:
    """Search with the named documents lifted; also return the best unlifted score.

    The unlifted score decides whether the question is in scope at all: naming a
    country ("who is the president of France?") must not make a question answerable.

    Args:
        text: The question.
        entities: What the entity tagger found in it (``message_entities``).
        k: How many hits.
        hinted: Further document ids to lift (from Rasa's entities).
        vector: The text's embedding, when already computed.

    """
    boosts = entity_boosts(text, entities) | dict.fromkeys(hinted, ENTITY_BOOST)
    hits = search(text, k=k, boosts=boosts, vector=vector)
    relevance = max((hit.score - boosts.get(hit.doc_id, 0.0) for hit in hits), default=0.0)
    return hits, relevance


def unknown_competency_answer(name: str, catalogue: Catalogue) -> Answer:
    """Say there is no such competency and suggest the closest ones."""
    suggestions = competency_suggestions(name, catalogue)
    return dont_know(f"no competency is called {name}", suggestions, unknown="competency")


@live.pinned()  # one release for the whole turn, whatever is installed meanwhile
def answer_question(text: str, context: AnswerContext | None = None) -> Answer:
    """Answer a program question from the best matching document.

    Args:
        text: The user's message.
        context: What the conversation knows; only Rasa's entity hints matter
            here, as a new question stands on its own.

    Returns:
        The top document's text with its source, or "I don't know that one" with
        suggestions when nothing matches well enough or a named competency or
        course does not exist.

    """
    context = context or AnswerContext()
    catalogue = live.current().catalogue
    entities = message_entities(text, context.tagged)
    hinted = hinted_ids(context.hints, catalogue)
    missing = unknown_competency(text, entities)
    if missing and not any(doc_id in catalogue.competency_by_id for doc_id in hinted):
        return unknown_competency_answer(missing, catalogue)
    vector = engine().vector_from(context.text_embedding) if context.text_embedding else None
    missing_course = unknown_course(text, catalogue)
    if missing_course:
        hits = search(text, k=SUGGESTION_COUNT, kind="course", vector=vector)
        suggestions = [(hit.doc_id, hit.title) for hit in hits]
        return dont_know(f"there is no course {missing_course}", suggestions, unknown="course")
    hits, relevance = ranked_hits(text, entities, hinted=hinted, vector=vector)
    if not hits or relevance < ANSWER_THRESHOLD:
        return dont_know(None, [(hit.doc_id, hit.title) for hit in hits[:SUGGESTION_COUNT]])
    top = get_document(hits[0].doc_id)
    assert top is not None  # hits come from the same index
    benefits = tier_country_benefits(text, entities, top.id, catalogue)
    if benefits is not None:
        return benefits
    documents = [top, *related_documents(hits)]
    return grounded("\n\n".join(document_answer(d, catalogue) for d in documents), documents)


def related_documents(hits: Sequence[Hit]) -> list[Document]:
    """Facts and rules that score almost as well as the best hit (they answer too).

    A question often touches two program facts ("do we move up by collecting
    certifications?": competencies replace certifications, and old ones still
    count); when the search cannot tell them apart, the answer gives both.
    """
    best = hits[0].score
    close = [
        hit
        for hit in hits[1:]
        if hit.kind in ("fact", "rule") and hit.score >= best - RELATED_MARGIN
    ]
    found = [get_document(hit.doc_id) for hit in close[:MAX_RELATED]]
    return [document for document in found if document is not None]


def document_answer(document: Document, catalogue: Catalogue) -> str:
    """Return a document's text as an answer (a competency's alias list left out)."""
    competency = catalogue.competency_by_id.get(document.id)
    if competency is None or not competency.aliases:
        return document.text
    return document.text.replace(f" Partners also call it: {', '.join(competency.aliases)}.", "")


def tier_country_benefits(
    text: str, entities: Sequence[EntityMatch], top_id: str, catalogue: Catalogue
) -> Answer | None:
    """Answer "what do Gold partners get in Germany?" from the tier and country rules.

    Only when the message names a tier and a country, asks about benefits or
    revenue, and the search agrees (its best document is that tier or country).
    """
    tier = next((m.id for m in entities if m.label == "tier"), None)
    code = next((m.id for m in entities if m.label == "country"), None)
    if tier is None or code is None or not BENEFIT_QUESTION.search(text):
        return None
    if top_id not in (country_doc_id(code), tier_doc_id(tier)):
        return None
    country = catalogue.country_by_code[code]
    lines = [f"**{tier}** partners in **{country.name}** get:"]
    lines += [f"- {benefit}" for benefit in catalogue.benefits(tier, code)]
    excluded = next((b for t, b in country.excluded_benefits.items() if t == tier), [])
    if excluded:
        lines.append(f"Not available in {country.name} (local law): {'; '.join(excluded)}.")
    threshold = next((v for t, v in country.revenue_thresholds.items() if t == tier), None)
    if catalogue.tier_by_name[tier].requirements.revenue and threshold is not None:
        lines.append(
            f"The {tier} revenue threshold in {country.name} is "
            f"{threshold:,} {country.currency} a year."
        )
    documents = [get_document(country_doc_id(code)), get_document(tier_doc_id(tier))]
    return grounded("\n".join(lines), [doc for doc in documents if doc is not None])
