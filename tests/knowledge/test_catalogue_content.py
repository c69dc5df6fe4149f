"""Catalogue content (what imports edit and releases store) validates like the files."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from knowledge.catalogue import (
    CatalogueError,
    catalogue_content,
    catalogue_from_content,
    load_catalogue,
)
from tests.knowledge.new_course import NEW_COURSE, shipped_content, with_course


@pytest.fixture(scope="module")
def content() -> dict[str, Any]:
    return shipped_content()


def _problems(content: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogueError) as raised:
        catalogue_from_content(content)
    return raised.value.problems


def test_content_is_json_and_gives_back_the_same_catalogue(content: dict[str, Any]) -> None:
    shipped = load_catalogue()
    again = catalogue_from_content(json.loads(json.dumps(content)))
    assert again.competencies == shipped.competencies
    assert again.courses == shipped.courses
    assert again.rules == shipped.rules
    assert again.facts == shipped.facts
    assert catalogue_content(again) == content


def test_every_model_field_travels_in_the_content(content: dict[str, Any]) -> None:
    shipped = load_catalogue()
    # Fields with defaults too (a provenance label, say): nothing is left behind.
    assert set(content["rules"]) == set(type(shipped.rules).model_fields)
    assert set(content["facts"][0]) == set(type(shipped.facts[0]).model_fields)
    assert set(content["courses"][0]) == set(type(shipped.courses[0]).model_fields)


def test_a_new_course_is_indexed_with_its_competency(content: dict[str, Any]) -> None:
    catalogue = catalogue_from_content(with_course(content))
    assert catalogue.course_by_id[NEW_COURSE["id"]].title == NEW_COURSE["title"]
    assert NEW_COURSE["id"] in {c.id for c in catalogue.courses_by_competency["C-SECURITY"]}


def test_a_bad_field_names_part_entry_and_field(content: dict[str, Any]) -> None:
    broken = with_course(content, {**NEW_COURSE, "duration_hours": -2})
    assert _problems(broken) == [
        "courses: entry U-PQC-101: field 'duration_hours': Input should be greater than 0"
    ]


def test_an_unknown_reference_names_part_entry_and_field(content: dict[str, Any]) -> None:
    broken = with_course(content, {**NEW_COURSE, "competencies": ["C-QUANTUM-BAKING"]})
    (problem,) = _problems(broken)
    assert problem.startswith("courses: entry U-PQC-101: field 'competencies'"), problem
    assert "C-QUANTUM-BAKING" in problem


def test_bad_rules_name_the_tier(content: dict[str, Any]) -> None:
    broken = copy.deepcopy(content)
    broken["rules"]["tiers"][2]["rank"] = -1
    (problem,) = _problems(broken)
    assert problem.startswith("rules: entry Gold: field 'rank'"), problem


def test_missing_and_unknown_parts_are_named(content: dict[str, Any]) -> None:
    broken = {key: value for key, value in content.items() if key != "facts"} | {"faq": []}
    assert _problems(broken) == ["content: missing part 'facts'", "content: unknown part 'faq'"]
    assert _problems([]) == ["content: expected a mapping, found list"]  # type: ignore[arg-type]
