"""Catalogue imports against a real SQLite store, with the shipped catalogue as the base."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from knowledge.models import ProgramRules
from partners.importing.catalogue_import import (
    import_competencies,
    import_courses,
    import_facts,
    import_rules,
)
from tests.partners.importing.catalogue_files import (
    COMPETENCY_HEADER,
    content_of,
    course_cells,
    course_row,
    fresh_store,
    version_of,
    write_csv,
    write_jsonl,
)


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    return fresh_store(tmp_path)


def _courses(engine: Engine, path: Path, **flags):
    with Session(engine) as session:
        return import_courses(session, path, **flags)


def test_a_good_course_file_is_published_once_and_the_same_file_again_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "courses.csv", [course_row(level="Beginner")])

    first = _courses(engine, path)
    second = _courses(engine, path)

    assert first.ok and first.applied and first.added == ["U-QNT-101"]
    assert first.version == 1 == version_of(engine)
    course = next(c for c in content_of(engine)["courses"] if c["id"] == "U-QNT-101")
    assert course["competencies"] == ["C-CLOUD-NATIVE", "C-HYBRID-CLOUD"]
    assert course["level"] == "beginner" and course["voucher_eligible"] is True
    assert second.ok and not second.applied and second.unchanged == 1
    assert second.added == second.changed == [] and version_of(engine) == 1
    assert "nothing to change" in second.render()


def test_every_bad_row_is_reported_with_file_row_column_value_and_reason_and_nothing_changes(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        course_row(id="U-QNT-101", competencies="C-QUANTUM"),  # row 2: unknown competency
        course_row(id="U-QNT-102", title="Two", duration_hours="-3"),  # row 3: negative hours
        course_row(id="U-QNT-101", title="Again"),  # row 4: duplicate id
        course_row(id="U-QNT-104", title="Four", prerequisites="U-QNT-105"),  # rows 5-6: cycle
        course_row(id="U-QNT-105", title="Five", prerequisites="U-QNT-104"),
        course_row(id="U-QNT-106", title="Six", level="expert", delivery="by post"),  # row 7
        course_row(id="U-QNT-107", title="Seven", prerequisites="U-NOPE-1"),  # row 8
        course_row(id="Q-108", title="Eight", credits="five"),  # row 9: id and credits
    ]
    path = write_csv(tmp_path / "courses.csv", rows)
    before = content_of(engine)

    report = _courses(engine, path)

    located = {(p.file, p.row, p.column, p.value) for p in report.problems}
    assert located == {
        (str(path), 2, "competencies", "C-QUANTUM"),
        (str(path), 3, "duration_hours", "-3"),
        (str(path), 4, "id", "U-QNT-101"),
        (str(path), 5, "prerequisites", "U-QNT-105"),
        (str(path), 7, "level", "expert"),
        (str(path), 7, "delivery", "by post"),
        (str(path), 8, "prerequisites", "U-NOPE-1"),
        (str(path), 9, "id", "Q-108"),
        (str(path), 9, "credits", "five"),
    }
    reasons = {p.row: p.reason for p in report.problems}
    assert "unknown competency 'C-QUANTUM'" in reasons[2]
    assert "greater than 0" in reasons[3]
    assert "duplicate id (also on row 2)" in reasons[4]
    assert "prerequisite cycle U-QNT-104 -> U-QNT-105 -> U-QNT-104" in reasons[5]
    assert not report.ok and not report.applied
    assert version_of(engine) == 0 and content_of(engine) == before
    text = report.render()
    assert "9 problems, nothing written" in text
    assert all(p.reason in text for p in report.problems)


def test_a_file_missing_a_contract_column_is_refused_naming_the_column(
    engine: Engine, tmp_path: Path
) -> None:
    header = [column for column in course_row() if column != "duration_hours"]
    path = write_csv(tmp_path / "courses.csv", [course_row()], header=header)

    report = _courses(engine, path)

    assert [(p.row, p.column) for p in report.problems] == [(1, "duration_hours")]
    assert version_of(engine) == 0


def test_a_dry_run_reports_what_would_change_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    changed = course_cells(content_of(engine)["courses"][0]) | {"duration_hours": "99"}
    path = write_csv(tmp_path / "courses.csv", [course_row(), changed])

    report = _courses(engine, path, dry_run=True)

    assert report.ok and not report.applied
    assert report.added == ["U-QNT-101"] and report.changed == [changed["id"]]
    assert "would add 1, would change 1" in report.render()
    assert version_of(engine) == 0


def test_prune_removes_courses_missing_from_the_file_unless_something_still_needs_them(
    engine: Engine, tmp_path: Path
) -> None:
    content = content_of(engine)
    needed = {
        c for comp in content["competencies"] for c in comp["requirements"]["required_courses"]
    }
    needed |= {p for course in content["courses"] for p in course["prerequisites"]}
    on_offer: dict[str, int] = {}
    for course in content["courses"]:
        for competency in course["competencies"]:
            on_offer[competency] = on_offer.get(competency, 0) + course["credits"]
    wanted = {c["id"]: c["requirements"]["credits"] for c in content["competencies"]}
    spare = next(
        c
        for c in content["courses"]
        if c["id"] not in needed
        and all(on_offer[k] - c["credits"] >= wanted[k] for k in c["competencies"])
    )
    required = next(iter(sorted(needed)))

    without_required = [course_cells(c) for c in content["courses"] if c["id"] != required]
    refused = _courses(engine, write_csv(tmp_path / "a.csv", without_required), prune=True)
    without_spare = [course_cells(c) for c in content["courses"] if c["id"] != spare["id"]]
    kept = _courses(engine, write_csv(tmp_path / "b.csv", without_spare))
    pruned = _courses(engine, write_csv(tmp_path / "c.csv", without_spare), prune=True)

    assert not refused.ok
    assert any(p.value == required and "still refers to it" in p.reason for p in refused.problems)
    assert kept.ok and kept.removed == [] and not kept.applied
    assert pruned.ok and pruned.removed == [spare["id"]] and pruned.applied
    after = content_of(engine)
    assert spare["id"] not in {c["id"] for c in after["courses"]}
    # The file now holds the whole course catalogue: it is the office's, no longer sample.
    assert ProgramRules.model_validate(after["rules"]).source_of("courses") == "office"


def test_jsonl_gives_the_same_catalogue_as_csv(tmp_path: Path) -> None:
    csv_store, jsonl_store = fresh_store(tmp_path / "a"), fresh_store(tmp_path / "b")
    record = course_row() | {
        "duration_hours": 6,
        "credits": 5,
        "voucher_eligible": True,
        "competencies": ["C-CLOUD-NATIVE", "C-HYBRID-CLOUD"],
    }

    by_csv = _courses(csv_store, write_csv(tmp_path / "courses.csv", [course_row()]))
    by_jsonl = _courses(jsonl_store, write_jsonl(tmp_path / "courses.jsonl", [record]))

    assert by_csv.ok and by_jsonl.ok and by_jsonl.added == ["U-QNT-101"]
    assert content_of(csv_store) == content_of(jsonl_store)


def test_a_mapping_file_lets_a_learning_platform_export_import_without_code(
    engine: Engine, tmp_path: Path
) -> None:
    theirs = {
        "id": "Course Code",
        "title": "Course Name",
        "duration_hours": "Hours",
        "voucher_eligible": "Voucher",
    }
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "courses:\n" + "".join(f"  {their}: {ours}\n" for ours, their in theirs.items()),
        encoding="utf-8",
    )
    row = {theirs.get(column, column): value for column, value in course_row().items()}
    path = write_csv(tmp_path / "lms.csv", [row], header=list(row))

    without = _courses(engine, path)
    report = _courses(engine, path, mapping=mapping)

    assert {p.column for p in without.problems} >= {"id", "title", "Course Code"}
    assert report.ok and report.added == ["U-QNT-101"] and version_of(engine) == 1


def test_a_file_that_is_not_utf8_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "courses.csv"
    write_csv(path, [course_row(), course_row(id="U-QNT-102", title="Café Analytics")])
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))

    report = _courses(engine, path)

    [problem] = report.problems
    assert (problem.row, problem.column) == (3, "title")
    assert problem.reason.startswith("file is not UTF-8 text: byte 0xe9 at row 3")
    assert version_of(engine) == 0


def test_competencies_import_with_credit_transfer_and_a_bad_transfer_cell(
    engine: Engine, tmp_path: Path
) -> None:
    row = {
        "id": "C-QUANTUM",
        "name": "Quantum Computing",
        "area": "Industry solutions",
        "description": "Helping clients try quantum algorithms on their hardest problems.",
        "aliases": "quantum; qc",
        "credits": "5",
        "certified_people": "1",
        "client_references": "1",
        "required_courses": "",
        "credit_transfer": "Certified Quantum Developer v1=5",
    }
    good = write_csv(tmp_path / "good.csv", [row], header=COMPETENCY_HEADER)
    bad = write_csv(
        tmp_path / "bad.csv", [row | {"credit_transfer": "Old cert"}], header=COMPETENCY_HEADER
    )

    with Session(engine) as session:
        refused = import_competencies(session, bad)
    with Session(engine) as session:
        # No course counts toward the new competency yet: its 5 credits cannot be earned.
        short = import_competencies(session, good)

    assert [(p.row, p.column, p.value) for p in refused.problems] == [
        (2, "credit_transfer", "Old cert")
    ]
    assert [(p.row, p.column) for p in short.problems] == [(2, "credits")]
    assert "give only 0" in short.problems[0].reason
    assert version_of(engine) == 0


def test_a_rules_figure_replaces_the_sample_value_and_loses_its_label(
    engine: Engine, tmp_path: Path
) -> None:
    header = ["figure", "value"]
    path = write_csv(
        tmp_path / "rules.csv",
        [
            {"figure": "tiers.Gold.min_satisfaction_score", "value": "8.2"},
            {"figure": "countries.de.revenue.gold", "value": "500000"},
        ],
        header=header,
    )
    lower = write_csv(
        tmp_path / "lower.csv",
        [
            {"figure": "tiers.Platinum.requirements.min_satisfaction_score", "value": "1"},
            {"figure": "tiers.Gold.bonus", "value": "1"},
        ],
        header=header,
    )

    with Session(engine) as session:
        report = import_rules(session, path)
    with Session(engine) as session:
        again = import_rules(session, path)
    with Session(engine) as session:
        refused = import_rules(session, lower)

    rules = ProgramRules.model_validate(content_of(engine)["rules"])
    assert report.ok and report.changed == [
        "tiers.Gold.requirements.min_satisfaction_score",
        "countries.DE.revenue_thresholds.Gold",
    ]
    gold = next(t for t in rules.tiers if t.name == "Gold")
    assert gold.requirements.min_satisfaction_score == 8.2
    assert rules.source_of("countries.DE.revenue_thresholds.Gold") == "office"
    assert rules.source_of("countries.DE.revenue_thresholds.Silver") == "sample"
    assert again.ok and not again.applied and version_of(engine) == 1
    assert {(p.row, p.column) for p in refused.problems} == {(2, "value"), (3, "figure")}
    assert any("lower than Gold's" in p.reason for p in refused.problems)


def test_facts_import_adds_an_office_fact(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "facts.csv",
        [
            {
                "id": "F-OFFICE-HOURS",
                "title": "The partner desk answers on business days",
                "text": "The partner desk answers questions from 8:00 to 18:00 on business days.",
                "kind": "Fact",
                "topic": "support",
            }
        ],
        header=["id", "title", "text", "kind", "topic"],
    )

    with Session(engine) as session:
        report = import_facts(session, path)

    fact = next(f for f in content_of(engine)["facts"] if f["id"] == "F-OFFICE-HOURS")
    assert report.ok and report.added == ["F-OFFICE-HOURS"]
    assert fact["source"] == "office" and fact["kind"] == "fact"


EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "catalogue"


@pytest.mark.parametrize(
    ("importer", "name", "mapping"),
    [
        (import_courses, "courses.csv", None),
        (import_courses, "courses.jsonl", None),
        (import_courses, "courses-lms.csv", "mapping.yaml"),
        (import_competencies, "competencies.csv", None),
        (import_facts, "facts.csv", None),
        (import_rules, "rules.csv", None),
    ],
)
def test_the_documented_example_files_import_cleanly(
    engine: Engine, importer, name: str, mapping: str | None
) -> None:
    with Session(engine) as session:
        report = importer(
            session, EXAMPLES / name, mapping=mapping and EXAMPLES / mapping, dry_run=True
        )

    assert report.ok, report.render()
    assert report.added or report.changed


def test_progress_is_reported_up_to_the_last_row(engine: Engine, tmp_path: Path) -> None:
    rows = [course_row(id=f"U-QNT-{n:03}", title=f"Quantum {n}") for n in range(600)]
    path = write_csv(tmp_path / "courses.csv", rows)
    calls: list[tuple[str, int, int | None]] = []

    report = _courses(engine, path, dry_run=True, progress=lambda *call: calls.append(call))

    assert report.ok and len(report.added) == 600
    assert calls[0][1:] == (0, 600) and calls[-1][1:] == (600, 600)
    assert len(calls) > 2  # in between, too: a bar moves during a long file
