"""Where each figure comes from: the shipped marks, the path grammar, the label going away."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from knowledge import figure_paths
from knowledge.catalogue import Catalogue, documents, load_catalogue
from knowledge.document_text import course_document, fact_document, tier_document
from knowledge.models import Document, Fact, ProgramRules
from knowledge.provenance import SAMPLE_NOTE, requirement_figures, with_sample_note

# What the program's published description states (../shared/program-brief.md).
PUBLISHED = [
    "tiers.Registered.rank",
    "tiers.Platinum.rank",
    "transition.months",
    "voucher_per_certification",
    "client_satisfaction_competency",
    "tiers.Gold.requirements.client_satisfaction_competency",
]
# What the project invented.
SAMPLE = [
    "tiers.Silver.requirements.competencies",
    "tiers.Gold.requirements.min_satisfaction_score",
    "countries.DE.revenue_thresholds.Gold",
    "countries.DE.excluded_benefits.Gold",
    "tiers.Gold.benefits",  # support response times among them
    "transition.start",
    "transition.end",
    "competencies",
    "courses",
]
PUBLISHED_FACTS = ["F-FOUR-TIERS", "F-TRANSITION-11-MONTHS", "F-CATALOGUE-44", "F-GOLD-BENEFIT"]
SAMPLE_FACTS = ["F-VOUCHER-USE", "F-TIER-REVIEW", "F-SATISFACTION-SCORE", "F-CLIENT-REFERENCES"]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def rules_content(catalogue: Catalogue) -> dict[str, Any]:
    return copy.deepcopy(catalogue.rules.model_dump(mode="json"))


def test_shipped_rules_mark_published_and_sample_figures(catalogue: Catalogue) -> None:
    rules = catalogue.rules
    assert {path: rules.source_of(path) for path in PUBLISHED} == dict.fromkeys(
        PUBLISHED, "published"
    )
    assert {path: rules.source_of(path) for path in SAMPLE} == dict.fromkeys(SAMPLE, "sample")
    assert rules.source_of("transition") == "sample"  # a group: its least certain figure


def test_shipped_facts_mark_published_and_sample_facts(catalogue: Catalogue) -> None:
    sources = {fact.id: fact.source for fact in catalogue.facts}
    assert {fid: sources[fid] for fid in PUBLISHED_FACTS} == dict.fromkeys(
        PUBLISHED_FACTS, "published"
    )
    assert {fid: sources[fid] for fid in SAMPLE_FACTS} == dict.fromkeys(SAMPLE_FACTS, "sample")


def test_figure_paths_follow_the_documented_grammar(catalogue: Catalogue) -> None:
    rules = catalogue.rules
    paths = rules.figure_paths()
    per_country = 2 + 3 * len(rules.tiers)
    assert len(paths) == 5 + 7 * len(rules.tiers) + per_country * len(rules.countries)
    assert len(set(paths)) == len(paths)
    for path in ("tiers.Silver.requirements.min_satisfaction_score", "transition.end"):
        assert path in paths
    assert figure_paths.value_of(rules, "countries.DE.revenue_thresholds.Gold") == 450000
    assert figure_paths.value_of(rules, "countries.DE.excluded_benefits.Silver") == []
    with pytest.raises(KeyError, match="no figure 'tiers.Gold.colour'"):
        rules.source_of("tiers.Gold.colour")


def test_a_source_for_a_figure_the_rules_lack_is_refused(catalogue: Catalogue) -> None:
    content = rules_content(catalogue)
    content["figure_sources"]["countries.XX.revenue_thresholds.Gold"] = "office"
    with pytest.raises(ValidationError, match="countries.XX.revenue_thresholds.Gold"):
        ProgramRules.model_validate(content)
    assert figure_paths.drop_unknown_sources(content) == ["countries.XX.revenue_thresholds.Gold"]
    ProgramRules.model_validate(content)


def test_content_round_trips_through_json(catalogue: Catalogue) -> None:
    rules = catalogue.rules
    assert ProgramRules.model_validate(rules.model_dump(mode="json")) == rules
    fact = catalogue.fact_by_id["F-VOUCHER-USE"]
    assert Fact.model_validate(fact.model_dump(mode="json")) == fact
    document = fact_document(fact)
    assert document.sample_figures == ("facts.F-VOUCHER-USE",)
    assert Document.model_validate(document.model_dump(mode="json")) == document


def test_documents_list_the_sample_figures_they_state(catalogue: Catalogue) -> None:
    by_id = {document.id: document for document in documents(catalogue)}
    assert "tiers.Gold.requirements" in by_id["R-TIER-GOLD"].sample_figures
    assert "countries.DE.revenue_thresholds.Gold" in by_id["R-TIER-GOLD"].sample_figures
    assert "transition" in by_id["R-TRANSITION"].sample_figures
    assert by_id["U-SEC-101"].sample_figures == ("competencies", "courses")
    assert by_id["F-FOUR-TIERS"].sample_figures == ()
    assert by_id["F-TIER-REVIEW"].sample_figures == ("facts.F-TIER-REVIEW",)


def test_an_office_import_marks_its_figures_office_and_the_label_goes(
    catalogue: Catalogue,
) -> None:
    content = rules_content(catalogue)
    figure_paths.set_value(content, "tiers.Gold.requirements.min_satisfaction_score", 8.2)
    figure_paths.mark_sources(content, ["tiers.Gold.requirements.min_satisfaction_score"])
    rules = ProgramRules.model_validate(content)
    assert rules.tiers[2].requirements.min_satisfaction_score == 8.2
    assert rules.source_of("tiers.Gold.requirements.min_satisfaction_score") == "office"
    assert rules.source_of("tiers.Silver.requirements.min_satisfaction_score") == "sample"
    # Gold's score decides the requirement (it is the highest): no sample behind it now.
    assert requirement_figures(rules, "Gold", "satisfaction_score") == [
        "tiers.Gold.requirements.min_satisfaction_score"
    ]
    assert (
        figure_paths.sample_paths(rules, requirement_figures(rules, "Gold", "satisfaction_score"))
        == ()
    )
    gold = tier_document(rules.tiers[2], rules)
    assert gold.sample_figures  # its thresholds by country are still sample


def test_once_every_figure_is_the_offices_no_document_is_labelled(catalogue: Catalogue) -> None:
    content = rules_content(catalogue)
    content["default_source"] = "office"
    content["figure_sources"] = {"competencies": "office", "courses": "office"}
    rules = ProgramRules.model_validate(content)
    tiers = [tier_document(tier, rules) for tier in rules.tiers]
    course = catalogue.courses[0]
    course_doc = course_document(course, catalogue.course_by_id, catalogue.competency_by_id, rules)
    assert [doc.sample_figures for doc in [*tiers, course_doc]] == [()] * 5


def test_the_label_is_one_short_last_line_only_when_something_is_sample() -> None:
    assert with_sample_note("Gold needs 4.", []) == "Gold needs 4."
    labelled = with_sample_note("Gold needs 4.", ["tiers.Gold.requirements.competencies"])
    assert labelled == f"Gold needs 4.\n{SAMPLE_NOTE}"
    assert SAMPLE_NOTE.startswith("**Sample data:**") and len(SAMPLE_NOTE) < 100


@pytest.mark.usefixtures("real_index")
def test_answers_label_sample_figures_and_only_them() -> None:
    from knowledge.answers import answer_question

    sample = answer_question("what is the minimum satisfaction score for Gold?")
    assert sample.text.endswith(SAMPLE_NOTE)
    assert "tiers.Gold.requirements" in sample.sample_figures
    germany = answer_question("what do Gold partners get in Germany?")
    assert germany.text.endswith(SAMPLE_NOTE)
    published = answer_question("how many tiers are there now?")
    assert published.doc is not None and published.doc.id == "F-FOUR-TIERS"
    assert SAMPLE_NOTE not in published.text and published.sample_figures == ()
    voucher = answer_question("how long is a voucher valid?")
    assert voucher.text.endswith(SAMPLE_NOTE)
