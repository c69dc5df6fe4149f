"""Proactive reminders: what is due, sent once, within each person's hours, to the right people.

Real parts: a migrated SQLite store per test, the real catalogue and tier engine, the
fake Slack's Web API (tests/fakes/fake_slack.py) receiving the direct messages. The
clock is a parameter (``now``); nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from partners.importing.partner_records import import_partner_records
from partners.models import Certification, Partner, ReminderDelivery
from partners.reminders import outbox, preferences
from partners.reminders.due import Notice, due_notices
from partners.reminders.run import run_reminders
from partners.snapshot import load_snapshot
from partners.status import status_from_snapshot
from tests.fakes.fake_slack import FakeSlack
from tests.partners.importing.partner_export import (
    copy_example,
    new_store,
    read_csv,
    set_cell,
    write_csv,
)
from tests.partners.reminder_fixtures import (
    WINDOW_END,
    World,
    add_certification,
    add_partner,
    add_voucher,
    at,
    days_before_end,
    new_world,
    one_course_partner,
)


@pytest.fixture
def world(tmp_path: Path, fake_slack: FakeSlack) -> World:
    return new_world(tmp_path, fake_slack)


def user() -> str:
    """A Slack user id no other test uses (the fake Slack is shared by the session)."""
    return f"U{uuid.uuid4().hex[:10].upper()}"


def due(world: World, partner_id: str, now: dt.datetime) -> list[Notice]:
    today = now.date()
    with Session(world.engine) as session:
        snapshot = load_snapshot(session, partner_id, today)
        assert snapshot is not None
        tier = session.get_one(Partner, partner_id).tier
        status = status_from_snapshot(world.catalogue, snapshot, tier, today)
        return due_notices(session, world.catalogue, snapshot, status, today)


def kinds(notices: list[Notice]) -> list[tuple[str, str]]:
    return [(n.kind, n.threshold) for n in notices]


def run(world: World, now: dt.datetime) -> dict:
    return run_reminders(world.settings, world.engine, world.catalogue, now=now)


def dms(fake: FakeSlack, to: str) -> list[str]:
    return [str(call["text"]) for call in fake.posted(to)]


def test_the_transition_reminder_comes_at_90_30_and_7_days_while_the_tier_is_at_risk(
    world: World,
) -> None:
    add_partner(world.engine, "P-RISK", tier="Gold")  # meets Silver only
    add_partner(world.engine, "P-SAFE", tier="Silver")  # meets its tier
    expected = {
        95: [],
        90: [("tier_at_risk", "90d")],
        45: [("tier_at_risk", "90d")],
        30: [("tier_at_risk", "30d")],
        8: [("tier_at_risk", "30d")],
        7: [("tier_at_risk", "7d")],
        1: [("tier_at_risk", "7d")],
        0: [],
        -3: [],
    }
    for days, wanted in expected.items():
        assert kinds(due(world, "P-RISK", days_before_end(days))) == wanted, days
        assert due(world, "P-SAFE", days_before_end(days)) == [], days
    [notice] = due(world, "P-RISK", days_before_end(30))
    assert "Your Gold tier is at risk" in notice.text and "30 days left" in notice.text
    assert "Client satisfaction score: 7.5 of 8.0 needed" in notice.text
    assert "By your record today you would be Silver" in notice.text
    assert notice.text.splitlines()[-1].startswith("**Sample data:**")  # the sample deadline


def test_certifications_and_vouchers_expiring_within_30_days_are_due(world: World) -> None:
    person = add_partner(world.engine, "P-EXP", tier="Silver")
    today = dt.date(2026, 11, 2)
    add_certification(
        world.engine, person, "Certified Cloud Architect v4", today + dt.timedelta(30)
    )
    add_certification(world.engine, person, "Too far", today + dt.timedelta(31))
    add_certification(world.engine, person, "Lapsed", today - dt.timedelta(1))
    add_certification(world.engine, person, "Never expires", None)
    add_voucher(world.engine, "P-EXP", "V-1", today + dt.timedelta(10))
    add_voucher(world.engine, "P-EXP", "V-2", today + dt.timedelta(10))
    add_voucher(world.engine, "P-EXP", "V-USED", today + dt.timedelta(5), status="used")
    add_voucher(world.engine, "P-EXP", "V-LATER", today + dt.timedelta(40))
    notices = due(world, "P-EXP", at(today))
    assert kinds(notices) == [("certification_expiring", "30d"), ("voucher_expiring", "30d")]
    certification, vouchers = notices
    assert "Certified Cloud Architect v4, held by Ada of P-EXP, expires on 2 December 2026" in (
        certification.text
    )
    assert "in 30 days" in certification.text
    assert "2 course vouchers of your company expire on 12 November 2026" in vouchers.text


def test_one_course_away_names_the_course_that_closes_the_gap(world: World) -> None:
    one_course_partner(world.engine, "P-ONE")
    now = at(dt.date(2026, 9, 1))  # before the 90-day mark
    [notice] = due(world, "P-ONE", now)
    assert (notice.kind, notice.subject) == ("one_course_away", "P-ONE:Gold")
    assert "one course away from Gold" in notice.text
    assert "U-MIG-201" in notice.text and "Cloud Migration Services" in notice.text
    # Two courses to go (U-MIG-101 is the prerequisite of U-MIG-201), or revenue short: none.
    one_course_partner(world.engine, "P-TWO", done=("U-MIG-102", "U-MIG-202", "U-MIG-302"))
    one_course_partner(world.engine, "P-POOR", revenue=200_000)
    assert due(world, "P-TWO", now) == [] and due(world, "P-POOR", now) == []


def test_each_reminder_is_sent_once_by_slack_and_stored_once_for_the_widget(
    world: World, fake_slack: FakeSlack
) -> None:
    slack_user = user()
    add_partner(world.engine, "P-RISK", tier="Gold", slack_users=[slack_user])
    for _ in range(3):
        report = run(world, days_before_end(30))
    assert len(dms(fake_slack, slack_user)) == 1
    assert "*Your Gold tier is at risk.*" in dms(fake_slack, slack_user)[0]  # Slack's mrkdwn
    assert report["already_sent"] == 2  # Slack and the web, on the later runs
    notices = outbox.take_unseen(world.engine, "P-RISK")
    assert [n.kind for n in notices] == ["tier_at_risk"]
    assert outbox.take_unseen(world.engine, "P-RISK") == []  # shown once
    # The next threshold is a new reminder.
    run(world, days_before_end(7))
    assert len(dms(fake_slack, slack_user)) == 2 and "7 days left" in dms(fake_slack, slack_user)[1]


def test_quiet_hours_postpone_and_the_next_run_inside_them_sends(
    world: World, fake_slack: FakeSlack
) -> None:
    early, night_owl = user(), user()
    add_partner(world.engine, "P-RISK", tier="Gold", slack_users=[early, night_owl])
    preferences.set_preference(
        world.engine, "slack", night_owl, time_zone="America/New_York", start="18:00", end="20:00"
    )
    day = WINDOW_END - dt.timedelta(days=30)
    report = run(world, at(day, 3))  # 03:00 in Berlin, 21:00 in New York: nobody's hours
    assert report["postponed"] == 3 and fake_slack.posted(early) == []
    run(world, at(day, 10))  # 10:00 Berlin = 04:00 New York
    assert len(dms(fake_slack, early)) == 1 and dms(fake_slack, night_owl) == []
    run(world, at(day, 19, 30, zone=dt.timezone(dt.timedelta(hours=-5))))  # 19:30 in New York
    assert len(dms(fake_slack, night_owl)) == 1  # postponed, not dropped
    assert len(dms(fake_slack, early)) == 1


def test_opting_out_stops_the_reminders_and_opting_in_resumes_them(
    world: World, fake_slack: FakeSlack
) -> None:
    slack_user = user()
    add_partner(world.engine, "P-RISK", tier="Gold", slack_users=[slack_user])
    preferences.set_preference(world.engine, "slack", slack_user, enabled=False)
    preferences.set_preference(world.engine, "web", "P-RISK", enabled=False)
    report = run(world, days_before_end(30))
    assert report["opted_out"] == 2 and fake_slack.posted(slack_user) == []
    assert outbox.take_unseen(world.engine, "P-RISK") == []
    preferences.set_preference(world.engine, "slack", slack_user, enabled=True)
    run(world, days_before_end(29))
    assert (
        len(dms(fake_slack, slack_user)) == 1 and "29 days left" in dms(fake_slack, slack_user)[0]
    )


def test_another_partners_people_never_get_a_partners_reminders(
    world: World, fake_slack: FakeSlack
) -> None:
    at_risk_user, other_user = user(), user()
    add_partner(world.engine, "P-RISK", tier="Gold", slack_users=[at_risk_user])
    add_partner(world.engine, "P-OTHER", tier="Silver", slack_users=[other_user])
    run(world, days_before_end(30))
    assert len(dms(fake_slack, at_risk_user)) == 1
    assert fake_slack.posted(other_user) == []
    assert outbox.take_unseen(world.engine, "P-OTHER") == []
    with Session(world.engine) as session:
        rows = session.execute(select(ReminderDelivery.partner_id, ReminderDelivery.recipient))
        assert sorted(rows) == [("P-RISK", "P-RISK"), ("P-RISK", at_risk_user)]


def test_a_refused_message_is_retried_and_a_send_cut_off_midway_is_never_repeated(
    world: World, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    refused, cut_off = user(), user()
    add_partner(world.engine, "P-RISK", tier="Gold", slack_users=[refused, cut_off])
    fake_slack.fail("chat.postMessage", refused)
    # A process that died between recording and posting: its row stays 'sending'.
    with Session(world.engine) as session:
        session.add(
            ReminderDelivery(
                partner_id="P-RISK",
                channel="slack",
                recipient=cut_off,
                kind="tier_at_risk",
                subject="P-RISK:Gold",
                threshold="30d",
                text="...",
                status="sending",
                attempts=1,
                created_at=days_before_end(30),
            )
        )
        session.commit()
    for days in (30, 29, 28, 27):
        report = run(world, days_before_end(days))
    assert report["slack_failed"] == 0 and report["already_sent"] >= 1
    with Session(world.engine) as session:
        rows = {r.recipient: r for r in session.scalars(select(ReminderDelivery))}
    assert (rows[refused].status, rows[refused].attempts) == ("failed", 3)  # tried three times
    assert "fatal_error" in (rows[refused].error or "")
    assert rows[cut_off].status == "unknown" and fake_slack.posted(cut_off) == []
    assert any(
        "not sent again" in r.getMessage() and cut_off in r.getMessage() for r in caplog.records
    )


def test_the_office_export_carries_certification_expiry_dates(tmp_path: Path) -> None:
    store, export = new_store(tmp_path / "store"), copy_example(tmp_path / "export")
    rows = read_csv(export / "certifications.csv")
    write_csv(
        export / "certifications.csv", [[*rows[0], "expires_on"], *([*r, ""] for r in rows[1:])]
    )
    set_cell(export, "certifications.csv", 2, "expires_on", "2027-01-10")
    with Session(store) as session:
        assert import_partner_records(session, export).applied
    with Session(store) as session:
        dates = session.scalars(select(Certification.expires_on)).all()
    assert sorted(map(str, dates)) == ["2027-01-10"] + ["None"] * (len(rows) - 2)
    set_cell(export, "certifications.csv", 2, "expires_on", "2027-02-30")
    with Session(store) as session:
        report = import_partner_records(session, export)
    [problem] = report.problems
    assert (problem.file.endswith("certifications.csv"), problem.row, problem.column) == (
        True,
        2,
        "expires_on",
    )
    assert problem.reason == "no such day in the calendar"
    store.dispose()
