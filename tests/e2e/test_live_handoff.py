"""The live handoff over the real stack: a partner asks for a person, an operator takes over.

Web: the operator sees the ticket arrive in the queue stream, claims it, replies; the
partner's ``/v1/chat/stream`` brings the reply; the partner's next message gets no
answer from the assistant but shows in the operator's view; after the hand back the
assistant answers again. Slack: the office channel gets the notice, the operator's
reply lands in the partner's thread. Reading a stream waits for the event it
expects (an HTTP read timeout bounds a broken server), never for a time.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.conftest import OFFICE_HANDOFF_CHANNEL, Stack
from tests.fakes.fake_slack import FakeSlack
from tests.slack.conversation import new_channel, new_user, texts, thread, wait_for_thread
from tests.slack.slack_events import SlackSender, message_event

pytestmark = pytest.mark.e2e

OFFICE_CHANNEL = OFFICE_HANDOFF_CHANNEL
TICKET = re.compile(r"ticket #(\d+)")
BACK = "You're back with the assistant"


class EventStream:
    """The events of one text/event-stream response, read as they come."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next(self) -> tuple[str, Any]:
        """Return the next event's name and data (comments are skipped)."""
        name, data = "message", ""
        for line in self.lines:
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data += line.removeprefix("data:").strip()
            elif not line and data:
                return name, json.loads(data)
        raise AssertionError("the stream ended")

    def until(self, name: str, predicate: Any = lambda data: True) -> Any:
        """Return the data of the first ``name`` event that satisfies ``predicate``."""
        while True:
            found, data = self.next()
            if found == name and predicate(data):
                return data


