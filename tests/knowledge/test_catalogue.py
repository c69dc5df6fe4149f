"""The shipped catalogue files load, and broken copies fail with useful messages."""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.catalogue import (
    DATA_DIR,
    Catalogue,
    CatalogueError,
    documents,
    load_catalogue,
)
from knowledge.models import Document

QUESTIONS_DIR = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def docs(catalogue: Catalogue) -> dict[str, Document]:
    return {d.id: d for d in documents(catalogue)}


# ------------------------------------------------------------------ the real files


def test_real_files_load_with_the_documented_sizes(catalogue: Catalogue) -> None:
    assert len(catalogue.competencies) == 44
    assert len(catalogue.courses) >= 250
    assert len(catalogue.rules.countries) >= 10
    assert [t.name for t in catalogue.rules.tiers] == ["Registered", "Silver", "Gold", "Platinum"]
    assert catalogue.client_satisfaction.id == "C-CLIENT-SAT"
    assert catalogue.rules.transition.months == 11
    assert catalogue.rules.voucher_per_certification == 1


def test_default_catalogue_is_loaded_once(catalogue: Catalogue) -> None:
    assert load_catalogue() is catalogue
    assert load_catalogue(DATA_DIR) is catalogue


def test_every_competency_has_courses_and_reachable_requirements(catalogue: Catalogue) -> None:
    for competency in catalogue.competencies:
        courses = catalogue.courses_by_competency[competency.id]
        assert len(courses) >= 4, competency.id
        assert sum(c.credits for c in courses) >= competency.requirements.credits
        assert 1 <= len(competency.credit_transfer) <= 3, competency.id
        assert competency.requirements.required_courses, competency.id


def test_competency_names_can_be_told_apart(catalogue: Catalogue) -> None:
    names = [c.name.lower() for c in catalogue.competencies]
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            # 0.9 lets "enterprise asset management" and "enterprise content
            # management" (0.86) both exist: their distinguishing word is unmistakable.
            assert difflib.SequenceMatcher(None, first, second).ratio() < 0.9, (first, second)


def test_course_catalogue_is_varied(catalogue: Catalogue) -> None:
    courses = catalogue.courses
    assert {c.level for c in courses} == {"beginner", "intermediate", "advanced"}
    assert {c.delivery for c in courses} == {"self-paced", "virtual classroom", "classroom", "lab"}
    assert min(c.duration_hours for c in courses) >= 1
    assert max(c.duration_hours for c in courses) <= 40
    share = sum(c.voucher_eligible for c in courses) / len(courses)
    assert 0.5 <= share <= 0.7
    assert len({c.title for c in courses}) == len(courses)
    later = [c for c in courses if c.level != "beginner"]
    assert sum(bool(c.prerequisites) for c in later) / len(later) > 0.9


def test_higher_tiers_include_the_lower_tiers_requirements(catalogue: Catalogue) -> None:
    tiers = catalogue.rules.tiers
    for lower, higher in zip(tiers, tiers[1:], strict=False):
        assert higher.requirements.competencies >= lower.requirements.competencies
        assert (higher.requirements.min_satisfaction_score or 0) >= (
            lower.requirements.min_satisfaction_score or 0
        )
    for tier in tiers[1:]:
        assert tier.requirements.client_satisfaction_competency
        assert tier.requirements.revenue
    thresholds = {c.revenue_thresholds["Gold"] for c in catalogue.rules.countries}
    assert len(thresholds) > 5  # the threshold differs from country to country


def test_partners_words_find_competencies(catalogue: Catalogue) -> None:
    assert catalogue.find_competency("sec").id == "C-SECURITY"  # type: ignore[union-attr]
    assert catalogue.find_competency("Kubernetes").id == "C-CONTAINERS"  # type: ignore[union-attr]
    assert catalogue.find_competency("  client   SAT ").id == "C-CLIENT-SAT"  # type: ignore[union-attr]
    assert catalogue.find_competency("c-storage").id == "C-STORAGE"  # type: ignore[union-attr]
    assert catalogue.find_competency("quantum knitting") is None


def test_country_benefits_follow_local_law(catalogue: Catalogue) -> None:
    listing = "Featured listing in the partner directory showing the client satisfaction score"
    assert listing in catalogue.benefits("Gold")
    assert listing not in catalogue.benefits("Gold", "DE")
    assert "Japanese-language technical support desk" in catalogue.benefits("Silver", "JP")
    assert catalogue.benefits("Gold", "GB") == catalogue.benefits("Gold")
    platinum = " ".join(catalogue.benefits("Platinum"))
    assert "lab advocate" in platinum and "Highly skilled technical support" in platinum


# ------------------------------------------------------------------- the documents


