"""A partner rates the assistant's answers in Chromium, with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.feedback import TurnFeedback
from tests.browser.pages import ask
from tests.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def _stored(stack: Stack, turn: str) -> list[tuple[str, str, str | None, str]]:
    """The feedback rows of a turn in the stack's partner store."""
    engine = create_db_engine(f"sqlite:///{stack.log.parent / 'partners.db'}")
    try:
        with Session(engine) as session:
            rows = session.scalars(select(TurnFeedback).where(TurnFeedback.message_id == turn))
            return [(r.sender_id, r.vote, r.comment, r.channel) for r in rows]
    finally:
        engine.dispose()


def _sign_in_with_the_keyboard(page: Page) -> None:
    page.get_by_label("Partner id").focus()
    page.keyboard.type("P-0001")
    page.keyboard.press("Tab")
    page.keyboard.type("demo")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your message")).to_be_focused()


def test_a_thumbs_down_with_a_comment_is_stored_against_the_answer(
    page: Page, stack: Stack
) -> None:
    page.goto("/")
    _sign_in_with_the_keyboard(page)
    answer = ask(page, "what does the security competency require?")
    feedback = answer.locator(".feedback")
    expect(feedback).to_have_count(1)  # under the answer, once
    turn = str(feedback.get_attribute("data-turn"))
    up = answer.get_by_role("button", name="Helpful answer", exact=True)
    down = answer.get_by_role("button", name="Not helpful: tell us what was missing")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "false")

    # From the message box, Shift+Tab reaches the newest answer's thumbs down.
    page.keyboard.press("Shift+Tab")
    expect(down).to_be_focused()
    page.keyboard.press("Enter")
    comment = answer.get_by_label("What was missing?")
    expect(comment).to_be_focused()
    expect(down).to_have_attribute("aria-pressed", "true")
    page.keyboard.type("The exam codes for each certification.")
    page.keyboard.press("Tab")
    expect(answer.get_by_role("button", name="Send")).to_be_focused()
    page.keyboard.press("Enter")
    expect(answer.get_by_role("status")).to_have_text("Thanks for your feedback")
    expect(comment).to_be_hidden()
    expect(down).to_be_focused()  # the focus stays on the answer's controls

    rows = _stored(stack, turn)
    assert len(rows) == 1
    sender, vote, text, channel = rows[0]
    assert sender.startswith("web:P-0001:")
    assert (vote, text, channel) == ("down", "The exam codes for each certification.", "web")

    # A change of mind replaces the vote: Shift+Tab to the thumbs up, Space presses it.
    page.keyboard.press("Shift+Tab")
    expect(up).to_be_focused()
    page.keyboard.press("Space")
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(answer.get_by_role("status")).to_have_text("Thanks for your feedback")
    assert [(row[1], row[2]) for row in _stored(stack, turn)] == [("up", None)]


def test_a_thumbs_down_can_skip_the_comment(page: Page, stack: Stack) -> None:
    page.goto("/")
    _sign_in_with_the_keyboard(page)
    answer = ask(page, "what is a competency?")
    turn = str(answer.locator(".feedback").get_attribute("data-turn"))
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(answer.get_by_label("What was missing?")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(answer.get_by_role("button", name="Skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(answer.get_by_role("status")).to_have_text("Thanks for your feedback")
    assert [(row[1], row[2]) for row in _stored(stack, turn)] == [("down", None)]
