"""Reminders end to end, on the real stack: a linked Slack user gets the direct message
through (the fake) Slack when a program manager runs the reminders, and "stop
reminders" in Slack or in the web chat turns that person's reminders off.

The Slack user links itself the real way (one-time link, sign-in, confirmation); the
test gives one of the partner's people certifications that lapse soon, in the stack's
own store, and runs the reminders with a clock ten days before (``now``: sample mode).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.models import Person
from partners.reminders.hours import country_zone
from tests.conftest import Stack
from tests.fakes.fake_slack import FakeSlack
from tests.partners.reminder_fixtures import add_certification, at
from tests.slack.conversation import new_channel, new_user, texts, wait_for_thread
from tests.slack.slack_events import SlackSender, message_event

pytestmark = pytest.mark.e2e

PARTNER = "P-0137"  # a sample partner no other test links or changes
LINK = re.compile(r"https?://[^\s|>]+/link\?code=([A-Za-z0-9_-]+)")
EXPIRES = dt.date(2027, 6, 15)


def ask(slack: SlackSender, fake: FakeSlack, user: str, channel: str, text: str) -> str:
    event = message_event(user, text, channel=channel)
    assert slack.event(event).status_code == 200
    return "\n".join(texts(wait_for_thread(fake, channel, event["event"]["ts"])))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def certify(stack: Stack, name: str, expires_on: dt.date) -> None:
    """Give the partner's first person a certification lapsing on ``expires_on``."""
    engine = create_db_engine(f"sqlite:///{stack.log.parent / 'partners.db'}")
    try:
        with Session(engine) as session:
            person = session.scalars(select(Person.id).where(Person.partner_id == PARTNER)).first()
        assert person is not None
        add_certification(engine, person, name, expires_on)
    finally:
        engine.dispose()


def run_reminders(stack: Stack, now: str) -> dict:
    answer = httpx.post(
        f"{stack.app_url}/v1/admin/reminders/run",
        json={"now": now},
        headers=bearer(stack.operator_token),
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    report: dict = answer.json()["report"]
    return report


def test_a_linked_slack_user_gets_the_reminder_and_stop_reminders_turns_it_off(
    stack: Stack, fake_slack: FakeSlack
) -> None:
    slack = SlackSender(stack.rasa_url, fake_slack.signing_secret)
    user, channel = new_user(), new_channel()
    # Link the Slack user to the partner, as a person would.
    assert "private one-time link" in ask(slack, fake_slack, user, channel, "link my account")
    [sent] = [m for m in fake_slack.ephemeral(channel) if m.get("user") == user]
    match = LINK.search(str(sent["text"]))
    assert match
    partner = bearer(stack.sign_in(PARTNER))
    linked = httpx.post(f"{stack.app_url}/v1/links", json={"code": match.group(1)}, headers=partner)
    assert linked.status_code == 201, linked.text
    country = httpx.get(f"{stack.app_url}/v1/partners/me/status", headers=partner).json()["country"]
    now = at(EXPIRES - dt.timedelta(days=10), zone=ZoneInfo(country_zone(country))).isoformat()

    certify(stack, "Certified Reminder Pilot v1", EXPIRES)
    report = run_reminders(stack, now)
    assert report["slack_sent"] >= 1, report
    [dm] = fake_slack.posted(user)  # a direct message: the channel is the user
    assert "Certified Reminder Pilot v1" in dm["text"] and "expires on 15 June 2027" in dm["text"]

    # "stop reminders" in Slack: the next reminder does not come...
    assert "reminders are off for this Slack account" in ask(
        slack, fake_slack, user, channel, "stop reminders"
    )
    certify(stack, "Certified Reminder Pilot v2", EXPIRES + dt.timedelta(days=2))
    assert run_reminders(stack, now)["opted_out"] >= 1
    assert len(fake_slack.posted(user)) == 1
    # ...until "turn reminders back on": then it does, and the first one is not repeated.
    assert "Reminders are on for this Slack account" in ask(
        slack, fake_slack, user, channel, "turn reminders back on"
    )
    run_reminders(stack, now)
    assert [("v2" in m["text"]) for m in fake_slack.posted(user)] == [False, True]

    # The web sign-in got its notices too, shown once; "stop reminders" in the web chat
    # turns off the web notices only, the Slack user still gets the next one.
    notices = httpx.get(f"{stack.app_url}/v1/partners/me/notices", headers=partner).json()
    assert sum("Reminder Pilot" in n["text"] for n in notices["notices"]) == 2
    assert httpx.get(f"{stack.app_url}/v1/partners/me/notices", headers=partner).json() == {
        "notices": []
    }
    token = partner["Authorization"].removeprefix("Bearer ")
    assert (
        f"reminders are off for {PARTNER} here in the chat"
        in stack.chat("stop reminders", token).text
    )
    certify(stack, "Certified Reminder Pilot v3", EXPIRES + dt.timedelta(days=3))
    run_reminders(stack, now)
    assert "v3" in fake_slack.posted(user)[-1]["text"]
    assert httpx.get(f"{stack.app_url}/v1/partners/me/notices", headers=partner).json() == {
        "notices": []
    }
