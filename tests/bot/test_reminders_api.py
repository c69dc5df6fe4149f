"""The reminders API: choices on the account page, the widget's notices, operators' runs.

A real app (TestClient) over a seeded SQLite store of the module's own, in sample
mode, with Slack pointed at the fake Slack. The sample partner P-0020 has the linked
Slack user U0SAMPLE0020 (partners.seed); the tests give one of its people a
certification that lapses soon, so a run has something to say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.main import create_app
from partners.db import create_db_engine
from partners.models import Partner, Person
from partners.prestart import init_db
from partners.reminders.hours import country_zone
from settings import get_settings
from tests.bot.web_fixtures import ACTION_SECRET
from tests.fakes.fake_slack import FakeSlack
from tests.partners.fixtures import SAMPLE_OPERATOR, SAMPLE_SLACK_USER, TEST_SECRET, store_settings
from tests.partners.reminder_fixtures import add_certification, at
from tests.ports import closed_port

LINKED = "P-0020"  # linked to SAMPLE_SLACK_USER
EXPIRES = dt.date(2027, 3, 10)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, fake_slack: FakeSlack) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("reminders-api")
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    with Session(engine) as session:
        person = session.scalars(select(Person.id).where(Person.partner_id == LINKED)).first()
    assert person is not None
    add_certification(engine, person, "Certified Reminder Tester v1", EXPIRES)
    values = {
        "PA_DATABASE_URL": settings.effective_database_url,
        "PA_JWT_SECRET": TEST_SECRET,
        "PA_VAR_DIR": str(folder),
        "PA_ACTION_SECRET": ACTION_SECRET,
        "PA_SEED_SAMPLE_DATA": "true",
        "PA_RASA_URL": f"http://127.0.0.1:{closed_port()}",
        "SLACK_TOKEN": fake_slack.token,
        "SLACK_API_BASE_URL": fake_slack.base_url,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        try:
            yield TestClient(create_app())
        finally:
            get_settings.cache_clear()
            engine.dispose()


def bearer(api: TestClient, who: str) -> dict[str, str]:
    answer = api.post("/v1/auth/token", data={"username": who, "password": "demo"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def ten_days_before_expiry(api: TestClient) -> str:
    """10:00 in the linked partner's country, ten days before its certification lapses."""
    with Session(create_db_engine(get_settings().effective_database_url)) as session:
        country = session.get_one(Partner, LINKED).country
    from zoneinfo import ZoneInfo

    return at(EXPIRES - dt.timedelta(days=10), zone=ZoneInfo(country_zone(country))).isoformat()


def run(api: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return api.post("/v1/admin/reminders/run", json=body or None, headers=headers)


def test_the_account_page_lists_and_changes_the_partners_own_recipients(api: TestClient) -> None:
    mine = bearer(api, LINKED)
    listed = api.get("/v1/partners/me/reminders", headers=mine).json()["recipients"]
    assert [r["recipient"] for r in listed] == [f"web:{LINKED}", f"slack:{SAMPLE_SLACK_USER}"]
    assert all(r["enabled"] and (r["start"], r["end"]) == ("09:00", "17:00") for r in listed)
    changed = api.put(
        "/v1/partners/me/reminders",
        json={
            "recipient": f"slack:{SAMPLE_SLACK_USER}",
            "time_zone": "Asia/Tokyo",
            "start": "08:30",
            "end": "12:00",
        },
        headers=mine,
    )
    assert changed.status_code == 200, changed.text
    slack = changed.json()["recipients"][1]
    assert (slack["time_zone"], slack["own_time_zone"], slack["start"]) == (
        "Asia/Tokyo",
        True,
        "08:30",
    )
    reset = api.put(
        "/v1/partners/me/reminders",
        json={
            "recipient": f"slack:{SAMPLE_SLACK_USER}",
            "time_zone": "",
            "start": "09:00",
            "end": "17:00",
        },
        headers=mine,
    )
    assert reset.json()["recipients"][1]["own_time_zone"] is False
    # Another partner cannot see or change this partner's Slack user.
    other = bearer(api, "P-0001")
    assert [
        r["recipient"]
        for r in api.get("/v1/partners/me/reminders", headers=other).json()["recipients"]
    ] == ["web:P-0001"]
    stolen = api.put(
        "/v1/partners/me/reminders",
        json={"recipient": f"slack:{SAMPLE_SLACK_USER}", "enabled": False},
        headers=other,
    )
    assert stolen.status_code == 404 and "does not get your reminders" in stolen.json()["detail"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"time_zone": "Mars/Olympus"}, "not a time zone"),
        ({"start": "9am"}, "not a time of day"),
        ({"start": "10:00", "end": "10:00"}, "same time"),
    ],
)
def test_choices_that_cannot_be_used_get_422_with_the_reason(
    api: TestClient, body: dict, reason: str
) -> None:
    answer = api.put("/v1/partners/me/reminders", json=body, headers=bearer(api, "P-0002"))
    assert answer.status_code == 422 and reason in answer.json()["detail"]


