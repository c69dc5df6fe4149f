"""A partner uses the web page in Chromium: sign in, chat, reload, link, sign out."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from partners import linking
from partners.db import create_db_engine
from tests.browser.conftest import PHONE
from tests.browser.pages import ask, bot_messages, sign_in
from tests.conftest import ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DOCS_SCREENSHOT = ROOT / "docs" / "img" / "chat.png"


def test_sign_in_chat_reload_and_sign_out(page: Page, artifacts: Path) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Sample data:")).to_be_visible()
    sign_in(page)
    expect(page.get_by_label("Your message")).to_be_focused()
    expect(page.get_by_text("Signed in as P-0001")).to_be_visible()

    # A program question: answered from the catalogue, with its source.
    answer = ask(page, "what does the security competency require?")
    expect(answer).to_contain_text("Source:")
    expect(answer).to_contain_text("C-SECURITY")

    # The partner's own tier, with the progress card.
    ask(page, "what's my tier?")
    card = page.locator("#log .tier-card").last
    expect(card).to_be_visible()
    expect(card.locator(".tier-name")).not_to_be_empty()
    expect(card.locator("progress").first).to_be_visible()
    page.screenshot(path=str(artifacts / "chat-desktop.png"))
    if os.environ.get("PA_UPDATE_SCREENSHOTS") == "1" or not DOCS_SCREENSHOT.exists():
        # Tests leave tracked files alone unless asked: docs/web.md's screenshot.
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artifacts / "chat-desktop.png", DOCS_SCREENSHOT)

    # A suggested course: the link opens the course view.
    ask(page, "which courses count toward security?")
    course = page.locator("#log a.course-link").last
    expect(course).to_be_visible()
    course_id = course.get_attribute("data-course")
    course.click()
    dialog = page.locator("#course-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text(str(course_id))
    expect(dialog).to_contain_text("Duration")
    page.screenshot(path=str(artifacts / "course-view.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Reload: the conversation is restored from Rasa's tracker.
    said = page.locator("#log .msg.user").all_inner_texts()
    page.reload()
    expect(page.locator("#log .msg.user")).to_have_count(len(said))
    expect(page.locator("#log .tier-card")).to_have_count(1)
    expect(bot_messages(page).first).to_contain_text("C-SECURITY")

    # Signing out returns to the sign-in form, and a reload does not bring the chat back.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    expect(page.get_by_label("Partner id")).to_be_focused()
    page.reload()
    expect(page.locator("#chat-view")).to_be_hidden()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_quick_replies_work_from_the_keyboard(page: Page) -> None:
    page.goto("/")
    sign_in(page)
    ask(page, "what can you do?")
    buttons = page.locator("#log .quick-replies").last.get_by_role("button")
    expect(buttons.first).to_be_visible()
    title = buttons.first.inner_text()
    # From the message box, where the answer leaves the focus, Shift+Tab walks back
    # into the conversation: the newest suggestions are its last controls, so a person
    # reaches each of them with the keyboard alone (they are real, focusable buttons).
    box = page.get_by_label("Your message")
    expect(box).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(buttons.last).to_be_focused()
    for _ in range(buttons.count() - 1):
        page.keyboard.press("Shift+Tab")
    expect(buttons.first).to_be_focused()
    before = bot_messages(page).count()
    page.keyboard.press("Enter")
    expect(page.locator("#log .msg.user").last).to_have_text(f"You said: {title}")
    expect(bot_messages(page)).not_to_have_count(before)
    expect(page.get_by_label("Your message")).to_be_focused()


def test_an_expired_session_returns_to_sign_in_with_a_note(page: Page) -> None:
    page.goto("/")
    sign_in(page)
    # The widget stores its chat session id right after sign-in, rewriting the stored
    # auth; tamper with the token only after that, or the write undoes the tampering.
    page.wait_for_function(
        """() => (JSON.parse(sessionStorage.getItem("pa.auth") || "null") || {}).session"""
    )
    page.evaluate(
        """() => {
            const auth = JSON.parse(sessionStorage.getItem("pa.auth"));
            auth.token = auth.token.slice(0, -4) + "AAAA";  // a token that no longer verifies
            sessionStorage.setItem("pa.auth", JSON.stringify(auth));
        }"""
    )
    box = page.get_by_label("Your message")
    box.fill("what's my tier?")
    box.press("Enter")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#signin-note")).to_contain_text("Please sign in again")


def test_nothing_the_bot_or_user_writes_becomes_markup(page: Page) -> None:
    page.goto("/")
    sign_in(page)
    ask(page, '<img src=x onerror="window.__pwned=1"> hello')
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#log img").count() == 0
    rendered = page.evaluate(
        """async () => {
            const { renderMarkdown } = await import("/static/js/markdown.js");
            return renderMarkdown(
              "**Gold** <script>alert(1)</script> [x](javascript:alert(1)) " +
              "[y](https://example.org/a?b=1&c=2) U-SEC-101\\n- one\\n- *two*"
            );
        }"""
    )
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
    assert 'href="javascript' not in rendered
    assert "<strong>Gold</strong>" in rendered
    assert 'href="https://example.org/a?b=1&amp;c=2"' in rendered
    assert 'data-course="U-SEC-101"' in rendered
    assert "<ul><li>one</li><li><em>two</em></li></ul>" in rendered


def test_a_phone_sized_screen(browser_phone: Page, artifacts: Path) -> None:
    page = browser_phone
    page.goto("/")
    sign_in(page)
    ask(page, "what's my tier?")
    expect(page.locator("#log .tier-card").last).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.get_by_label("Your message").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.get_by_role("button", name="Send").is_visible()
    page.screenshot(path=str(artifacts / "chat-phone.png"), full_page=True)


def test_linking_a_slack_account_on_the_account_screen(page: Page, stack: Stack) -> None:
    engine = create_db_engine(f"sqlite:///{stack.log.parent / 'partners.db'}")
    with Session(engine) as session:
        code = linking.issue_link_code(session, "slack", "U0BROWSER1", "T0BROWSER")
        session.commit()
    engine.dispose()

    page.goto(f"/link?code={code}")
    expect(page.locator("#signin-note")).to_contain_text("link your Slack account")
    sign_in_for_link(page)
    expect(page.locator("#link-details")).to_contain_text("U0BROWSER1")
    page.get_by_role("button", name="Link accounts").click()
    expect(page.locator("#link-status")).to_contain_text("Linked")

    page.goto("/account")
    item = page.locator("#link-list li", has_text="U0BROWSER1")
    expect(item).to_be_visible()
    item.get_by_role("button", name="Unlink").click()
    expect(page.locator("#account-status")).to_contain_text("Unlinked")
    expect(page.locator("#link-list li", has_text="U0BROWSER1")).to_have_count(0)


def sign_in_for_link(page: Page) -> None:
    page.get_by_label("Partner id").fill("P-0002")
    page.get_by_label("Passcode").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#link-view")).to_be_visible()


def test_a_visitor_asks_program_questions_without_signing_in(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Ask program questions without signing in").click()
    expect(page.get_by_text("Not signed in: program questions only")).to_be_visible()
    answer = ask(page, "what does the security competency require?")
    expect(answer).to_contain_text("C-SECURITY")
    # Partner data needs a sign-in; the conversation survives a reload.
    expect(ask(page, "what's my tier?")).to_contain_text("sign in")
    page.reload()
    expect(page.locator("#log .msg.user").first).to_have_text(
        "You said: what does the security competency require?"
    )
    # Signing in starts the partner's own conversation.
    page.get_by_role("button", name="Sign in").click()
    sign_in(page)
    expect(page.get_by_text("Signed in as P-0001")).to_be_visible()
    expect(page.locator("#log .msg.user")).to_have_count(0)
    expect(ask(page, "what's my tier?").locator(".tier-card")).to_be_visible()
