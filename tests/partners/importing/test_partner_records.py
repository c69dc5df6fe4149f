"""The partner-records import on good exports: applied, idempotent, dry run, JSONL, mapping.

Real parts throughout: the documented example export (docs/examples/partners), a
migrated SQLite store in a temporary directory (and the local PostgreSQL server for
one test), the shipped catalogue, the tier engine reading what was imported.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from partners.catalogue import program_catalogue
from partners.importing.partner_records import import_partner_records
from partners.models import Partner, Person, Revenue
from partners.status import partner_status
from tests.partners.fixtures import postgres_schema
from tests.partners.importing.partner_export import (
    EXAMPLE_MAPPING,
    EXAMPLE_RECORDS,
    copy_example,
    drop_rows,
    dump,
    new_store,
    read_csv,
    set_cell,
    to_jsonl,
    write_csv,
)

TODAY = dt.date(2026, 11, 29)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = new_store(tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def run(engine: Engine, directory: Path, **options: object):  # noqa: ANN201
    with Session(engine) as session:
        return import_partner_records(session, directory, **options)  # type: ignore[arg-type]


def test_the_example_export_is_written_and_the_tier_engine_reads_it(
    store: Engine, export: Path
) -> None:
    report = run(store, export)

    assert report.ok and report.applied, report.render()
    assert (len(report.added), len(report.changed), len(report.removed)) == (EXAMPLE_RECORDS, 0, 0)
    assert "partner PW-10001" in report.added and "person CT-200301" in report.added
    with Session(store) as session:
        partners = session.scalars(select(Partner).order_by(Partner.id)).all()
        assert [(p.id, p.source, p.passcode_hash) for p in partners] == [
            ("PW-10001", "office", None),
            ("PW-10002", "office", None),
            ("PW-10003", "office", None),
        ]
        vogel = session.scalar(select(Person).where(Person.external_id == "CT-200101"))
        assert vogel is not None and vogel.partner_id == "PW-10001"
        assert vogel.email == "katrin.vogel@alpenblick-it.example"
        # A blank currency is the partner's country's currency (JP: JPY).
        sakura = session.get(Revenue, ("PW-10003", 2025))
        assert sakura is not None and (sakura.amount, sakura.currency) == (9_500_000, "JPY")
        status = partner_status(session, program_catalogue(), "PW-10001", TODAY)
    assert status is not None
    assert status.tier == "Silver" and status.recorded_tier == "Silver"
    assert set(status.competencies) == {"C-CLIENT-SAT", "C-CLOUD-NATIVE"}
    assert status.vouchers_available == 2


def test_the_same_export_twice_changes_nothing(store: Engine, export: Path) -> None:
    run(store, export)
    before = dump(store)

    again = run(store, export)

    assert again.ok and not again.has_changes
    assert (again.added, again.changed, again.removed) == ([], [], [])
    assert again.unchanged == EXAMPLE_RECORDS
    assert "nothing to change" in again.summary()
    assert dump(store) == before


def test_a_changed_cell_changes_exactly_that_record(store: Engine, export: Path) -> None:
    run(store, export)
    set_cell(export, "revenue.csv", 3, "amount", "151000")  # PW-10001, 2025
    set_cell(export, "people.csv", 2, "email", "k.vogel@alpenblick-it.example")

    report = run(store, export)

    assert report.applied
    assert report.changed == ["person CT-200101", "revenue PW-10001/2025"]
    assert (report.added, report.removed) == ([], [])
    with Session(store) as session:
        revenue = session.get(Revenue, ("PW-10001", 2025))
        assert revenue is not None and revenue.amount == 151_000


def test_a_dry_run_reports_what_would_change_and_writes_nothing(
    store: Engine, export: Path
) -> None:
    before = dump(store)

    report = run(store, export, dry_run=True)

    assert report.ok and report.dry_run and not report.applied
    assert len(report.added) == EXAMPLE_RECORDS
    assert "would add 44" in report.summary() and "nothing written" in report.summary()
    assert dump(store) == before


def test_json_lines_import_like_csv(tmp_path: Path, export: Path) -> None:
    from_csv, from_jsonl = new_store(tmp_path / "a"), new_store(tmp_path / "b")
    jsonl = to_jsonl(export, tmp_path / "jsonl")

    run(from_csv, export)
    report = run(from_jsonl, jsonl)

    assert report.ok and len(report.added) == EXAMPLE_RECORDS, report.render()
    assert dump(from_jsonl) == dump(from_csv)
    # Either format of the same records is the same data: nothing to change.
    assert not run(from_csv, jsonl).has_changes


def test_a_mapping_file_reads_the_crm_header_names(store: Engine, tmp_path: Path) -> None:
    """The example mapping renames CRM headers; mapped-to-"-" columns are ignored."""
    import yaml

    plain = copy_example(tmp_path / "plain")
    crm = tmp_path / "crm"
    crm.mkdir()
    mapping = yaml.safe_load(EXAMPLE_MAPPING.read_text())
    for path in sorted(plain.glob("*.csv")):
        theirs = {ours: header for header, ours in mapping[path.stem].items() if ours != "-"}
        rows = read_csv(path)
        ignored = [h for h, ours in mapping[path.stem].items() if ours == "-"]
        header = [theirs[column] for column in rows[0]] + ignored
        write_csv(crm / path.name, [header] + [r + ["x"] * len(ignored) for r in rows[1:]])
    reference = new_store(tmp_path / "reference")
    run(reference, plain)

    without = run(store, crm)
    report = run(store, crm, mapping=EXAMPLE_MAPPING)

    assert not without.ok
    assert any("unknown column 'Account ID'" in p.reason for p in without.problems)
    assert report.ok and len(report.added) == EXAMPLE_RECORDS, report.render()
    assert dump(store) == dump(reference)


def test_an_export_with_only_some_files_leaves_the_other_kinds_alone(
    store: Engine, export: Path
) -> None:
    run(store, export)
    for name in ("people", "certifications", "completions", "competencies", "vouchers"):
        (export / f"{name}.csv").unlink()
    (export / "partners.csv").unlink()
    set_cell(export, "revenue.csv", 2, "amount", "120000")
    before = dump(store)

    report = run(store, export, prune=True)

    assert report.changed == ["revenue PW-10001/2024"] and report.removed == []
    assert any("left as they are: partners, people" in note for note in report.notes)
    after = dump(store)
    assert after["people"] == before["people"] and after["vouchers"] == before["vouchers"]


def test_course_ids_are_checked_against_the_catalogue_release_the_store_serves(
    store: Engine, export: Path
) -> None:
    """A course the office imported (a catalogue release) counts, though no file has it."""
    from partners.releases import publish
    from tests.knowledge.building import ensure_index
    from tests.knowledge.new_course import NEW_COURSE, shipped_content, with_course

    set_cell(export, "completions.csv", 13, "course_id", NEW_COURSE["id"])
    before = run(store, export)
    assert [(p.row, p.column, p.value) for p in before.problems] == [
        (13, "course_id", NEW_COURSE["id"])
    ]

    ensure_index()
    with Session(store) as session:
        publish(session, with_course(shipped_content()), source="test", log=lambda _: None)
        session.commit()
    report = run(store, export)

    assert report.ok and report.applied, report.render()
    assert f"completion CT-200301/{NEW_COURSE['id']}" in report.added


def test_the_command_line_exits_0_for_a_good_export_and_1_for_a_bad_one(
    tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from bot.cli import main
    from settings import get_settings

    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PA_SEED_SAMPLE_DATA", "false")
    monkeypatch.setenv("PA_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["import", "partners", str(export)]) == 0
        assert "added 44" in capsys.readouterr().out
        set_cell(export, "revenue.csv", 2, "amount", "-1")
        assert main(["import", "partners", str(export)]) == 1
        out = capsys.readouterr().out
        assert "revenue.csv" in out and "negative amount" in out and "nothing written" in out
    finally:
        get_settings.cache_clear()


@pytest.mark.postgres
def test_postgresql_store_imports_idempotently_and_refuses_a_bad_export(export: Path) -> None:
    from partners.migrate import upgrade

    with postgres_schema(f"pa_partner_import_{os.getpid()}") as engine:
        upgrade(engine)
        first = run(engine, export)
        assert first.applied and len(first.added) == EXAMPLE_RECORDS, first.render()
        before = dump(engine)
        assert not run(engine, export).has_changes
        set_cell(export, "people.csv", 3, "partner_id", "PW-99999")
        bad = run(engine, export)
        assert [(p.row, p.column, p.value) for p in bad.problems] == [(3, "partner_id", "PW-99999")]
        assert dump(engine) == before
        # Changes and removals take the other write paths (updates, deletes).
        set_cell(export, "people.csv", 3, "partner_id", "PW-10002")  # Jonas moves
        drop_rows(export, "vouchers.csv", "code", "VC-2026-00418")
        changed = run(engine, export, prune=True)
        assert changed.changed == ["person CT-200102"], changed.render()
        assert changed.removed == ["voucher VC-2026-00418"]
        with Session(engine) as session:
            jonas = session.scalar(select(Person).where(Person.external_id == "CT-200102"))
            assert jonas is not None and jonas.partner_id == "PW-10002"