def test_only_a_partners_own_sign_in_reads_its_reminders(api: TestClient) -> None:
    assert api.get("/v1/partners/me/notices").status_code == 401
    operator = bearer(api, SAMPLE_OPERATOR)
    assert api.get("/v1/partners/me/reminders", headers=operator).status_code == 403
    assert run(api, bearer(api, LINKED)).status_code == 403


def test_a_run_sends_the_slack_dm_and_the_widget_shows_the_notice_once(
    api: TestClient, fake_slack: FakeSlack
) -> None:
    manager = bearer(api, SAMPLE_OPERATOR)
    before = len(fake_slack.posted(SAMPLE_SLACK_USER))
    answer = run(api, manager, now=ten_days_before_expiry(api))
    assert answer.status_code == 200, answer.text
    report = answer.json()["report"]
    assert report["partners"] == 320 and report["slack_sent"] >= 1
    [dm] = fake_slack.posted(SAMPLE_SLACK_USER)[before:]
    assert "Certified Reminder Tester v1" in dm["text"] and "in 10 days" in dm["text"]
    mine = bearer(api, LINKED)
    [notice] = api.get("/v1/partners/me/notices", headers=mine).json()["notices"]
    assert notice["kind"] == "certification_expiring" and "10 March 2027" in notice["text"]
    assert api.get("/v1/partners/me/notices", headers=mine).json()["notices"] == []
    # Another partner's widget shows its own notices only (P-0001 has a voucher lapsing).
    others = api.get("/v1/partners/me/notices", headers=bearer(api, "P-0001")).json()["notices"]
    assert others and not any("Reminder Tester" in n["text"] for n in others)
    # Run again: nothing new for this partner, and the operators see both runs.
    again = run(api, manager, now=ten_days_before_expiry(api)).json()["report"]
    assert fake_slack.posted(SAMPLE_SLACK_USER)[before:] == [dm] and again["slack_sent"] == 0
    recent = api.get("/v1/admin/reminders", headers=manager).json()["recent"]
    assert [r["trigger"] for r in recent[:2]] == ["manual", "manual"]


def test_the_run_clock_is_refused_outside_sample_mode(api: TestClient) -> None:
    manager = bearer(api, SAMPLE_OPERATOR)
    naive = run(api, manager, now="2027-03-01T10:00:00")
    assert naive.status_code == 422 and "offset" in naive.json()["detail"]
    far = run(api, manager, now="0001-01-01T00:00:00+14:00")
    assert far.status_code == 422 and "years" in far.json()["detail"]
    scheduler = api.app.state.reminder_scheduler  # type: ignore[attr-defined]
    production = scheduler.settings.model_copy(update={"seed_sample_data": False})
    api.app.state.reminder_scheduler = type(scheduler)(production)  # type: ignore[attr-defined]
    try:
        refused = run(api, manager, now="2027-03-01T10:00:00Z")
        assert refused.status_code == 422 and "only in sample mode" in refused.json()["detail"]
    finally:
        api.app.state.reminder_scheduler = scheduler  # type: ignore[attr-defined]
