"""The program office's console at /ops/ in Chromium: sign-in, dashboard, review, audit.

Every figure comes from real turns through the app's /v1/chat, the real Rasa server
and the analytics consumer of its event broker; the tests wait for the consumer by
refreshing the page, as an operator would.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.ops_pages import (
    SAMPLE_OPERATOR,
    downloaded_text,
    go,
    kpi,
    search_conversations,
    sign_in,
    summary_turns,
    wait_for_turns,
)
from tests.conftest import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_the_console_is_served_from_our_origin_under_a_strict_policy(stack: Stack) -> None:
    for path in ("/ops/", "/ops/handoff/1", "/ops/conversations/some-sender"):
        response = httpx.get(f"{stack.app_url}{path}")
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["cache-control"] == "no-store"
        assert "Operator console" in response.text
    moved = httpx.get(f"{stack.app_url}/ops")
    assert moved.status_code == 308 and moved.headers["location"] == "/ops/"
    library = httpx.get(f"{stack.app_url}/static/ops/vendor/chart.umd.min.js")
    assert library.status_code == 200 and "Chart.js v4" in library.text[:200]


def test_an_operator_signs_in_and_out_with_the_keyboard(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((stack.app_url, "blob:", "data:"))
            else elsewhere.append(request.url)
        ),
    )
    page.goto("/ops/")
    expect(page.get_by_role("heading", name="Operator sign-in")).to_be_visible()
    sample = page.locator("#sample-operator")
    expect(sample).to_contain_text("Sample data:")
    expect(sample).to_contain_text(SAMPLE_OPERATOR)

    sign_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_focused()
    expect(page.get_by_role("link", name="Audit log")).to_be_visible()  # a program manager

    # Every screen is reached from the keyboard; focus lands on the screen's heading.
    for screen, heading in [
        ("Conversations", "Conversations"),
        ("Handoff queue", "Handoff queue"),
        ("Audit log", "Audit log"),
        ("Dashboard", "Dashboard"),
    ]:
        link = page.get_by_role("navigation", name="Console").get_by_role("link", name=screen)
        link.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_focused()
        expect(link).to_have_attribute("aria-current", "page")
    page.screenshot(path=str(artifacts / "ops-dashboard.png"), full_page=True)

    # A reload keeps the sign-in (this tab's session storage); sign-out ends it.
    page.reload()
    expect(page.get_by_text(f"Signed in as {SAMPLE_OPERATOR}")).to_be_visible()
    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.reload()
    expect(page.get_by_role("heading", name="Operator sign-in")).to_be_visible()
    expect(page.locator("#dashboard-view")).to_be_hidden()
    assert not elsewhere, f"the console loaded from other origins: {elsewhere}"


def test_a_partner_does_not_get_in(page: Page, stack: Stack) -> None:
    partner_token = stack.sign_in("P-0001", "demo")
    refused = httpx.get(
        f"{stack.app_url}/v1/analytics/summary",
        headers={"Authorization": f"Bearer {partner_token}"},
    )
    assert refused.status_code == 403
    reason = refused.json()["detail"]
    assert reason

    # The form: the partner's passcode works, but the console says why it refuses.
    page.goto("/ops/")
    page.get_by_label("E-mail").fill("P-0001")
    page.get_by_label("Passcode").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Not signed in:")
    expect(page.locator("#dashboard-view")).to_be_hidden()
    expect(page.locator("#ops-nav")).to_be_hidden()

    # A partner's token slipped into the tab's storage is refused the same way.
    auth = {"token": partner_token, "subject": "P-0001", "role": "operator"}
    page.evaluate("auth => sessionStorage.setItem('pa.ops.auth', auth)", json.dumps(auth))
    page.reload()
    expect(page.locator("#signin-note")).to_contain_text("Not signed in:")
    expect(page.locator("#dashboard-view")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('pa.ops.auth')") is None


def test_the_dashboard_shows_the_turns_just_held_and_exports_csv(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    before = summary_turns(stack, stack.operator_token)
    partner = stack.sign_in("P-0003", "demo")
    turn = stack.chat("what does the security competency require?", token=partner)
    stack.chat("what's my tier?", token=partner, session=turn.session)
    stack.chat("how long is it?", token=partner, session=turn.session)

    sign_in(page)
    shown = wait_for_turns(page, before + 3)
    assert shown >= before + 3
    assert int(kpi(page, "conversations").inner_text()) >= 1
    # make run's partners are sample partners: their figures are labelled so.
    expect(page.locator("#dash-sample")).to_contain_text("Sample data")
    turns_card = page.locator("#chart-turns")
    expect(turns_card.locator("canvas")).to_be_visible()
    expect(turns_card.locator(".chart-text")).to_contain_text("web")
    intents = page.locator("#chart-intents")
    intents.get_by_text("Top intents: data table").click()
    expect(intents.locator("tbody tr").first).not_to_contain_text("Nothing yet")
    page.screenshot(path=str(artifacts / "ops-dashboard-live.png"), full_page=True)

    with page.expect_download() as started:
        turns_card.get_by_role("link", name="Download CSV (per_day)").click()
    download = started.value
    assert download.suggested_filename.startswith("per_day-")
    assert download.suggested_filename.endswith(".csv")
    lines = downloaded_text(download).splitlines()
    assert "date" in lines[0] and "turns" in lines[0], lines[:2]
    assert len(lines) >= 2, "the export holds no day"

    # A filter that excludes the web chat leaves none of its turns.
    page.locator("#dash-filters").get_by_label("Channel").select_option("slack")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#dash-status")).to_contain_text("Updated")
    assert int(kpi(page, "turns").inner_text()) < shown


def test_review_opens_a_transcript_and_exports_an_nlu_example(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    marker = uuid.uuid4().hex[:8]
    question = f"what does the security competency require for {marker}"
    partner = stack.sign_in("P-0002", "demo")
    stack.chat(question, token=partner)

    sign_in(page)
    rows = search_conversations(page, marker)
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    expect(page.locator("#transcript-title")).to_contain_text("Conversation")
    turn = page.locator("#transcript-turns .turn", has_text=marker)
    expect(turn).to_have_count(1)
    expect(turn).to_contain_text("Intent")
    expect(turn).to_contain_text("Outcome")
    expect(turn.locator(".turn-bot").first).not_to_be_empty()

    turn.get_by_role("button", name="Export").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    picker = dialog.get_by_label("Intent")
    expect(picker).to_be_focused()
    options = picker.locator("option").all_inner_texts()
    assert len(options) > 1
    chosen = next(name for name in options if name != picker.input_value())
    picker.select_option(chosen)
    yaml = dialog.locator("#nlu-yaml")
    expect(yaml).to_contain_text(f"intent: {chosen}")
    expect(yaml).to_contain_text(marker)
    page.screenshot(path=str(artifacts / "ops-nlu-export.png"))
    with page.expect_download() as started:
        dialog.get_by_role("button", name="Download YAML").click()
    assert marker in downloaded_text(started.value)
    assert f"intent: {chosen}" in downloaded_text(started.value)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The program manager sees both reads in the audit log.
    go(page, "Audit log")
    page.get_by_role("textbox", name="Operator").fill(SAMPLE_OPERATOR)
    page.get_by_role("button", name="Filter").click()
    log = page.locator("#audit-results")
    expect(log).to_contain_text("Read a conversation")
    expect(log).to_contain_text("Exported an NLU example")


def test_the_console_works_at_phone_width(browser_phone: Page) -> None:
    page = browser_phone
    sign_in(page)
    expect(kpi(page, "turns")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the dashboard is {width} px wide on a 375 px phone"
    go(page, "Conversations")
    expect(page.get_by_label("Text")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