def test_documents_cover_every_entry_once(catalogue: Catalogue, docs: dict[str, Document]) -> None:
    assert len(docs) == len(documents(catalogue))
    kinds = {d.kind for d in docs.values()}
    assert kinds == {"competency", "course", "rule", "fact"}
    entry_ids = [c.id for c in catalogue.competencies] + [c.id for c in catalogue.courses]
    assert set(entry_ids + [f.id for f in catalogue.facts]) <= set(docs)
    expected_rules = {"R-TRANSITION"} | {f"R-TIER-{t.name.upper()}" for t in catalogue.rules.tiers}
    expected_rules |= {f"R-COUNTRY-{c.code}" for c in catalogue.rules.countries}
    assert expected_rules <= set(docs)


def test_course_document_says_what_a_partner_asks(docs: dict[str, Document]) -> None:
    text = docs["U-CSC-202"].text
    for expected in (
        "Container and Kubernetes Security",
        "intermediate",
        "hours",
        "Containers and Kubernetes Fundamentals",  # a prerequisite, by title
        "Cloud Workload Security",  # the competencies, by name
        "Container Platform Operations",
        "credits",
        "Voucher eligible",
    ):
        assert expected in text
    assert docs["U-CSC-202"].area == "Security"
    assert docs["U-CSC-202"].level == "intermediate"


def test_competency_document_lists_requirements_and_credit_transfer(
    docs: dict[str, Document],
) -> None:
    text = docs["C-STORAGE"].text
    assert "Storage Fundamentals (U-STO-101)" in text
    assert "Certified Storage Administrator v8 counts 20 credits" in text
    assert "certified people" in text and "client references" in text


def test_rule_documents_hold_thresholds_benefits_and_dates(docs: dict[str, Document]) -> None:
    germany = docs["R-COUNTRY-DE"].text
    assert "450,000 EUR" in germany
    assert "do not get" in germany and "Gold benefits in Germany" in germany
    assert "lab advocate" in docs["R-TIER-PLATINUM"].text
    assert "digital marketing assessment" in docs["R-TIER-SILVER"].text.lower()
    assert "11 months" in docs["R-TRANSITION"].text
    assert "1 March 2026" in docs["R-TRANSITION"].text


# -------------------------------------------------------------- the question sets


