"""A person of the program office answers a partner live in the widget, without a reload.

The partner asks for a person in Chromium; an operator, through the real API (as the
console does), claims the ticket and replies; the reply appears in the open page,
labelled as a person of the program office. Handing back returns the partner to the
assistant, which answers again.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import ask, sign_in
from tests.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

REPLY = "Hello, this is the program office. Your Gold review is on Friday."


def _conversation(page: Page) -> str:
    """The page's conversation id (its chat session handle without the MAC)."""
    handle = page.evaluate("() => JSON.parse(sessionStorage.getItem('pa.auth')).session")
    return str(handle).rpartition(".")[0]


def _ticket_of(stack: Stack, headers: dict[str, str], conversation: str) -> dict:
    tickets = httpx.get(
        f"{stack.app_url}/v1/handoff/tickets", params={"limit": 100}, headers=headers
    )
    tickets.raise_for_status()
    mine = [t for t in tickets.json()["items"] if t["sender_id"] == conversation]
    assert len(mine) == 1, tickets.json()
    return dict(mine[0])


def test_an_operators_reply_appears_in_the_open_widget(page: Page, stack: Stack) -> None:
    page.goto("/")
    sign_in(page)
    ask(page, "I want to speak to a person")
    log = page.locator("#log")
    expect(log.locator(".handoff-note").first).to_have_text(
        "Waiting for a person of the program office…"
    )

    operator = {"Authorization": f"Bearer {stack.operator_token}"}
    ticket = _ticket_of(stack, operator, _conversation(page))
    claimed = httpx.post(
        f"{stack.app_url}/v1/handoff/tickets/{ticket['id']}/claim", headers=operator
    )
    assert claimed.status_code == 200, claimed.text
    name = claimed.json()["claimed_by_name"] or "A person of the program office"
    expect(log.locator(".handoff-note").last).to_have_text(f"{name} has joined")

    sent = httpx.post(
        f"{stack.app_url}/v1/handoff/tickets/{ticket['id']}/messages",
        json={"text": REPLY},
        headers=operator,
    )
    assert sent.status_code == 201, sent.text
    person = log.locator(".msg.person").last
    expect(person).to_contain_text(REPLY)  # live: no reload
    expect(person).to_contain_text(f"{name} · program office")
    expect(person).not_to_contain_text("Assistant:")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

    # While the person holds the conversation, the partner's message goes to them and
    # the assistant stays silent (no "having trouble" notice either).
    box = page.get_by_label("Your message")
    box.fill("Thanks! Which documents do you need?")
    box.press("Enter")
    expect(page.locator("#typing")).to_be_hidden()
    expect(log.locator(".notice-msg")).to_have_count(0)
    lines = httpx.get(
        f"{stack.app_url}/v1/handoff/tickets/{ticket['id']}/conversation", headers=operator
    )
    assert lines.status_code == 200, lines.text
    assert any(
        line["role"] == "user" and "Which documents" in line["text"]
        for line in lines.json()["lines"]
    )

    handed = httpx.post(
        f"{stack.app_url}/v1/handoff/tickets/{ticket['id']}/hand-back", headers=operator
    )
    assert handed.status_code == 200, handed.text
    expect(log.locator(".handoff-note").last).to_contain_text("back with the assistant")
    answer = ask(page, "what is a competency?")  # the assistant answers again
    expect(answer).not_to_have_class("msg bot person")
    expect(answer.locator(".feedback")).to_have_count(1)
