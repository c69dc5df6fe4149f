"""What a partner does on the page, in Playwright steps."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def sign_in(page: Page, partner_id: str = "P-0001", passcode: str = "demo") -> None:
    """Sign in on the page's form and wait for the chat."""
    page.get_by_label("Partner id").fill(partner_id)
    page.get_by_label("Passcode").fill(passcode)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#chat-view")).to_be_visible()


def bot_messages(page: Page) -> Locator:
    """The assistant's messages in the log."""
    return page.locator("#log .msg.bot")


def ask(page: Page, text: str) -> Locator:
    """Type ``text``, press Enter, wait for the answer; return the newest bot message."""
    before = bot_messages(page).count()
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("#log .msg.user").last).to_have_text(f"You said: {text}")
    expect(bot_messages(page)).not_to_have_count(before)
    expect(page.locator("#typing")).to_be_hidden()
    return bot_messages(page).last
