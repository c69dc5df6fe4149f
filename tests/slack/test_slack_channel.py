"""Slack, end to end: signed events to the running Rasa server, replies at the fake Slack.

Each test talks in its own Slack channel id, so the fake's record of posted messages
tells the tests apart. Where a test shows that something was *not* answered (again),
a sentinel message of the same conversation is answered first (tests/slack/conversation.py).
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

import httpx
import pytest

from partners.messages import TROUBLE
from tests.conftest import Stack
from tests.fakes.fake_slack import FakeSlack
from tests.slack.conversation import (
    GREETING,
    new_channel,
    new_user,
    sentinel,
    texts,
    thread,
    wait_for_thread,
)
from tests.slack.slack_events import SlackSender, button_click, message_event, new_ts

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://[^\s|>]+/link\?code=([A-Za-z0-9_-]+)")
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}

_channel, _user = new_channel, new_user


def _text(messages: list[dict]) -> str:
    return "\n".join(str(m.get("text", "")) for m in messages)


def _settled(fake: FakeSlack, channel: str, timeout: float = 60) -> list[dict]:
    """Wait for the first reply in ``channel``, then until no more arrive for 2 s."""
    fake.wait_for(channel, timeout=timeout)
    count, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 2:
        now = len(fake.posted(channel))
        if now != count:
            count, stable_since = now, time.monotonic()
        time.sleep(0.2)
    return fake.posted(channel)


def test_url_verification_answers_the_challenge(slack: SlackSender) -> None:
    response = slack.event({"type": "url_verification", "token": "x", "challenge": "c-42-xyz"})
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-42-xyz"}


def test_requests_without_a_valid_signature_are_refused(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    user, channel = _user(), _channel()
    attempts: dict[str, dict[str, Any]] = {
        "unsigned": {"sign": False},
        "wrong secret": {"secret": "not-the-signing-secret"},
        "replayed (10 minutes old)": {"timestamp": str(int(time.time()) - 600)},
    }
    for name, options in attempts.items():
        response = slack.event(message_event(user, "hello", channel=channel), **options)
        assert 400 <= response.status_code < 500, name
    forged = slack.event({"type": "url_verification", "challenge": "c"}, sign=False)
    assert forged.status_code == 401
    sentinel(slack, fake_slack, user, channel)
    assert texts(fake_slack.posted(channel)) == [GREETING]  # the sentinel's answer only


def test_a_direct_message_is_answered_in_its_thread(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    channel = _channel()
    event = message_event(_user(), "hello", channel=channel)
    assert slack.event(event).status_code == 200
    replies = _settled(fake_slack, channel)
    assert replies
    assert {reply["thread_ts"] for reply in replies} == {event["event"]["ts"]}


def test_a_mention_in_a_thread_is_answered_in_that_thread(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    channel, parent = _channel("C"), new_ts()
    event = message_event(
        _user(),
        "what does the security competency require?",
        channel=channel,
        thread_ts=parent,
        mention=True,
    )
    assert slack.event(event).status_code == 200
    replies = _settled(fake_slack, channel)
    assert {reply["thread_ts"] for reply in replies} == {parent}
    text = _text(replies)
    assert "C-SECURITY" in text, text
    assert "<@" not in text  # the mention was not taken for part of the question


def test_a_retried_delivery_is_answered_once(slack: SlackSender, fake_slack: FakeSlack) -> None:
    user, channel = _user(), _channel()
    event = message_event(user, "hello", channel=channel)
    assert slack.event(event).status_code == 200
    wait_for_thread(fake_slack, channel, event["event"]["ts"])

    assert slack.event(event, headers=RETRY).status_code == 200
    duplicate = slack.event(event)  # the same event id again, without the retry header
    assert duplicate.status_code == 200
    sentinel(slack, fake_slack, user, channel)
    assert texts(thread(fake_slack, channel, event["event"]["ts"])) == [GREETING]


def test_a_retry_of_a_delivery_never_received_is_answered(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    # The first delivery never arrived (or was refused before it was stored): Slack's
    # retry is the only copy, and it must be answered, once.
    user, channel = _user(), _channel()
    event = message_event(user, "hello", channel=channel)
    assert slack.event(event, headers=RETRY).status_code == 200
    assert texts(wait_for_thread(fake_slack, channel, event["event"]["ts"])) == [GREETING]
    assert slack.event(event, headers={**RETRY, "X-Slack-Retry-Num": "2"}).status_code == 200
    sentinel(slack, fake_slack, user, channel)
    assert texts(thread(fake_slack, channel, event["event"]["ts"])) == [GREETING]


def test_a_button_click_is_answered_in_the_clicked_messages_thread(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    channel, message_ts = _channel(), new_ts()
    click = button_click(
        _user(),
        "What does the Security competency require?",
        channel=channel,
        message_ts=message_ts,
    )
    assert slack.interaction(click).status_code == 200
    replies = _settled(fake_slack, channel)
    assert {reply["thread_ts"] for reply in replies} == {message_ts}
    assert "C-SECURITY" in _text(replies)


def test_suggestions_are_slack_buttons(slack: SlackSender, fake_slack: FakeSlack) -> None:
    channel = _channel()
    assert (
        slack.event(message_event(_user(), "what can you do?", channel=channel)).status_code == 200
    )
    replies = _settled(fake_slack, channel)
    buttons = [
        element
        for reply in replies
        for block in reply.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]
    assert buttons, replies
    assert all(button["type"] == "button" and button["value"] for button in buttons)


def _ask(slack: SlackSender, fake: FakeSlack, user: str, text: str) -> str:
    channel = _channel()
    assert slack.event(message_event(user, text, channel=channel)).status_code == 200
    return _text(_settled(fake, channel))


def _private_link(fake: FakeSlack, user: str) -> str | None:
    """The code of the last one-time link Slack showed ``user`` alone, if any."""
    links = [
        LINK.search(str(message.get("text")))
        for message in fake.ephemeral()
        if message.get("user") == user
    ]
    return next((link.group(1) for link in reversed(links) if link), None)


def _stored_events(stack: Stack, conversation: str) -> list[str]:
    """The stack's tracker store rows of one conversation (Rasa's ``events.data``)."""
    with sqlite3.connect(stack.log.parent / "rasa-trackers.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (conversation,))
        return [row[0] for row in rows]


def test_linking_a_slack_user_to_a_partner_end_to_end(
    stack: Stack, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    user = _user()
    # Not linked: asking for "my tier" hands out a one-time link instead of data,
    # privately (chat.postEphemeral): the conversation only says one was sent.
    first = _ask(slack, fake_slack, user, "what's my tier?")
    assert "private one-time link" in first, first
    assert not LINK.search(first)
    code = _private_link(fake_slack, user)
    assert code, fake_slack.ephemeral()
    events = _stored_events(stack, user)
    assert events
    for secret in (code, "slack_sig", "slack_ts", *slack.signatures):
        assert not any(secret in event for event in events), secret

    # The partner opens the link, signs in and confirms (the web page's API calls).
    token = httpx.post(
        f"{stack.app_url}/v1/auth/token", data={"username": "P-0001", "password": "demo"}
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    pending = httpx.get(f"{stack.app_url}/v1/links/pending", params={"code": code}, headers=bearer)
    assert pending.json()["external_user_id"] == user
    assert (
        httpx.post(f"{stack.app_url}/v1/links", json={"code": code}, headers=bearer).status_code
        == 201
    )
    tier = httpx.get(f"{stack.app_url}/v1/partners/me/status", headers=bearer).json()["tier"]

    # Linked: the same question is answered with P-0001's data.
    second = _ask(slack, fake_slack, user, "what's my tier?")
    assert tier in second, second
    assert not LINK.search(second)

    # "unlink my account" ends it; the next question gets a link again.
    assert "no longer linked" in _ask(slack, fake_slack, user, "unlink my account")
    assert "private one-time link" in _ask(slack, fake_slack, user, "what's my tier?")
    assert _private_link(fake_slack, user) not in (None, code)


def test_a_link_slack_does_not_take_is_told_as_trouble(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    user, channel = _user(), _channel()
    fake_slack.fail("chat.postEphemeral", channel)
    event = message_event(user, "link my account", channel=channel)
    assert slack.event(event).status_code == 200
    assert texts(wait_for_thread(fake_slack, channel, event["event"]["ts"])) == [TROUBLE]
    assert _private_link(fake_slack, user) is None
