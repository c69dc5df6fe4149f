"""Partners made for the reminder tests, on a fresh store, and a clock to set.

Dates are around the sample transition window's end, 1 February 2027; a moment is
10:00 in Berlin unless a test says otherwise, inside the default hours of a German
partner (09:00-17:00 Europe/Berlin).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from partners.catalogue import ProgramCatalogue, program_catalogue
from partners.db import create_db_engine
from partners.migrate import upgrade
from partners.models import (
    Certification,
    ChatLink,
    CourseCompletion,
    EarnedCompetency,
    Partner,
    Person,
    Revenue,
    SatisfactionScore,
    Voucher,
)
from settings import Settings
from tests.fakes.fake_slack import FakeSlack
from tests.partners.fixtures import store_settings

WINDOW_END = dt.date(2027, 2, 1)
BERLIN = ZoneInfo("Europe/Berlin")
TEAM = "TREMIND"
# Three of Gold's four competencies; the fourth (Cloud Migration) is one course away in
# `one_course_partner`: its people are certified, U-MIG-201 alone closes its need.
GOLD_MINUS_ONE = ("C-CLIENT-SAT", "C-SECURITY", "C-DATA-WAREHOUSE")
MIGRATION_DONE = ("U-MIG-101", "U-MIG-102", "U-MIG-202", "U-MIG-302")


def at(day: dt.date, hour: int = 10, minute: int = 0, zone: dt.tzinfo = BERLIN) -> dt.datetime:
    """A moment on ``day`` at ``hour``:``minute`` in ``zone`` (Berlin by default)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def days_before_end(days: int, hour: int = 10) -> dt.datetime:
    """``days`` days before the transition window ends, at ``hour`` in Berlin."""
    return at(WINDOW_END - dt.timedelta(days=days), hour)


@dataclass(frozen=True)
class World:
    """A fresh migrated store (no sample data), its settings, the real catalogue."""

    engine: Engine
    settings: Settings
    catalogue: ProgramCatalogue
    url: str


def new_world(folder: Path, fake: FakeSlack | None) -> World:
    """Migrate an empty SQLite store in ``folder``; Slack is the fake (or not configured)."""
    url = f"sqlite:///{folder / 'partners.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    slack = {"SLACK_TOKEN": fake.token, "SLACK_API_BASE_URL": fake.base_url} if fake else {}
    settings = store_settings(url, folder, seed_sample_data=False, **slack)
    return World(engine, settings, program_catalogue(), url)


def add_partner(
    engine: Engine,
    partner_id: str,
    *,
    tier: str,
    competencies: Iterable[str] = ("C-CLIENT-SAT", "C-SECURITY"),
    score: float = 7.5,
    revenue: int = 100_000,
    slack_users: Iterable[str] = (),
    country: str = "DE",
) -> int:
    """Add a partner with one person; return the person's id.

    By default the figures meet Silver (2 competencies, 7.5, 100,000 EUR) and nothing
    above, so ``tier="Gold"`` makes a partner whose Gold is at risk.
    """
    start = dt.date(2026, 3, 1)
    with Session(engine) as session:
        session.add(
            Partner(
                id=partner_id,
                name=f"Test {partner_id} GmbH",
                country=country,
                tier=tier,
                source="office",
            )
        )
        session.flush()
        for competency in competencies:
            session.add(
                EarnedCompetency(partner_id=partner_id, competency_id=competency, earned_on=start)
            )
        for year in (2025, 2026):
            session.add(Revenue(partner_id=partner_id, year=year, amount=revenue, currency="EUR"))
        for quarter in (1, 2, 3, 4):
            session.add(
                SatisfactionScore(partner_id=partner_id, year=2026, quarter=quarter, score=score)
            )
        person = Person(
            partner_id=partner_id,
            name=f"Ada of {partner_id}",
            email=f"ada@{partner_id.lower()}.example",
            role="admin",
        )
        session.add(person)
        for user in slack_users:
            session.add(
                ChatLink(
                    partner_id=partner_id,
                    channel="slack",
                    external_user_id=user,
                    team_id=TEAM,
                    linked_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
                )
            )
        session.commit()
        return person.id


def one_course_partner(
    engine: Engine, partner_id: str, *, done: Iterable[str] = MIGRATION_DONE, **options: object
) -> int:
    """A Silver partner that completing U-MIG-201 alone would make Gold."""
    values: dict = {"competencies": GOLD_MINUS_ONE, "score": 8.2, "revenue": 500_000}
    values.update(options)
    person = add_partner(engine, partner_id, tier="Silver", **values)
    with Session(engine) as session:
        second = Person(
            partner_id=partner_id, name="Bo Example", email="bo@example.com", role="engineer"
        )
        session.add(second)
        session.flush()
        for who, course in ((person, "U-MIG-101"), (second.id, "U-MIG-102")):
            session.add(
                Certification(
                    person_id=who,
                    name=f"{course} exam",
                    course_id=course,
                    earned_on=dt.date(2026, 5, 1),
                )
            )
        for course in done:
            session.add(
                CourseCompletion(
                    person_id=person, course_id=course, completed_on=dt.date(2026, 5, 1)
                )
            )
        session.commit()
    return person


def add_certification(engine: Engine, person_id: int, name: str, expires_on: dt.date | None) -> int:
    """Give a person a legacy certification that lapses on ``expires_on``; its id."""
    with Session(engine) as session:
        row = Certification(
            person_id=person_id, name=name, earned_on=dt.date(2024, 1, 1), expires_on=expires_on
        )
        session.add(row)
        session.commit()
        return row.id


def add_voucher(
    engine: Engine, partner_id: str, code: str, expires_on: dt.date, status: str = "available"
) -> None:
    """Give the partner a voucher."""
    with Session(engine) as session:
        session.add(Voucher(code=code, partner_id=partner_id, status=status, expires_on=expires_on))
        session.commit()


def link_slack(engine: Engine, partner_id: str, user: str) -> None:
    """Link one more Slack user to the partner."""
    with Session(engine) as session:
        session.add(
            ChatLink(
                partner_id=partner_id,
                channel="slack",
                external_user_id=user,
                team_id=TEAM,
                linked_at=dt.datetime.now(dt.UTC),
            )
        )
        session.commit()
