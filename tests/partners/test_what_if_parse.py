"""Reading what-if questions: each kind, combinations, numbers, and what cannot be read.

The competencies, tiers and countries come from the real entity recogniser over the
real catalogue (knowledge/data), as in the running assistant.
"""

from __future__ import annotations

import pytest

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
from partners.what_if_numbers import amounts
from partners.what_if_parse import Question, parse_what_if

SECURITY = CompetencyRef("C-SECURITY")


@pytest.mark.parametrize(
    ("text", "changes"),
    [
        # competencies, by name, alias or area
        (
            "What if we earned Security and Data?",
            [Earn(SECURITY), Earn(CompetencyRef(area="Data and analytics"))],
        ),
        (
            "what if we got data warehouse and AI",
            [Earn(CompetencyRef("C-DATA-WAREHOUSE")), Earn(CompetencyRef("C-MACHINE-LEARNING"))],
        ),
        ("what if we earn csat", [Earn(CompetencyRef("C-CLIENT-SAT"))]),
        ("what if we lost storage?", [Lose(CompetencyRef("C-STORAGE"))]),
        ("would we be platinum with two more competencies", [MoreCompetencies(2)]),
        # certified people
        (
            "what if two more people certify in Cloud?",
            [CertifyPeople(2, CompetencyRef(area="Cloud"))],
        ),
        ("what if we had 5 more certified people in security", [CertifyPeople(5, SECURITY)]),
        ("what if someone certifies in devops", [CertifyPeople(1, CompetencyRef("C-DEVOPS"))]),
        (
            "2 people certify in Cloud and three in Security",
            [CertifyPeople(2, CompetencyRef(area="Cloud")), CertifyPeople(3, SECURITY)],
        ),
        # the satisfaction score
        ("what if our satisfaction score rose to 8.6?", [Score(8.6)]),
        ("what if our client satisfaction score went up to 9", [Score(9.0)]),
        ("what if our csat was 8,4", [Score(8.4)]),
        ("what if our score went up by 0.5", [Score(0.5, relative=True)]),
        ("suppose the score dropped by 0.3", [Score(-0.3, relative=True)]),
        ("what if our rating improves by half a point", [Score(0.5, relative=True)]),
        # revenue
        ("what if revenue in Germany reached 600,000?", [Revenue(600_000, country="DE")]),
        ("what if our revenue hit €600k", [Revenue(600_000, currency="EUR")]),
        ("if we reach 1.2 million revenue would we move up", [Revenue(1_200_000)]),
        ("what if sales were 600.000 EUR", [Revenue(600_000, currency="EUR")]),
        ("what if we sold 100k more", [Revenue(100_000, "add")]),
        ("what if our revenue grows by 20 percent", [Revenue(1.2, "scale")]),
        ("what if revenue fell 10%", [Revenue(0.9, "scale")]),
        ("what if we doubled our revenue", [Revenue(2.0, "scale")]),
        ("what if revenue in 2026 were half a million", [Revenue(500_000)]),
        # combinations
        ("if we earned Security and our score rose to 8.2", [Earn(SECURITY), Score(8.2)]),
        (
            "what if we earned Security, two people certify in Cloud, our score was 8.1 and "
            "revenue reached 450k",
            [
                Earn(SECURITY),
                CertifyPeople(2, CompetencyRef(area="Cloud")),
                Score(8.1),
                Revenue(450_000),
            ],
        ),
        ("what if revenue reached 600k and we earned Security", [Revenue(600_000), Earn(SECURITY)]),
    ],
)
def test_each_kind_and_combination_is_read(
    catalogue: ProgramCatalogue, text: str, changes: list[Change]
) -> None:
    hypothesis = parse_what_if(text, catalogue)
    assert list(hypothesis.changes) == changes
    assert hypothesis.questions == ()


def test_a_named_tier_is_the_one_to_explain(catalogue: ProgramCatalogue) -> None:
    hypothesis = parse_what_if("would we reach Gold if we earned hybrid cloud?", catalogue)
    assert hypothesis.target_tier == "Gold"
    assert hypothesis.changes == (Earn(CompetencyRef("C-HYBRID-CLOUD")),)


def test_ids_in_the_text_are_not_numbers(catalogue: ProgramCatalogue) -> None:
    hypothesis = parse_what_if("what if P-0002 earned the Security competency?", catalogue)
    assert hypothesis.changes == (Earn(SECURITY),)


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("what happens if we add two certified people", Question("certify_where", 2)),
        ("what if we pass three more certifications", Question("certify_where", 3)),
        ("what if our engineers certify in Security", Question("people_count")),
        ("what if our score was 12", Question("score_value")),
        ("what if our satisfaction score improved", Question("score_value")),
        ("what if our revenue grew a lot", Question("revenue_amount")),
    ],
)
def test_what_is_left_open_is_asked_back(
    catalogue: ProgramCatalogue, text: str, question: Question
) -> None:
    hypothesis = parse_what_if(text, catalogue)
    assert hypothesis.changes == ()
    assert hypothesis.questions == (question,)


@pytest.mark.parametrize(
    "text", ["what if we did better?", "What is P-0002's tier?", "what if", "imagine that"]
)
def test_nothing_to_compute_gives_no_change(catalogue: ProgramCatalogue, text: str) -> None:
    assert parse_what_if(text, catalogue) == parse_what_if("", catalogue)


def test_the_nlu_models_competency_is_used_when_the_text_names_none(
    catalogue: ProgramCatalogue,
) -> None:
    hints = ["C-DEVOPS", "C-NOT-IN-THE-CATALOGUE"]
    hypothesis = parse_what_if("what if we got that one?", catalogue, hinted_competencies=hints)
    assert hypothesis.changes == (Earn(CompetencyRef("C-DEVOPS")),)
    named = parse_what_if("what if we got storage?", catalogue, hinted_competencies=hints)
    assert named.changes == (Earn(CompetencyRef("C-STORAGE")),)  # the text wins


def test_names_still_work_when_the_recogniser_fails(catalogue: ProgramCatalogue) -> None:
    def broken(text: str) -> list:
        raise RuntimeError("spaCy is not installed")

    hypothesis = parse_what_if(
        "what if we earned Hybrid Cloud Integration in Germany", catalogue, extract=broken
    )
    assert hypothesis.changes == (Earn(CompetencyRef("C-HYBRID-CLOUD")),)


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("600,000", 600_000, None),
        ("600k", 600_000, None),
        ("€600k", 600_000, "EUR"),
        ("1.2 million", 1_200_000, None),
        ("$1.5m", 1_500_000, "USD"),
        ("EUR 450,000", 450_000, "EUR"),
        ("600.000", 600_000, None),
        ("1,200,000.50", 1_200_000.5, None),
        ("a million euros", 1_000_000, "EUR"),
        ("half a million", 500_000, None),
        ("8.6", 8.6, None),
        ("8,6", 8.6, None),
        ("two", 2, None),
        ("3", 3, None),
    ],
)
def test_numbers_as_people_write_them(text: str, value: float, currency: str | None) -> None:
    (amount,) = amounts(text)
    assert (amount.value, amount.currency) == (value, currency)


def test_a_year_is_not_an_amount() -> None:
    assert [a.value for a in amounts("revenue in 2026 reached 2 million")] == [2_000_000]