@contextmanager
def events(url: str, token: str | None, **params: str) -> Iterator[EventStream]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = httpx.Timeout(60.0, connect=5.0)
    with httpx.stream("GET", url, params=params, headers=headers, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStream(response)


def _post(stack: Stack, path: str, token: str, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{stack.app_url}{path}",
        json=body or None,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def _conversation(stack: Stack, ticket_id: int, token: str) -> dict[str, Any]:
    response = httpx.get(
        f"{stack.app_url}/v1/handoff/tickets/{ticket_id}/conversation",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _wait_for_line(stack: Stack, ticket_id: int, token: str, text: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = _conversation(stack, ticket_id, token)["lines"]
        if any(line["role"] == "user" and line["text"] == text for line in lines):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never reached the conversation of ticket {ticket_id}")


def _ask_for_a_person(stack: Stack, token: str) -> tuple[str, int, str]:
    turn = stack.chat("can I talk to a human?", token=token)
    match = TICKET.search(turn.text)
    assert match, turn.text
    assert "alerted the program office" in turn.text, turn.text
    assert turn.messages[0]["turn"], turn.messages
    return turn.session, int(match.group(1)), turn.text


def test_a_web_partner_and_an_operator_talk_live(stack: Stack, fake_slack: FakeSlack) -> None:
    operator = stack.operator_token
    partner = stack.sign_in("P-0001")
    with events(f"{stack.app_url}/v1/handoff/stream", operator) as queue:
        before = queue.until("tickets")
        session, ticket_id, _ = _ask_for_a_person(stack, partner)
        after = queue.until("tickets")  # sent only when the queue changes
        assert after["open"] == before["open"] + 1, (before, after)
        assert after["changed_at"] != before["changed_at"]

    notice = fake_slack.wait_for(
        OFFICE_CHANNEL, lambda posted: any(f"#{ticket_id}" in m["text"] for m in posted)
    )
    assert any("P-0001" in m["text"] and "can I talk to a human?" in m["text"] for m in notice)

    chat_stream = f"{stack.app_url}/v1/chat/stream"
    with events(chat_stream, partner, session=session) as widget:
        assert widget.until("handoff") == {"state": "waiting"}
        claimed = _post(stack, f"/v1/handoff/tickets/{ticket_id}/claim", operator)
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["held"] is True
        assert claimed.json()["claimed_by"] == "ops@example.com"
        state = widget.until("handoff")
        assert state["state"] == "with_person" and state["operator"], state
        joined = widget.until("message")
        assert joined["from"] == "operator" and "has joined" in joined["text"], joined

        sent = _post(
            stack, f"/v1/handoff/tickets/{ticket_id}/messages", operator, text="Hi, Ops here."
        )
        assert sent.status_code == 201, sent.text
        reply = widget.until("message", lambda data: data["text"] == "Hi, Ops here.")
        assert reply == {
            "id": reply["id"],
            "role": "bot",
            "text": "Hi, Ops here.",
            "from": "operator",
            "operator": sent.json()["operator"],
        }
        # A widget whose stream dropped before this reply resumes from where it was
        # (``since``) and gets the reply it missed.
        with events(chat_stream, partner, session=session, since=str(reply["id"])) as resumed:
            assert resumed.until("message") == reply

        # The assistant is silent now; the operator sees the partner's message.
        silent = httpx.post(
            f"{stack.app_url}/v1/chat",
            json={"session": session, "message": "what does the Security competency require?"},
            headers={"Authorization": f"Bearer {partner}"},
            timeout=60,
        )
        assert silent.status_code == 200, silent.text
        assert silent.json()["messages"] == [] and silent.json()["handoff"] == "with_person"
        lines = _conversation(stack, ticket_id, operator)["lines"]
        assert lines[-1]["role"] == "user" and "Security" in lines[-1]["text"], lines
        assert {"role": "operator", "text": "Hi, Ops here."}.items() <= next(
            line for line in lines if line["text"] == "Hi, Ops here."
        ).items()

        back = _post(stack, f"/v1/handoff/tickets/{ticket_id}/hand-back", operator)
        assert back.status_code == 200 and back.json()["status"] == "closed", back.text
        assert widget.until("handoff") == {"state": "assistant"}
        assert BACK in widget.until("message")["text"]

    answered = stack.chat("what does the Security competency require?", partner, session)
    assert "C-SECURITY" in answered.text, answered.text
    history = httpx.get(
        f"{stack.app_url}/v1/chat/history",
        params={"session": session},
        headers={"Authorization": f"Bearer {partner}"},
    ).json()
    assert history["handoff"] is None
    operator_lines = [m for m in history["messages"] if m.get("from") == "operator"]
    assert "Hi, Ops here." in [m["text"] for m in operator_lines], history


def test_a_second_claim_of_a_held_ticket_is_refused_and_reads_are_audited(stack: Stack) -> None:
    operator = stack.operator_token
    _, ticket_id, _ = _ask_for_a_person(stack, stack.sign_in("P-0001"))
    assert _post(stack, f"/v1/handoff/tickets/{ticket_id}/claim", operator).status_code == 200
    partner = httpx.get(
        f"{stack.app_url}/v1/handoff/tickets/{ticket_id}/partner",
        headers={"Authorization": f"Bearer {operator}"},
    )
    assert partner.status_code == 200 and partner.json()["tier"], partner.text
    audit = httpx.get(
        f"{stack.app_url}/v1/audit",
        params={"target": f"ticket:{ticket_id}"},
        headers={"Authorization": f"Bearer {operator}"},
    )
    if audit.status_code == 200:  # GET /v1/audit is the lead's; check what it lists
        actions = {item["action"] for item in audit.json()["items"]}
        assert {"claim", "read_partner_status"} <= actions, actions
    assert _post(stack, f"/v1/handoff/tickets/{ticket_id}/hand-back", operator).status_code == 200
    again = _post(stack, f"/v1/handoff/tickets/{ticket_id}/claim", operator)
    assert again.status_code == 409 and "closed" in again.json()["detail"]


def test_a_slack_partner_gets_the_operators_reply_in_its_thread(
    stack: Stack, fake_slack: FakeSlack
) -> None:
    slack = SlackSender(stack.rasa_url, fake_slack.signing_secret)
    operator = stack.operator_token
    user, channel = new_user(), new_channel()
    ask = message_event(user, "I want to talk to a person", channel=channel)
    assert slack.event(ask).status_code == 200
    ts = ask["event"]["ts"]
    (answer,) = texts(wait_for_thread(fake_slack, channel, ts))
    ticket_id = int(TICKET.search(answer).group(1))  # type: ignore[union-attr]
    fake_slack.wait_for(
        OFFICE_CHANNEL, lambda posted: any(f"#{ticket_id}" in m["text"] for m in posted)
    )

    assert _post(stack, f"/v1/handoff/tickets/{ticket_id}/claim", operator).status_code == 200
    fake_slack.wait_for(channel, lambda _: len(thread(fake_slack, channel, ts)) == 2)
    # Held: the partner's next message in the thread is logged, not answered.
    follow = message_event(user, "thanks, I'll wait", channel=channel, thread_ts=ts)
    assert slack.event(follow).status_code == 200
    # The turn is stored once processed: any answer would have been posted by then.
    _wait_for_line(stack, ticket_id, operator, "thanks, I'll wait")
    assert len(thread(fake_slack, channel, ts)) == 2

    sent = _post(stack, f"/v1/handoff/tickets/{ticket_id}/messages", operator, text="On it!")
    assert sent.status_code == 201, sent.text
    replies = texts(thread(fake_slack, channel, ts))
    assert replies[-1].endswith("On it!"), replies
    assert _post(stack, f"/v1/handoff/tickets/{ticket_id}/hand-back", operator).status_code == 200
    assert BACK in texts(thread(fake_slack, channel, ts))[-1]
