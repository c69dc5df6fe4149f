"""Removing records with --prune, and office imports into a store with sample partners.

Without ``prune`` nothing is ever removed; with it, records the files lack go, and
what hangs off them (people, their certifications, chat links, ...) goes too and is
listed. Sample partners stay labelled sample beside office partners, are never a
parent of office records, and go (or are replaced) only with ``prune``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from partners.auth import InvalidTokenError, issue_token, verify_passcode
from partners.catalogue import program_catalogue
from partners.conversations import ConversationBinding
from partners.identity import identity_from_token
from partners.importing.partner_records import import_partner_records
from partners.importing.report import ImportReport
from partners.models import ChatLink, HandoffTicket, Partner, Person
from partners.seed import seed_sample_data
from tests.partners.fixtures import store_settings
from tests.partners.importing.partner_export import (
    copy_example,
    drop_rows,
    dump,
    new_store,
    read_csv,
    set_cell,
    write_csv,
)

SAMPLE_PARTNERS = 40  # P-0001 ... P-0040; P-0020 and P-0040 have a sample Slack link
NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = new_store(tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def sample_store(store: Engine) -> Engine:
    """The sample partners, a chat signed in as P-0020 and a ticket it opened."""
    seed_sample_data(store, program_catalogue(), count=SAMPLE_PARTNERS)
    with Session(store) as session:
        session.add(
            ConversationBinding(
                conversation_id="web:P-0020:abc",
                partner_id="P-0020",
                token_id="jti-1",
                bound_at=NOW,
                expires_at=NOW + dt.timedelta(hours=1),
            )
        )
        session.add(
            HandoffTicket(
                partner_id="P-0020",
                sender_id="web:P-0020:abc",
                channel="rest",
                transcript="[]",
                status="open",
                created_at=NOW,
            )
        )
        session.commit()
    return store


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def run(engine: Engine, directory: Path, **options: object) -> ImportReport:
    with Session(engine) as session:
        return import_partner_records(session, directory, **options)  # type: ignore[arg-type]


def sources(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(select(Partner.source, func.count()).group_by(Partner.source))
        return {source: count for source, count in rows}


def rename_partner(export: Path, old: str, new: str) -> None:
    """Give a partner another id in every file of the export."""
    for path in export.glob("*.csv"):
        rows = read_csv(path)
        if "partner_id" in rows[0]:
            index = rows[0].index("partner_id")
            for row in rows[1:]:
                row[index] = new if row[index] == old else row[index]
            write_csv(path, rows)


def test_without_prune_nothing_is_removed(store: Engine, export: Path) -> None:
    run(store, export)
    drop_rows(export, "partners.csv", "partner_id", "PW-10003")
    drop_rows(export, "people.csv", "person_id", "CT-200301")
    drop_rows(export, "completions.csv", "person_id", "CT-200301")
    drop_rows(export, "revenue.csv", "partner_id", "PW-10003")
    before = dump(store)

    report = run(store, export)

    assert report.ok and report.removed == [] and not report.has_changes
    assert dump(store) == before


def test_prune_removes_what_the_files_lack_and_lists_each_record(
    store: Engine, export: Path
) -> None:
    run(store, export)
    drop_rows(export, "partners.csv", "partner_id", "PW-10003")
    drop_rows(export, "people.csv", "person_id", "CT-200301")
    drop_rows(export, "completions.csv", "person_id", "CT-200301")
    drop_rows(export, "revenue.csv", "partner_id", "PW-10003")
    drop_rows(export, "people.csv", "person_id", "CT-200202")  # Tom leaves Harbourline
    drop_rows(export, "vouchers.csv", "code", "VC-2026-00502")

    preview = run(store, export, prune=True, dry_run=True)
    report = run(store, export, prune=True)

    removed = [
        "partner PW-10003",
        "person CT-200202",
        "person CT-200301",
        "completion CT-200301/U-DWH-101",
        "revenue PW-10003/2025",
        "voucher VC-2026-00502",
    ]
    assert sorted(preview.removed) == sorted(removed) and not preview.applied
    assert report.applied and sorted(report.removed) == sorted(removed)
    with Session(store) as session:
        assert session.get(Partner, "PW-10003") is None
        people = session.scalars(select(Person.external_id).order_by(Person.external_id)).all()
    assert people == ["CT-200101", "CT-200102", "CT-200103", "CT-200104", "CT-200201"]


def test_a_partner_pruned_from_the_partners_file_takes_its_people_along(
    store: Engine, export: Path
) -> None:
    """Only partners.csv in the export: its people and records go with it, listed."""
    run(store, export)
    for path in export.glob("*.csv"):
        if path.name != "partners.csv":
            path.unlink()
    drop_rows(export, "partners.csv", "partner_id", "PW-10003")

    report = run(store, export, prune=True)

    assert sorted(report.removed) == [
        "completion CT-200301/U-DWH-101",
        "partner PW-10003",
        "person CT-200301",
        "revenue PW-10003/2025",
    ]
    assert any("removed with their partner or person" in note for note in report.notes)


def test_records_of_a_partner_pruned_from_the_partners_file_are_problems(
    store: Engine, export: Path
) -> None:
    run(store, export)
    drop_rows(export, "partners.csv", "partner_id", "PW-10003")
    before = dump(store)

    report = run(store, export, prune=True)

    assert sorted((Path(p.file).name, p.row, p.column) for p in report.problems) == [
        ("people.csv", 8, "partner_id"),
        ("revenue.csv", 5, "partner_id"),
    ]
    assert all("--prune removes it" in p.reason for p in report.problems)
    assert dump(store) == before


def test_an_office_import_beside_sample_partners_keeps_them_labelled_sample(
    sample_store: Engine, export: Path
) -> None:
    report = run(sample_store, export)

    assert report.applied and report.removed == []
    assert sources(sample_store) == {"sample": SAMPLE_PARTNERS, "office": 3}
    assert any(
        f"{SAMPLE_PARTNERS} sample partners remain in the store, labelled sample" in note
        for note in report.notes
    )
    with Session(sample_store) as session:
        office = session.scalars(select(Partner).where(Partner.source == "office")).all()
        assert all(partner.passcode_hash is None for partner in office)
        sample = session.get(Partner, "P-0001")
        assert sample is not None and verify_passcode("demo", sample.passcode_hash)


def test_prune_removes_the_sample_partners_and_everything_they_hold(
    sample_store: Engine, export: Path
) -> None:
    report = run(sample_store, export, prune=True)

    assert report.applied
    assert sources(sample_store) == {"office": 3}
    assert "partner P-0001 (sample)" in report.removed
    assert any(r.startswith("person #") for r in report.removed)
    assert any(
        "2 chat links and 1 signed-in chat sessions go; their 1 handoff tickets stay" in note
        for note in report.notes
    )
    with Session(sample_store) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 7
        assert session.scalar(select(func.count()).select_from(ChatLink)) == 0
        assert session.scalar(select(func.count()).select_from(ConversationBinding)) == 0
        ticket = session.scalars(select(HandoffTicket)).one()
        assert ticket.partner_id is None
    assert not run(sample_store, export, prune=True).has_changes


def test_a_sample_partners_id_is_taken_over_only_with_prune(
    sample_store: Engine, export: Path
) -> None:
    rename_partner(export, "PW-10001", "P-0020")
    before = dump(sample_store)

    refused = run(sample_store, export)

    assert [(Path(p.file).name, p.row, p.column, p.value) for p in refused.problems] == [
        ("partners.csv", 2, "partner_id", "P-0020")
    ]
    assert "a sample partner has this id" in refused.problems[0].reason
    assert dump(sample_store) == before

    report = run(sample_store, export, prune=True)

    assert report.applied and "partner P-0020 (was sample)" in report.changed
    with Session(sample_store) as session:
        partner = session.get(Partner, "P-0020")
        assert partner is not None
        assert (partner.name, partner.source) == ("Alpenblick IT-Services GmbH", "office")
        # The public sample passcode must not open an office partner's record.
        assert partner.passcode_hash is None
        people = session.scalars(select(Person.external_id).where(Person.partner_id == "P-0020"))
        assert sorted(str(p) for p in people) == [
            "CT-200101",
            "CT-200102",
            "CT-200103",
            "CT-200104",
        ]
        links = session.scalars(select(ChatLink).where(ChatLink.partner_id == "P-0020")).all()
        assert links == []


def test_a_sign_in_made_for_a_sample_partner_does_not_open_the_office_record_taking_its_id(
    sample_store: Engine, export: Path, tmp_path: Path
) -> None:
    settings = store_settings("sqlite://", tmp_path)
    sample_token, _ = issue_token("P-0020", "partner", settings, record_source="sample")
    with Session(sample_store) as session:
        assert identity_from_token(sample_token, settings, session).partner_id == "P-0020"
    rename_partner(export, "PW-10001", "P-0020")

    assert run(sample_store, export, prune=True).applied

    office_token, _ = issue_token("P-0020", "partner", settings, record_source="office")
    with Session(sample_store) as session:
        with pytest.raises(InvalidTokenError, match="records were replaced"):
            identity_from_token(sample_token, settings, session)
        assert identity_from_token(office_token, settings, session).partner_id == "P-0020"


def test_office_records_cannot_be_attached_to_a_sample_partner(
    sample_store: Engine, export: Path
) -> None:
    set_cell(export, "vouchers.csv", 5, "partner_id", "P-0002")
    before = dump(sample_store)

    report = run(sample_store, export)

    assert [(Path(p.file).name, p.row, p.column, p.value) for p in report.problems] == [
        ("vouchers.csv", 5, "partner_id", "P-0002")
    ]
    assert "sample partner" in report.problems[0].reason
    assert dump(sample_store) == before
