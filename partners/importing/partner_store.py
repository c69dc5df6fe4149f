"""Read the partner records the store holds, in one query per table.

Plain rows through SQLAlchemy Core, never one ORM object per record: 10,000
partners with 50,000 people must import in seconds. ``lock_for_import`` makes the
import's transaction the only one writing before it reads what it plans from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from partners.models import (
    Certification,
    CourseCompletion,
    EarnedCompetency,
    Partner,
    Person,
    Revenue,
    SatisfactionScore,
    Voucher,
)

# pg_advisory_xact_lock key of partner-records imports ("PAIMPORT" in ASCII).
POSTGRES_LOCK_KEY = 0x5041494D504F5254


@dataclass
class StoreState:
    """Every partner record in the store, as plain tuples."""

    partners: dict[str, tuple[str, str, str, str]]  # id: name, country, tier, source
    people: dict[int, tuple[str | None, str, str, str, str]]  # id: ext, partner, name, email, role
    # id, person, name, course, earned on, expires on
    certifications: list[tuple[int, int, str, str | None, dt.date, dt.date | None]]
    completions: list[tuple[int, int, str, dt.date]]  # id, person, course, on
    competencies: list[tuple[str, str, dt.date]]
    revenue: list[tuple[str, int, int, str]]
    satisfaction: list[tuple[str, int, int, float]]
    vouchers: list[tuple[str, str, str, dt.date]]
    person_by_external: dict[str, int] = field(default_factory=dict)

    @property
    def next_person_id(self) -> int:
        """The first person id no row uses (ids are given out by the import)."""
        return max(self.people, default=0) + 1


def lock_for_import(session: Session) -> None:
    """Make the caller's transaction the only import writing, before it reads the store.

    What the import plans from must still be true when it writes. SQLite: ``BEGIN
    IMMEDIATE`` takes the write lock now (a transaction that read first and wrote
    later would fail if anyone committed in between); other writers wait, for the
    seconds the import takes, within their busy timeout. PostgreSQL: a transaction
    advisory lock serialises imports; the app's own writes go on.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})


def load_state(session: Session) -> StoreState:
    """Read every partner record of the store (inside the caller's transaction)."""

    def rows(*columns: Any) -> list[Any]:
        return [tuple(row) for row in session.execute(select(*columns))]

    state = StoreState(
        partners={
            row[0]: (row[1], row[2], row[3], row[4])
            for row in session.execute(
                select(Partner.id, Partner.name, Partner.country, Partner.tier, Partner.source)
            )
        },
        people={
            row[0]: (row[1], row[2], row[3], row[4], row[5])
            for row in session.execute(
                select(
                    Person.id,
                    Person.external_id,
                    Person.partner_id,
                    Person.name,
                    Person.email,
                    Person.role,
                )
            )
        },
        certifications=rows(
            Certification.id,
            Certification.person_id,
            Certification.name,
            Certification.course_id,
            Certification.earned_on,
            Certification.expires_on,
        ),
        completions=rows(
            CourseCompletion.id,
            CourseCompletion.person_id,
            CourseCompletion.course_id,
            CourseCompletion.completed_on,
        ),
        competencies=rows(
            EarnedCompetency.partner_id, EarnedCompetency.competency_id, EarnedCompetency.earned_on
        ),
        revenue=rows(Revenue.partner_id, Revenue.year, Revenue.amount, Revenue.currency),
        satisfaction=rows(
            SatisfactionScore.partner_id,
            SatisfactionScore.year,
            SatisfactionScore.quarter,
            SatisfactionScore.score,
        ),
        vouchers=rows(Voucher.code, Voucher.partner_id, Voucher.status, Voucher.expires_on),
    )
    state.person_by_external = {
        values[0]: person_id for person_id, values in state.people.items() if values[0]
    }
    return state
