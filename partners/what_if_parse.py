"""Read a what-if question into the changes it supposes (pure functions, no Rasa).

"What if we earned Security and Data?", "what if two more people certify in Cloud?",
"what if our satisfaction score rose to 8.6?", "what if revenue in Germany reached
€600k?", or several at once ("if we earned Security and our score rose to 8.2").

How: competencies, tiers, countries and areas ("Cloud", "Data") are found by
``partners.what_if_mentions`` (the entity recogniser, which follows the live
catalogue, and the catalogue's competency areas). Those mentions and ids ("P-0002", "U-SEC-101")
are masked, the rest is cut into clauses at "and", commas and the like, and each
clause is classified by its words: score, revenue, certified people, a number of
competencies, or competencies earned or lost. A clause without words of its own
("... and Data") continues the kind of the one before. Numbers come from
``partners.what_if_numbers``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from knowledge.entities import EntityMatch, extract_entities
from partners.catalogue import ProgramCatalogue
from partners.what_if_changes import (
    CertifyPeople,
    Change,
    CompetencyRef,
    Earn,
    Lose,
    MoreCompetencies,
    Revenue,
    Score,
)
from partners.what_if_mentions import Extractor, find_mentions
from partners.what_if_numbers import Amount, amounts, percentages

QuestionKind = Literal["certify_where", "people_count", "score_value", "revenue_amount"]
ClauseKind = Literal["score", "revenue", "people", "count", "competency"]

_SPLIT = re.compile(
    r"\s*(?:,(?!\d)|;|\band\b|\bplus\b|\bas well as\b|\balso\b|\bwhile\b|\bbut\b|&)\s*", re.I
)
_IDS = re.compile(r"\b[A-Z]-[A-Z0-9]+(?:-[A-Z0-9]+)*\b")
_WORDS: dict[ClauseKind, re.Pattern[str]] = {
    "score": re.compile(r"\b(?:scores?|ratings?|satisfaction|csat|nps)\b", re.I),
    "revenue": re.compile(
        r"\b(?:revenues?|sales|turnover|bookings|income|sold|sell|selling|billings?|"
        r"doubled?|tripled?|halved)\b",
        re.I,
    ),
    "people": re.compile(
        r"\b(?:people|persons?|employees?|engineers?|consultants?|staff|colleagues?|"
        r"developers?|architects?|specialists?|experts?|someone|somebody|certif\w*|hires?|"
        r"hired)\b",
        re.I,
    ),
    "count": re.compile(r"\bcompetenc(?:y|ies)\b", re.I),
}
_EARN = re.compile(
    r"\b(?:earn\w*|get|gets|got|getting|gain\w*|add\w*|achiev\w*|complet\w*|obtain\w*|"
    r"had|have|has|win|won|finish\w*|land\w*|hold|held|pass\w*)\b",
    re.I,
)
_LOSE = re.compile(
    r"\b(?:lose|loses|lost|losing|drop|dropped|drops|without|give up|gave up|lapsed?|"
    r"expired?|expiring)\b",
    re.I,
)
_DOWN = re.compile(
    r"\b(?:fell|fall|falls|drop|dropped|drops|down|decrease[sd]?|lower|declined?|worse|"
    r"sank|shrank|shrinks?|lost|lose)\b",
    re.I,
)
_RELATIVE = re.compile(r"(?:\bby|\+)\s*$", re.I)
_MORE_AFTER = re.compile(r"^\s*(?:points?\s+)?(?:more|higher|extra|up)\b", re.I)
_MORE = re.compile(r"\b(?:more|extra|another|additional)\b", re.I)
_SINGLE = re.compile(
    r"\b(?:a|an|one|another)\s+(?:more\s+|new\s+|extra\s+|additional\s+)?"
    r"(?:person|employee|engineer|consultant|colleague|developer|architect|specialist|"
    r"expert|certification|competency|hire)\b|\b(?:someone|somebody)\b",
    re.I,
)
_SCALES = {"double": 2.0, "doubled": 2.0, "triple": 3.0, "tripled": 3.0, "halved": 0.5}
_SCALE_WORDS = re.compile(r"\b(?:doubled?|tripled?|halved)\b", re.I)
MASK = "x"  # masked mentions read as one long word: no keyword, number or "and" inside


@dataclass(frozen=True)
class Question:
    """Something the message left open: ask it back rather than guess."""

    kind: QuestionKind
    count: int = 0


@dataclass(frozen=True)
class Hypothesis:
    """The changes a what-if question supposes.

    Attributes:
        changes: Changes to the partner's record, in the order written.
        target_tier: A tier the question names ("would we reach Gold?").
        questions: What it left open (people certifying, but in which competency?).

    """

    changes: tuple[Change, ...] = ()
    target_tier: str | None = None
    questions: tuple[Question, ...] = ()


@dataclass
class _Clause:
    text: str  # masked
    start: int
    end: int
    mentions: list[EntityMatch] = field(default_factory=list)


def parse_what_if(
    text: str,
    catalogue: ProgramCatalogue,
    *,
    extract: Extractor | None = None,
    hinted_competencies: Iterable[str] = (),
) -> Hypothesis:
    """Read the changes a what-if question supposes.

    Args:
        text: The message.
        catalogue: The program catalogue (competency ids and areas).
        extract: The entity recogniser; ``knowledge.entities.extract_entities`` if None.
        hinted_competencies: Competency ids the NLU model found, used when the text
            itself yields nothing.

    """
    mentions = find_mentions(text, catalogue, extract or extract_entities)
    masked = _mask(text, mentions)
    tier = next((m.id for m in mentions if m.label == "tier"), None)
    changes: list[Change] = []
    questions: list[Question] = []
    previous: tuple[ClauseKind, int] | None = None
    for clause in _clauses(masked, mentions):
        kind = _kind(clause, catalogue, previous[0] if previous else None)
        if kind is None:
            continue
        count = _count(clause) or (previous[1] if previous and previous[0] == kind else 0)
        made, asked = _read(kind, clause, count, catalogue)
        changes += made
        questions += asked
        previous = (kind, count)
    if not changes and not questions:
        changes += [
            Earn(CompetencyRef(c)) for c in hinted_competencies if c in catalogue.competencies
        ]
    _attach_country(changes, mentions)
    return Hypothesis(tuple(changes), tier, tuple(dict.fromkeys(questions)))


def _mask(text: str, mentions: Sequence[EntityMatch]) -> str:
    chars = list(text)
    spans = [(m.start, m.end) for m in mentions]
    spans += [match.span() for match in _IDS.finditer(text)]
    for start, end in spans:
        chars[start:end] = MASK * (end - start)
    return "".join(chars)


def _clauses(masked: str, mentions: Sequence[EntityMatch]) -> list[_Clause]:
    clauses: list[_Clause] = []
    start = 0
    for separator in [*_SPLIT.finditer(masked), None]:
        end = separator.start() if separator else len(masked)
        if end > start:
            inside = [m for m in mentions if start <= m.start < end]
            clauses.append(_Clause(masked[start:end], start, end, inside))
        start = separator.end() if separator else end
    return clauses


def _kind(
    clause: _Clause, catalogue: ProgramCatalogue, previous: ClauseKind | None
) -> ClauseKind | None:
    """Classify a clause by its words and mentions; None when it says nothing.

    A clause without words of its own continues the one before it: "two more people
    certify in Cloud and Data" certifies people in both.
    """
    client_sat = catalogue.rules.client_satisfaction_competency
    numbers = _numbers(clause)
    competencies = [m for m in clause.mentions if m.label in {"competency", "area"}]
    people = bool(_WORDS["people"].search(clause.text))
    small = any(not n.money and n.value <= 10 for n in numbers)
    if _WORDS["score"].search(clause.text) or (
        not people and small and any(m.id == client_sat for m in competencies)
    ):
        return "score"  # "our csat rose to 9": the score, not the competency
    if _WORDS["revenue"].search(clause.text):
        return "revenue"
    if people:
        return "people"
    if any(n.money for n in numbers):
        return "revenue"
    if competencies:
        verb = _EARN.search(clause.text) or _LOSE.search(clause.text)
        return "people" if previous == "people" and not verb else "competency"
    if _WORDS["count"].search(clause.text) and numbers:
        return "count"
    return previous if previous and numbers else None


def _numbers(clause: _Clause) -> list[Amount]:
    found = amounts(clause.text)
    cut = [(start, end) for _, start, end in percentages(clause.text)]
    return [a for a in found if not any(s <= a.start < e or a.start <= s < a.end for s, e in cut)]


def _count(clause: _Clause) -> int:
    whole = [n for n in _numbers(clause) if n.integer and not n.money and 0 < n.value <= 1000]
    if whole:
        return int(whole[0].value)
    return 1 if _SINGLE.search(clause.text) else 0


def _read(
    kind: ClauseKind, clause: _Clause, count: int, catalogue: ProgramCatalogue
) -> tuple[list[Change], list[Question]]:
    refs = [
        CompetencyRef(area=m.id) if m.label == "area" else CompetencyRef(m.id)
        for m in clause.mentions
        if m.label in {"competency", "area"}
    ]
    if kind == "score":
        return _score(clause)
    if kind == "revenue":
        return _revenue(clause)
    if kind == "people":
        if not refs:
            return [], [Question("certify_where", count)]
        if count == 0:
            return [], [Question("people_count")]
        return [CertifyPeople(count, ref) for ref in refs], []
    if kind == "count":
        return ([MoreCompetencies(count)] if count else []), []
    lose = bool(_LOSE.search(clause.text))
    return [Lose(ref) if lose else Earn(ref) for ref in refs], []


def _score(clause: _Clause) -> tuple[list[Change], list[Question]]:
    candidates = [n for n in _numbers(clause) if not n.money]
    if not candidates:
        return [], [Question("score_value")]
    number = candidates[-1]
    before, after = clause.text[: number.start], clause.text[number.end :]
    relative = bool(_RELATIVE.search(before) or _MORE_AFTER.search(after))
    value = -number.value if relative and _DOWN.search(clause.text) else number.value
    if not relative and not 0 <= value <= 10:
        return [], [Question("score_value")]
    return [Score(value, relative=relative)], []


def _revenue(clause: _Clause) -> tuple[list[Change], list[Question]]:
    down = bool(_DOWN.search(clause.text))
    percent = percentages(clause.text)
    if percent:
        change = percent[0][0] / 100
        return [Revenue(1 - change if down else 1 + change, "scale")], []
    scale = _SCALE_WORDS.search(clause.text)
    numbers = [n for n in _numbers(clause) if n.value > 0]
    if scale and not numbers:
        return [Revenue(_SCALES[scale[0].lower()], "scale")], []
    if not numbers:
        return [], [Question("revenue_amount")]
    number = max(numbers, key=lambda n: (n.money, n.value))
    before = clause.text[: number.start]
    relative = bool(_RELATIVE.search(before) or _MORE.search(clause.text))
    value = -number.value if relative and down else number.value
    return [Revenue(value, "add" if relative else "set", currency=number.currency)], []


def _attach_country(changes: list[Change], mentions: Sequence[EntityMatch]) -> None:
    """Count the revenue in the one country the message names, if it names one."""
    countries = [m.id for m in mentions if m.label == "country"]
    revenue = [i for i, change in enumerate(changes) if isinstance(change, Revenue)]
    if len(countries) == 1 and revenue:
        for i in revenue:
            change = changes[i]
            assert isinstance(change, Revenue)
            changes[i] = Revenue(change.value, change.mode, countries[0], change.currency)
