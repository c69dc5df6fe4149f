"""Thumbs up / down on the assistant's Slack answers, over the fake Slack and the real stack.

Each answer's last message carries the feedback buttons; a click is acknowledged at
once, the vote reaches the app (``POST /v1/feedback/slack``) and is stored against the
turn Rasa recorded; a thumbs down opens the "What was missing?" modal, whose
submission stores the comment. Nobody rates another person's answer.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.feedback import Feedback, feedback_for
from tests.conftest import Stack
from tests.fakes.fake_slack import FakeSlack
from tests.slack.conversation import new_channel, new_user, thread
from tests.slack.slack_events import SlackSender, button_click, message_event, new_ts

pytestmark = pytest.mark.e2e

T = TypeVar("T")
FEEDBACK_ACTIONS = ("pa_feedback_up", "pa_feedback_down")


def _until(found: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Poll until ``found()`` gives something (a condition, not a pause); return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _feedback_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
        if element.get("action_id") in FEEDBACK_ACTIONS
    ]


def _answer(slack: SlackSender, fake: FakeSlack, user: str, channel: str, text: str) -> dict:
    """Ask in a direct message; return the thread's message that carries the buttons."""
    event = message_event(user, text, channel=channel)
    assert slack.event(event).status_code == 200
    ts = event["event"]["ts"]
    rated = _until(
        lambda: [m for m in thread(fake, channel, ts) if _feedback_buttons(m)], "the buttons"
    )
    assert len(rated) == 1  # under the answer's last message only
    assert thread(fake, channel, ts)[-1] is rated[0]
    return rated[0]


def _click(user: str, channel: str, message: dict[str, Any], action: str) -> dict[str, Any]:
    button = next(b for b in _feedback_buttons(message) if b["action_id"] == action)
    # The fake records what was posted; the posted message's own ts is Slack's to give.
    click = button_click(user, button["value"], channel=channel, message_ts=new_ts())
    click["message"]["thread_ts"] = message["thread_ts"]
    click["actions"][0].update(action_id=action, value=button["value"])
    return click


def _stored(stack: Stack, sender: str, turn: str) -> Feedback | None:
    engine = create_db_engine(f"sqlite:///{stack.log.parent / 'partners.db'}")
    try:
        with Session(engine) as session:
            return feedback_for(session, sender, turn)
    finally:
        engine.dispose()


def _turns(stack: Stack, sender: str) -> list[str]:
    """The message ids of the user's messages in the stack's tracker store."""
    with sqlite3.connect(stack.log.parent / "rasa-trackers.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()
    events = [json.loads(row[0]) for row in rows]
    return [e["message_id"] for e in events if e.get("event") == "user" and e.get("message_id")]


def test_a_thumbs_up_is_stored_against_the_turn_and_thanked_privately(
    stack: Stack, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    user, channel = new_user(), new_channel()
    message = _answer(slack, fake_slack, user, channel, "what is a competency?")
    value = json.loads(_feedback_buttons(message)[0]["value"])
    assert value["sender"] == user
    assert value["turn"] in _turns(stack, user)  # the id Rasa recorded for the turn

    assert slack.interaction(_click(user, channel, message, "pa_feedback_up")).status_code == 200
    thanks = _until(
        lambda: [m for m in fake_slack.ephemeral(channel) if m.get("user") == user], "thanks"
    )
    assert thanks[0]["text"] == "Thanks for your feedback."
    assert thanks[0]["thread_ts"] == message["thread_ts"]
    stored = _stored(stack, user, value["turn"])
    assert stored is not None
    assert (stored.vote, stored.comment, stored.channel) == ("up", None, "slack")


def test_a_thumbs_down_opens_a_modal_whose_comment_is_stored(
    stack: Stack, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    user, channel = new_user(), new_channel()
    message = _answer(
        slack, fake_slack, user, channel, "what does the security competency require?"
    )
    turn = json.loads(_feedback_buttons(message)[0]["value"])["turn"]
    click = _click(user, channel, message, "pa_feedback_down")
    assert slack.interaction(click).status_code == 200
    opened = _until(lambda: fake_slack.views_opened(click["trigger_id"]), "the modal")
    view = opened[0]["view"]
    assert view["callback_id"] == "pa_feedback_comment"
    assert view["blocks"][0]["label"]["text"] == "What was missing?"
    assert view["blocks"][0]["optional"] is True
    down = _until(lambda: _stored(stack, user, turn), "the vote")
    assert (down.vote, down.comment) == ("down", None)  # counted even if the modal is skipped

    submission = {
        "type": "view_submission",
        "team": {"id": "T0TESTTEAM"},
        "user": {"id": user},
        "trigger_id": f"{time.time_ns()}.submit",
        "view": {
            **view,
            "state": {"values": {"comment": {"text": {"type": "plain_text_input",
                                                       "value": " The exam codes. "}}}},
        },
    }  # fmt: skip
    answered = slack.interaction(submission)
    assert answered.status_code == 200
    assert answered.json()["response_action"] == "update"  # the modal says thanks
    assert "Thanks for your feedback" in json.dumps(answered.json()["view"])
    stored = _stored(stack, user, turn)
    assert stored is not None
    assert (stored.vote, stored.comment, stored.channel) == ("down", "The exam codes.", "slack")


def test_nobody_rates_another_persons_answer(
    stack: Stack, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    asker, other, channel = new_user(), new_user(), new_channel()
    message = _answer(slack, fake_slack, asker, channel, "what is a competency?")
    turn = json.loads(_feedback_buttons(message)[0]["value"])["turn"]
    assert slack.interaction(_click(other, channel, message, "pa_feedback_up")).status_code == 200
    refusal = _until(
        lambda: [m for m in fake_slack.ephemeral(channel) if m.get("user") == other], "a refusal"
    )
    assert refusal[0]["text"] == "Only the person who asked can rate this answer."
    assert _stored(stack, asker, turn) is None
    assert _stored(stack, other, turn) is None


def test_a_malformed_feedback_button_gets_400(slack: SlackSender, fake_slack: FakeSlack) -> None:
    channel = new_channel()
    click = button_click(new_user(), "not json", channel=channel, message_ts="1712.000100")
    click["actions"][0]["action_id"] = "pa_feedback_up"
    refused = slack.interaction(click)
    assert refused.status_code == 400
    assert "feedback" in refused.text
    assert fake_slack.posted(channel) == []
