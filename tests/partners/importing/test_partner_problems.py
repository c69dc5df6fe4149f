"""Bad partner-records exports: each problem named (file, row, column, value, reason).

Nothing is written when an export has any problem.

Each case edits one cell (or file) of the example export and expects exactly one
problem. The store already holds the good example export, so "nothing written" is
checked against real data, not an empty store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from partners.importing.partner_records import import_partner_records
from partners.importing.report import ImportReport
from tests.partners.importing.partner_export import (
    append_row,
    copy_example,
    drop_column,
    dump,
    new_store,
    set_cell,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = new_store(tmp_path)
    with Session(engine) as session:
        assert import_partner_records(session, copy_example(tmp_path / "good")).applied
    yield engine
    engine.dispose()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    export = copy_example(tmp_path)
    # A change in every file, so a write of any of them would show in the store.
    set_cell(export, "partners.csv", 4, "name", "Sakura Data Works Co., Ltd.")
    return export


def run(engine: Engine, directory: Path) -> ImportReport:
    with Session(engine) as session:
        return import_partner_records(session, directory)


Edit = Callable[[Path], object]
# (what is wrong, the edit, (file, row, column, value, words of the reason))
CASES: list[tuple[str, Edit, tuple[str, int | None, str | None, str | None, str]]] = [
    (
        "missing column",
        lambda e: drop_column(e, "people.csv", "email"),
        ("people.csv", 1, "email", None, "required column missing"),
    ),
    (
        "impossible date",
        lambda e: set_cell(e, "certifications.csv", 3, "earned_on", "2026-02-30"),
        ("certifications.csv", 3, "earned_on", "2026-02-30", "no such day"),
    ),
    (
        "date in another format",
        lambda e: set_cell(e, "completions.csv", 5, "completed_on", "30/04/2026"),
        ("completions.csv", 5, "completed_on", "30/04/2026", "expected a date as YYYY-MM-DD"),
    ),
    (
        "negative amount",
        lambda e: set_cell(e, "revenue.csv", 3, "amount", "-142000"),
        ("revenue.csv", 3, "amount", "-142000", "negative amount"),
    ),
    (
        "amount with thousands separators",
        lambda e: set_cell(e, "revenue.csv", 3, "amount", "142,000"),
        ("revenue.csv", 3, "amount", "142,000", "without thousands separators"),
    ),
    (
        "score out of range",
        lambda e: set_cell(e, "satisfaction.csv", 2, "score", "11"),
        ("satisfaction.csv", 2, "score", "11", "between 0 and 10"),
    ),
    (
        "score with a decimal comma",
        lambda e: set_cell(e, "satisfaction.csv", 2, "score", "7,2"),
        ("satisfaction.csv", 2, "score", "7,2", "a decimal point, not a comma"),
    ),
    (
        "quarter 5",
        lambda e: set_cell(e, "satisfaction.csv", 2, "quarter", "5"),
        ("satisfaction.csv", 2, "quarter", "5", "a quarter above 4"),
    ),
    (
        "person of an unknown partner",
        lambda e: set_cell(e, "people.csv", 6, "partner_id", "PW-10999"),
        ("people.csv", 6, "partner_id", "PW-10999", "unknown partner id"),
    ),
    (
        "unknown competency id",
        lambda e: set_cell(e, "competencies.csv", 3, "competency_id", "C-QUANTUM"),
        ("competencies.csv", 3, "competency_id", "C-QUANTUM", "unknown competency id"),
    ),
    (
        "unknown course id in a completion",
        lambda e: set_cell(e, "completions.csv", 2, "course_id", "U-CSAT-999"),
        ("completions.csv", 2, "course_id", "U-CSAT-999", "unknown course id"),
    ),
    (
        "unknown course id in a certification",
        lambda e: set_cell(e, "certifications.csv", 2, "course_id", "U-NOPE-101"),
        ("certifications.csv", 2, "course_id", "U-NOPE-101", "unknown course id"),
    ),
    (
        "unknown country code",
        lambda e: set_cell(e, "partners.csv", 2, "country", "XX"),
        ("partners.csv", 2, "country", "XX", "unknown country code"),
    ),
    (
        "unknown tier",
        lambda e: set_cell(e, "partners.csv", 3, "tier", "Bronze"),
        ("partners.csv", 3, "tier", "Bronze", "expected one of Registered, Silver"),
    ),
    (
        "duplicate partner id",
        lambda e: append_row(
            e,
            "partners.csv",
            {"partner_id": "PW-10002", "name": "X", "country": "GB", "tier": "Silver"},
        ),
        ("partners.csv", 5, "partner_id", "PW-10002", "duplicate partner (also on row 3)"),
    ),
    (
        "duplicate voucher code",
        lambda e: set_cell(e, "vouchers.csv", 3, "code", "VC-2026-00417"),
        ("vouchers.csv", 3, "code", "VC-2026-00417", "duplicate voucher (also on row 2)"),
    ),
    (
        "certification of an unknown person",
        lambda e: set_cell(e, "certifications.csv", 7, "person_id", "CT-999999"),
        ("certifications.csv", 7, "person_id", "CT-999999", "unknown person id"),
    ),
    (
        "voucher status",
        lambda e: set_cell(e, "vouchers.csv", 4, "status", "expired"),
        ("vouchers.csv", 4, "status", "expired", "expected one of available, used"),
    ),
    (
        "e-mail address",
        lambda e: set_cell(e, "people.csv", 4, "email", "elif.yilmaz at alpenblick"),
        ("people.csv", 4, "email", "elif.yilmaz at alpenblick", "not an e-mail address"),
    ),
    (
        "revenue in another currency than the country's",
        lambda e: set_cell(e, "revenue.csv", 4, "currency", "USD"),
        ("revenue.csv", 4, "currency", "USD", "counts revenue in GBP"),
    ),
    (
        "empty required cell",
        lambda e: set_cell(e, "partners.csv", 2, "name", ""),
        ("partners.csv", 2, "name", "", "a value is required"),
    ),
    (
        "id with a space",
        lambda e: set_cell(e, "people.csv", 8, "person_id", "CT 200301"),
        ("people.csv", 8, "person_id", "CT 200301", "not an id"),
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_cell_is_named_and_nothing_is_written(
    store: Engine, export: Path, edit: Edit, expected: tuple
) -> None:
    edit(export)
    before = dump(store)

    report = run(store, export)

    file, row, column, value, reason = expected
    assert len(report.problems) == 1, report.render()
    problem = report.problems[0]
    assert (Path(problem.file).name, problem.row, problem.column, problem.value) == (
        file,
        row,
        column,
        value,
    )
    assert reason in problem.reason
    assert not report.ok and not report.applied
    assert report.exit_status() == 1
    assert dump(store) == before


def test_every_problem_of_an_export_is_reported_at_once(store: Engine, export: Path) -> None:
    set_cell(export, "revenue.csv", 2, "amount", "-1")
    set_cell(export, "competencies.csv", 2, "competency_id", "C-NOPE")
    set_cell(export, "vouchers.csv", 5, "expires_on", "soon")
    before = dump(store)

    report = run(store, export)

    located = sorted((Path(p.file).name, p.row, p.column) for p in report.problems)
    assert located == [
        ("competencies.csv", 2, "competency_id"),
        ("revenue.csv", 2, "amount"),
        ("vouchers.csv", 5, "expires_on"),
    ]
    assert "3 problems, nothing written" in report.render()
    assert dump(store) == before


def test_a_bad_partner_row_is_reported_once_not_again_for_its_people(
    store: Engine, export: Path
) -> None:
    set_cell(export, "partners.csv", 4, "country", "XX")  # PW-10003: its person and revenue
    set_cell(export, "partners.csv", 3, "partner_id", "PW 10002")  # refer to it still

    report = run(store, export)

    assert [(Path(p.file).name, p.row, p.column) for p in report.problems] == [
        ("partners.csv", 3, "partner_id"),
        ("partners.csv", 4, "country"),
    ]


def test_a_file_not_in_utf8_is_refused_with_its_row(tmp_path: Path, export: Path) -> None:
    store = new_store(tmp_path / "empty")  # nobody known: no echo of "unknown person"
    people = export / "people.csv"
    # Saved by a spreadsheet in Latin-1: the "ö" is one byte that is not UTF-8.
    text = people.read_text(encoding="utf-8").replace("Yılmaz", "Yölmaz")
    people.write_bytes(text.encode("latin-1", errors="replace"))
    before = dump(store)

    report = run(store, export)

    assert len(report.problems) == 1
    problem = report.problems[0]
    assert (Path(problem.file).name, problem.row) == ("people.csv", 4)  # Elif Yılmaz
    assert "not UTF-8" in problem.reason
    assert dump(store) == before


def test_files_the_import_does_not_know_are_problems(store: Engine, export: Path) -> None:
    (export / "partner.csv").write_text("partner_id\nPW-1\n")
    (export / "people.jsonl").write_text("{}\n")
    (export / "README.md").write_text("notes beside the export are fine\n")

    report = run(store, export)

    assert sorted((Path(p.file).name, p.reason.split(":")[0]) for p in report.problems) == [
        ("partner.csv", "not a partner-records file"),
        ("people.jsonl", "two files for people"),
    ]


def test_a_directory_that_is_not_there_is_a_problem(store: Engine, tmp_path: Path) -> None:
    report = run(store, tmp_path / "missing")

    assert [p.reason for p in report.problems] == ["not a directory"]
