"""A what-if in the web page: its card shows the tier the partner would hold, as a what-if."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import ask, bot_messages, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_a_what_if_card_never_reads_as_the_partners_tier(page: Page) -> None:
    page.goto("/")
    sign_in(page)  # P-0001, Silver in Germany (sample data)
    card = ask(page, "what if we earned Security and our score rose to 8.2 and revenue hit 450k?")
    expect(card.locator(".tier-title")).to_have_text("With this what-if: Gold")
    answer = bot_messages(page).filter(has_text="move up from Silver to Gold")
    expect(answer).to_have_count(1)
    ask(page, "what's my tier?")
    expect(page.locator("#log .tier-card").last.locator(".tier-title")).to_have_text(
        "Your tier: Silver"
    )