def _read(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((QUESTIONS_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_retrieval_questions_point_at_real_documents(docs: dict[str, Document]) -> None:
    questions = _read("retrieval_questions.yaml")
    assert len(questions) >= 170
    assert len({q["question"].lower() for q in questions}) == len(questions)
    kinds = set()
    for item in questions:
        assert item["expected"], item
        for doc_id in item["expected"]:
            assert doc_id in docs, (item["question"], doc_id)
            kinds.add(docs[doc_id].kind)
        # Paraphrases, not copies of the document text.
        question = item["question"].lower().rstrip("?")
        assert not any(question in docs[d].text.lower() for d in item["expected"]), item
    assert kinds == {"competency", "course", "rule", "fact"}


def test_brief_facts_are_answerable_from_their_documents(docs: dict[str, Document]) -> None:
    entries = _read("brief_facts.yaml")
    assert {e["fact"] for e in entries} >= set(range(1, 10))
    for entry in entries:
        assert 1 <= len(entry["key_phrases"]) <= 3, entry
        for doc_id in entry["expected"]:
            text = docs[doc_id].text.lower()
            for phrase in entry["key_phrases"]:
                assert phrase == phrase.lower()
                assert phrase in text, (entry["question"], doc_id, phrase)


# ------------------------------------------------------------- broken catalogues


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    for source in DATA_DIR.glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


def _edit(directory: Path, name: str, change: Callable[[Any], None]) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _entry(entries: list[dict[str, Any]], entry_id: str) -> dict[str, Any]:
    return next(e for e in entries if e["id"] == entry_id)


def _problem(directory: Path) -> str:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(directory)
    return str(caught.value)


def test_unchanged_copy_loads(data_copy: Path) -> None:
    copy = load_catalogue(data_copy)
    assert len(copy.courses) == len(load_catalogue().courses)


def test_missing_field_names_file_entry_and_field(data_copy: Path) -> None:
    _edit(data_copy, "courses.yaml", lambda d: _entry(d, "U-SEC-101").pop("summary"))
    message = _problem(data_copy)
    assert "courses.yaml: entry U-SEC-101: field 'summary': Field required" in message


def test_wrong_type_names_file_entry_and_field(data_copy: Path) -> None:
    _edit(data_copy, "courses.yaml", lambda d: _entry(d, "U-SEC-101").update(duration_hours="two"))
    message = _problem(data_copy)
    assert (
        "courses.yaml: entry U-SEC-101: field 'duration_hours': Input should be a valid number"
        in (message)
    )


def test_out_of_range_value_is_explained(data_copy: Path) -> None:
    _edit(data_copy, "courses.yaml", lambda d: _entry(d, "U-SEC-101").update(duration_hours=0))
    message = _problem(data_copy)
    assert (
        "courses.yaml: entry U-SEC-101: field 'duration_hours': Input should be greater than 0"
        in message
    )


def test_entry_without_id_is_named_by_position(data_copy: Path) -> None:
    _edit(data_copy, "facts.yaml", lambda d: d[2].pop("id"))
    assert "facts.yaml: entry #3: field 'id': Field required" in _problem(data_copy)


def test_misspelt_field_is_rejected(data_copy: Path) -> None:
    _edit(data_copy, "competencies.yaml", lambda d: d[0].update(descripton="typo"))
    message = _problem(data_copy)
    assert (
        "competencies.yaml: entry C-CLOUD-NATIVE: field 'descripton': "
        "Extra inputs are not permitted" in message
    )


def test_unknown_competency_reference(data_copy: Path) -> None:
    _edit(
        data_copy,
        "courses.yaml",
        lambda d: _entry(d, "U-SEC-201")["competencies"].append("C-QUANTUM"),
    )
    message = _problem(data_copy)
    assert (
        "courses.yaml: entry U-SEC-201: field 'competencies': unknown competency 'C-QUANTUM'"
        in (message)
    )


def test_unknown_required_course(data_copy: Path) -> None:
    _edit(
        data_copy,
        "competencies.yaml",
        lambda d: _entry(d, "C-SECURITY")["requirements"]["required_courses"].append("U-NOPE-1"),
    )
    message = _problem(data_copy)
    assert (
        "competencies.yaml: entry C-SECURITY: field 'requirements.required_courses': "
        "unknown course 'U-NOPE-1'" in message
    )


def test_duplicate_id(data_copy: Path) -> None:
    def duplicate(courses: list[dict[str, Any]]) -> None:
        courses[1]["id"] = courses[0]["id"]

    _edit(data_copy, "courses.yaml", duplicate)
    message = _problem(data_copy)
    assert "courses.yaml: entry U-CNA-101: field 'id': duplicate id (entries #1 and #2)" in message


def test_prerequisite_cycle(data_copy: Path) -> None:
    _edit(
        data_copy,
        "courses.yaml",
        lambda d: _entry(d, "U-SEC-101").update(prerequisites=["U-SEC-301"]),
    )
    message = _problem(data_copy)
    assert "courses.yaml: entry U-SEC-101: field 'prerequisites': prerequisite cycle" in message
    assert "U-SEC-101 -> U-SEC-301 -> U-SEC-201 -> U-SEC-101" in message


def test_tier_requirements_must_not_go_down(data_copy: Path) -> None:
    def lower_gold(rules: dict[str, Any]) -> None:
        rules["tiers"][2]["requirements"]["min_satisfaction_score"] = 6.0

    _edit(data_copy, "tiers.yaml", lower_gold)
    message = _problem(data_copy)
    assert "tiers.yaml: entry Gold: field 'requirements.min_satisfaction_score'" in message


def test_country_entry_is_named_by_code(data_copy: Path) -> None:
    def break_germany(rules: dict[str, Any]) -> None:
        germany = next(c for c in rules["countries"] if c["code"] == "DE")
        germany["revenue_thresholds"]["Gold"] = "a lot"

    _edit(data_copy, "tiers.yaml", break_germany)
    message = _problem(data_copy)
    assert "tiers.yaml: entry DE: field 'revenue_thresholds.Gold'" in message


def test_excluded_benefit_must_exist(data_copy: Path) -> None:
    def exclude_unknown(rules: dict[str, Any]) -> None:
        germany = next(c for c in rules["countries"] if c["code"] == "DE")
        germany["excluded_benefits"]["Gold"] = ["Free lunch"]

    _edit(data_copy, "tiers.yaml", exclude_unknown)
    message = _problem(data_copy)
    assert "tiers.yaml: entry DE: field 'excluded_benefits.Gold': 'Free lunch'" in message


def test_unknown_client_satisfaction_competency(data_copy: Path) -> None:
    _edit(data_copy, "tiers.yaml", lambda d: d.update(client_satisfaction_competency="C-HAPPY"))
    message = _problem(data_copy)
    assert "tiers.yaml: entry (top level): field 'client_satisfaction_competency'" in message


def test_invalid_yaml_and_missing_file(data_copy: Path) -> None:
    (data_copy / "facts.yaml").write_text("- id: F-X\n  title: [unclosed\n", encoding="utf-8")
    (data_copy / "courses.yaml").unlink()
    message = _problem(data_copy)
    assert "facts.yaml: not valid YAML" in message
    assert "courses.yaml: file not found" in message


def test_every_problem_is_reported_at_once(data_copy: Path) -> None:
    def break_two(courses: list[dict[str, Any]]) -> None:
        courses[0].pop("title")
        courses[5]["level"] = "expert"

    _edit(data_copy, "courses.yaml", break_two)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(data_copy)
    assert len(caught.value.problems) == 2
    assert "field 'level': Input should be 'beginner', 'intermediate' or 'advanced'" in str(
        caught.value
    )
