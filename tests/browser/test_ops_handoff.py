"""Live handoff in two browsers: a partner asks for a person, an operator answers.

The partner chats on the web page in one browser context; the operator works the
console in another (its own storage, its own sign-in). Nothing is reloaded: the queue,
the transcript and the partner's chat all update over their live streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP
from tests.browser.ops_pages import go, queue_item, sign_in
from tests.browser.pages import ask
from tests.browser.pages import sign_in as partner_sign_in
from tests.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# A sample partner no other test hands over: its ticket is the one this test opens.
PARTNER = "P-0011"


@pytest.fixture
def operator_page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A second browser context, for the operator, beside the partner's ``page``."""
    context = browser.new_context(viewport=DESKTOP, base_url=stack.app_url)
    context.set_default_timeout(60_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the console: {errors}"


def test_an_operator_takes_over_and_hands_back(
    page: Page, operator_page: Page, artifacts: Path
) -> None:
    operator = operator_page
    sign_in(operator)
    go(operator, "Handoff queue")
    expect(operator.locator("#queue-live")).to_contain_text("Live")

    # The partner asks for a person.
    page.goto("/")
    partner_sign_in(page, PARTNER)
    ask(page, "I want to speak to a person")

    # The ticket appears in the operator's queue at once, announced.
    notice = operator.locator("#ticket-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("New handoff ticket")
    expect(notice).to_contain_text(PARTNER)
    ticket = queue_item(operator, "speak to a person")
    expect(ticket).to_be_visible()
    expect(ticket).to_contain_text("waiting")
    operator.screenshot(path=str(artifacts / "ops-queue.png"), full_page=True)

    # The operator opens it: the conversation so far and the partner's status.
    ticket.get_by_role("link").click()
    lines = operator.locator("#ticket-lines")
    expect(lines).to_contain_text("I want to speak to a person")
    snapshot = operator.locator("#partner-snapshot")
    expect(snapshot).not_to_contain_text("Loading")
    expect(snapshot).not_to_contain_text("No partner")
    operator.get_by_role("button", name="Claim").click()
    expect(operator.locator("#ticket-status")).to_contain_text("You hold this conversation")
    expect(operator.get_by_label("Reply to the partner")).to_be_focused()

    # While a person holds it, the partner's words reach the operator, not the assistant.
    assistant = page.locator("#log .msg.bot:not(.person)")  # the assistant's own answers
    answers_before = assistant.count()
    box = page.get_by_label("Your message")
    box.fill("Can someone check our vouchers?")
    box.press("Enter")
    expect(lines).to_contain_text("Can someone check our vouchers?")
    expect(page.locator("#typing")).to_be_hidden()

    # The operator replies (Shift+Enter is a new line, Enter sends); the partner sees it live.
    operator.keyboard.type("Hello, this is the program office.")
    operator.keyboard.press("Shift+Enter")
    operator.keyboard.type("Your vouchers are all valid.")
    operator.keyboard.press("Enter")
    expect(lines.locator(".msg.operator").last).to_contain_text("Your vouchers are all valid.")
    person = page.locator("#log .msg.person").last
    expect(person).to_contain_text("Hello, this is the program office.")
    expect(person).to_contain_text("Your vouchers are all valid.")
    assert assistant.count() == answers_before, "the assistant spoke while a person held it"
    page.screenshot(path=str(artifacts / "ops-handoff-partner.png"))
    operator.screenshot(path=str(artifacts / "ops-handoff-operator.png"), full_page=True)

    # Hand back: the ticket closes and the assistant answers again.
    operator.get_by_role("button", name="Hand back to the assistant").click()
    expect(operator.locator("#ticket-status")).to_contain_text("Closed")
    answer = ask(page, "what does the security competency require?")
    expect(answer).to_contain_text("C-SECURITY")
