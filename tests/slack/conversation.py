"""Reading what "Slack" received, per thread, and knowing when there can be no more.

A message is answered in its own thread (``thread_ts`` = the message's ``ts``), so a
thread holds the answers to one message. ``sentinel`` sends a later message of the
same conversation and waits for its answer: Rasa answers the messages of one
conversation one after the other (its conversation lock), so once the sentinel is
answered, every earlier message has been answered as often as it ever will be, and a
late duplicate cannot slip in after the assertion. No sleeping and hoping.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.fakes.fake_slack import FakeSlack
from tests.slack.slack_events import SlackSender, message_event

GREETING = (
    "Hello! I'm the Partner Assistant. Ask me about competencies, tiers, University "
    "courses, or where your company stands."
)


def new_channel(prefix: str = "D") -> str:
    """A Slack channel id no other test uses."""
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def new_user() -> str:
    """A Slack user id no other test uses (so a conversation of its own)."""
    return f"U{uuid.uuid4().hex[:10].upper()}"


def thread(fake: FakeSlack, channel: str, ts: str) -> list[dict[str, Any]]:
    """The messages posted in reply to the message ``ts`` of ``channel``."""
    return [message for message in fake.posted(channel) if message.get("thread_ts") == ts]


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """The text of each message."""
    return [str(message.get("text", "")) for message in messages]


def wait_for_thread(
    fake: FakeSlack, channel: str, ts: str, timeout: float = 120
) -> list[dict[str, Any]]:
    """Wait until the message ``ts`` has an answer; return the thread."""
    fake.wait_for(
        channel,
        lambda messages: any(message.get("thread_ts") == ts for message in messages),
        timeout,
    )
    return thread(fake, channel, ts)


def sentinel(
    slack: SlackSender, fake: FakeSlack, user: str, channel: str, timeout: float = 120
) -> None:
    """Say "hello" as ``user`` in ``channel`` and wait for the greeting."""
    event = message_event(user, "hello", channel=channel)
    response = slack.event(event)
    assert response.status_code == 200, response.text
    assert texts(wait_for_thread(fake, channel, event["event"]["ts"], timeout)) == [GREETING]
